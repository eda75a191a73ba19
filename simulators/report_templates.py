"""Phrasing for simulated citizen reports: templates per category, urgency and language.

The phrasing is data, `data/report_templates.json`; this module loads it and checks it, so a
wrong file stops with an error naming the entry rather than a KeyError mid-run: the categories
are exactly the taxonomy's (`ioc/data/taxonomy.json`), a category has urgent templates when some
of its reports are urgent (and normal ones when some are not), in both languages, and every
template fills only the slots in SLOTS.
"""

from __future__ import annotations

import json
import string
from functools import lru_cache
from importlib.resources import files
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ioc.taxonomy import Taxonomy, load_taxonomy

SOURCE = "simulators/data/report_templates.json"

# The slots simulators/reports.py fills in a template, as {street}.
SLOTS = frozenset({"street", "street2", "addr", "ward", "landmark", "time", "late", "tree",
                   "alley", "days", "depth", "depth_small", "people", "age", "metres"})

LANGS = ("vi", "en")
URGENCIES = ("normal", "urgent")
Phrases = Annotated[tuple[str, ...], Field(min_length=1)]


class TemplateError(ValueError):
    """The templates file is wrong; the message names the entry and what is wrong with it."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def __getitem__(self, key: str):  # templates[category]["urgent"]["vi"], as the file reads
        return getattr(self, key)


class ByLang(_Model):
    vi: Phrases
    en: Phrases


class ByUrgency(_Model):
    normal: Phrases
    urgent: Phrases


class Closers(_Model):
    vi: ByUrgency
    en: ByUrgency


class CategoryTemplates(_Model):
    """A category may lack one urgency: every fire is urgent, no noise complaint is."""

    normal: ByLang | None = None
    urgent: ByLang | None = None


class ReportTemplates(_Model):
    comment: str = Field("", alias="_comment")
    category_weights: dict[str, Annotated[float, Field(gt=0)]]
    urgent_share: dict[str, Annotated[float, Field(ge=0, le=1)]]
    openers: ByLang
    closers: Closers
    landmarks: ByLang
    times: ByLang
    late: ByLang
    trees: ByLang
    templates: dict[str, CategoryTemplates]

    @model_validator(mode="after")
    def _consistent(self) -> ReportTemplates:
        for category, by_urgency in self.templates.items():
            share = self.urgent_share.get(category, 0.0)
            for urgency, drawn in (("normal", share < 1), ("urgent", share > 0)):
                if by_urgency[urgency] is None:
                    if drawn:
                        raise ValueError(f"templates.{category}: no {urgency} templates, but "
                                         f"its urgent_share is {share}")
                    continue
                for lang in LANGS:
                    for n, text in enumerate(by_urgency[urgency][lang]):
                        _check_slots(text, f"templates.{category}.{urgency}.{lang}[{n}]")
        asides = [("openers", t) for lang in LANGS for t in self.openers[lang]] + [
            ("closers", t) for lang in LANGS for u in URGENCIES for t in self.closers[lang][u]]
        for name, text in asides:
            if "{" in text or "}" in text:
                raise ValueError(f"{name}: {text!r} has a brace; only templates have slots")
        return self


def _check_slots(text: str, where: str) -> None:
    try:
        slots = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError as exc:
        raise ValueError(f"{where}: {exc} in {text!r}") from None
    if unknown := slots - SLOTS:
        raise ValueError(f"{where}: unknown slot {{{min(unknown)}}} in {text!r}; the slots "
                         f"are {', '.join(sorted(SLOTS))}")


def parse_templates(raw: object, taxonomy: Taxonomy, source: str = SOURCE) -> ReportTemplates:
    """The templates in `raw` (the file's JSON), checked; TemplateError names a bad entry."""
    try:
        templates = ReportTemplates.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for e in exc.errors(include_url=False):
            where = ".".join(map(str, e["loc"]))
            message = e["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise TemplateError(f"{source}: " + "; ".join(problems)) from None
    codes = set(taxonomy.codes)
    for name in ("templates", "category_weights", "urgent_share"):
        present = set(getattr(templates, name))
        if unknown := present - codes:
            raise TemplateError(f"{source}: {name}.{min(unknown)} is not a category of the "
                                f"taxonomy (ioc/data/taxonomy.json)")
        if missing := codes - present:
            raise TemplateError(f"{source}: {name} lacks the taxonomy's category "
                                f"{min(missing)!r}")
    return templates


@lru_cache
def load_templates() -> ReportTemplates:
    """The shipped templates, checked against the shipped taxonomy."""
    text = files("simulators").joinpath("data/report_templates.json").read_text("utf-8")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemplateError(f"{SOURCE}: not JSON ({exc.msg} at line {exc.lineno})") from None
    return parse_templates(raw, load_taxonomy())
