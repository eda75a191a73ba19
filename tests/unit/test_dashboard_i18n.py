"""Every UI string exists in Vietnamese and English, and every key the dashboard uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.citymap import SENSOR_KINDS
from dashboard.display import SLA, STATUS
from dashboard.i18n import LANGS, STRINGS, category_label, t
from ioc.events import ReportAction
from ioc.lifecycle import Status

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_key_has_vi_and_en(key):
    entry = STRINGS[key]
    assert set(entry) == set(LANGS), f"{key!r} has {sorted(entry)}, expected {list(LANGS)}"
    for lang in LANGS:
        assert entry[lang].strip(), f"{key!r} is empty in {lang!r}"


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_placeholders_match_between_languages(key):
    names = {lang: set(re.findall(r"{(\w+)}", STRINGS[key][lang])) for lang in LANGS}
    assert names["vi"] == names["en"], f"{key!r} placeholders differ: {names}"


def test_vietnamese_is_the_default():
    assert t("nav.control", None) == "Điều hành"
    assert t("nav.control", "xx") == "Điều hành"
    assert t("nav.control", "en") == "Control"


def test_values_are_filled_in():
    assert t("kpi.water.thresholds", "en", warn=1.2, alarm=1.5) == "Warning 1.2 m · Alarm 1.5 m"


def test_unknown_categories_are_shown_readably():
    assert category_label("traffic_accident", "vi") == "Tai nạn giao thông"  # taxonomy.json
    assert category_label("tree_fall", "en") == "Tree fall"
    assert category_label(None, "en") == "Not triaged"


def test_every_key_the_code_names_exists():
    used = set()
    for path in DASHBOARD.rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([\w.?]+)["']""", path.read_text()))
    used = {k for k in used if not k.endswith(".")}  # t("kind." + kind): checked below
    assert used, "no t(...) calls found: has the dashboard moved?"
    assert not used - set(STRINGS), f"keys used but not defined: {sorted(used - set(STRINGS))}"


def test_keys_built_at_run_time_exist():
    built = ([f"kind.{k}" for k in SENSOR_KINDS] + [f"status.{s}" for s in STATUS]
             + [f"report.{u}" for u in ("urgent", "normal", "untriaged")]
             + [f"map.reports.{u}" for u in ("urgent", "normal", "untriaged")]
             + [f"nav.{p}" for p in ("control", "cameras", "wall", "replay")]
             + [f"sla.{face}" for face in SLA] + [f"lc.{s}" for s in Status]
             + [f"act.{a}" for a in ReportAction])
    assert not [k for k in built if k not in STRINGS]
