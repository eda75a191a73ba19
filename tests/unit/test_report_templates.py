"""The report phrasing file is checked when it loads: a wrong entry is named, not met mid-run."""

from __future__ import annotations

import copy
import json
import random
from importlib.resources import files

import pytest

from ioc.city import load_city
from ioc.taxonomy import load_taxonomy
from simulators import reports
from simulators.report_templates import SLOTS, TemplateError, load_templates, parse_templates

TAXONOMY = load_taxonomy()
RAW = json.loads(files("simulators").joinpath("data/report_templates.json").read_text("utf-8"))


def _broken(change) -> dict:
    raw = copy.deepcopy(RAW)
    change(raw)
    return raw


def test_the_shipped_file_loads_and_covers_the_taxonomy():
    templates = load_templates()
    assert set(templates.templates) == set(TAXONOMY.codes)
    assert set(templates.category_weights) == set(TAXONOMY.codes)


def test_the_generator_fills_exactly_the_slots_the_templates_may_use():
    city = load_city()
    slots = reports._slots(city, city.wards[0], "vi", random.Random(1), load_templates())
    assert set(slots) == SLOTS


@pytest.mark.parametrize(("change", "named"), [
    (lambda r: r["templates"]["flooding"]["normal"]["vi"].append("Ngập ở {stret}."),
     "templates.flooding.normal.vi[17]: unknown slot {stret}"),
    (lambda r: r["templates"]["flooding"]["urgent"]["en"].append("Water {depth cm"),
     "templates.flooding.urgent.en[12]"),
    (lambda r: r["templates"]["fire"].pop("urgent"),
     "templates.fire: no urgent templates, but its urgent_share is 1.0"),
    (lambda r: r["templates"]["noise"]["normal"].pop("en"), "templates.noise.normal.en"),
    (lambda r: r["templates"].update(flood=r["templates"]["flooding"]),
     "templates.flood is not a category of the taxonomy"),
    (lambda r: r["category_weights"].pop("garbage"),
     "category_weights lacks the taxonomy's category 'garbage'"),
    (lambda r: r["urgent_share"].update(fire=1.5), "urgent_share.fire"),
    (lambda r: r["closers"]["vi"]["normal"].append(" Cảm ơn {ward}."), "closers"),
    (lambda r: r.update(landmark=[]), "landmark"),
])
def test_a_bad_entry_is_named(change, named):
    with pytest.raises(TemplateError, match="report_templates.json") as refused:
        parse_templates(_broken(change), TAXONOMY)
    assert named in str(refused.value)
