"""Simulated citizen reports ("phản ánh hiện trường") with their ground-truth labels.

Each report is written in one of three ways citizens actually type: Vietnamese with diacritics,
the same Vietnamese without them (phone keyboards, haste), or English. The generator knows the
category and urgency it meant (`ReportLabel`); the event carries at most a category hint, as an
app's category picker would, and never the urgency: deciding that is triage's job.
"""

from __future__ import annotations

import hashlib
import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from ioc.city import City, Road, Ward
from ioc.events import CitizenReport, ReportSource, Urgency
from ioc.taxonomy import Taxonomy
from ioc.text import strip_diacritics
from simulators.report_templates import ReportTemplates, load_templates

Variant = Literal["vi", "vi_ascii", "en"]
VARIANT_WEIGHTS: dict[Variant, float] = {"vi": 0.55, "vi_ascii": 0.25, "en": 0.20}
CATEGORY_HINT_SHARE = 0.3
SLOT_S = 3600  # arrivals are drawn per hour slot of absolute time, so any window is reproducible
MAX_PER_SLOT = 4096  # report ids stay unique below this many reports per hour


@dataclass(frozen=True)
class ReportLabel:
    """What the generator meant: the ground truth for tests and triage training."""

    category: str
    department: str
    urgency: Urgency
    variant: Variant


# Shorthand people use when typing without diacritics.
_SHORTHAND = ((re.compile(r"\bkhong\b"), "ko"), (re.compile(r"\bduoc\b"), "dc"),
              (re.compile(r"\bnguoi\b"), "ng"))


def _typed_without_diacritics(text: str, rng: random.Random) -> str:
    text = strip_diacritics(text).replace("–", "-")  # nobody types an en dash on a phone
    if rng.random() < 0.5:
        text = text.lower()
    if rng.random() < 0.3:
        for pattern, short in _SHORTHAND:
            text = pattern.sub(short, text)
    return text


def _street_name(road: Road, lang: str, rng: random.Random) -> str:
    if lang == "vi":
        return road.name if road.kind != "urban" else f"đường {road.name}"
    plain = strip_diacritics(road.name) if rng.random() < 0.6 else road.name
    if road.kind == "national":
        return "Highway " + road.name.split()[-1]
    if road.kind == "provincial":
        return "Provincial Road " + road.name.split()[-1]
    return f"{plain} Street"


def _ward_name(ward: Ward, lang: str, rng: random.Random) -> str:
    if lang == "vi":
        return f"{'phường' if ward.kind == 'ward' else 'xã'} {ward.name}"
    plain = strip_diacritics(ward.name) if rng.random() < 0.6 else ward.name
    return f"{plain} {ward.kind}"


def random_point_in(ward: Ward, rng: random.Random) -> tuple[float, float]:
    """A uniform point inside the ward's polygon (rejection sampling in its bounding box)."""
    south, west, north, east = ward.bbox
    for _ in range(1000):
        lat, lon = rng.uniform(south, north), rng.uniform(west, east)
        if ward.contains(lat, lon):
            return lat, lon
    return ward.centroid


def _slots(city: City, ward: Ward, lang: str, rng: random.Random,
           tpl: ReportTemplates) -> dict[str, str]:
    roads = city.roads_in(ward.slug) or city.roads
    road = rng.choice(roads)
    other = rng.choice([r for r in city.roads if r.slug != road.slug])
    street = _street_name(road, lang, rng)
    number = rng.choice([rng.randint(1, 400), rng.randint(1, 120)])
    return {
        "street": street,
        "street2": _street_name(other, lang, rng),
        "addr": f"số {number} {street}" if lang == "vi" else f"{number} {street}",
        "ward": _ward_name(ward, lang, rng),
        "landmark": rng.choice(tpl.landmarks[lang]),
        "time": rng.choice(tpl.times[lang]),
        "late": rng.choice(tpl.late[lang]),
        "tree": rng.choice(tpl.trees[lang]),
        "alley": rng.choice([str(rng.randint(2, 90)), f"{rng.randint(2, 90)}/{rng.randint(1, 9)}"]),
        "days": str(rng.randint(2, 10)),
        "depth": str(rng.choice(range(10, 35, 5))),
        "depth_small": str(rng.choice(range(10, 45, 5))),
        "people": str(rng.randint(2, 5)),
        "age": str(rng.randint(70, 92)),
        "metres": str(rng.randint(2, 5)),
    }


def compose_report(city: City, taxonomy: Taxonomy, rng: random.Random, at: datetime,
                   report_id: str) -> tuple[CitizenReport, ReportLabel]:
    """One report received at `at`, drawn entirely from `rng`."""
    tpl = load_templates()
    event_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    codes = list(tpl.category_weights)
    category = rng.choices(codes, weights=[tpl.category_weights[c] for c in codes])[0]
    urgent = rng.random() < tpl.urgent_share[category]
    urgency = Urgency.URGENT if urgent else Urgency.NORMAL
    variants = list(VARIANT_WEIGHTS)
    variant: Variant = rng.choices(variants, weights=list(VARIANT_WEIGHTS.values()))[0]
    lang = "en" if variant == "en" else "vi"

    ward = rng.choice(city.wards)
    slots = _slots(city, ward, lang, rng, tpl)
    if urgent:  # deep water is what makes a flood urgent
        slots["depth"] = str(rng.choice(range(50, 130, 10)))
    template = rng.choice(tpl.templates[category][urgency.value][lang])
    opener = rng.choice(tpl.openers[lang])
    if opener and not template.startswith("{"):  # "Alo, cây đổ…" rather than "Alo, Cây đổ…"
        template = template[0].lower() + template[1:]
    body = template.format_map(slots)
    text = opener + body[0].upper() + body[1:] if not opener else opener + body
    text += rng.choice(tpl.closers[lang][urgency.value])
    if variant == "vi_ascii":
        text = _typed_without_diacritics(text, rng)

    lat, lon = random_point_in(ward, rng)
    address = f"{slots['addr']}, {slots['ward']}" if rng.random() < 0.6 else None
    if address and variant == "vi_ascii":
        address = strip_diacritics(address)
    hint = category if rng.random() < CATEGORY_HINT_SHARE else None
    report = CitizenReport(
        event_id=event_id, ts=at, report_id=report_id, text=text, lang=lang,
        lat=round(lat, 6), lon=round(lon, 6), ward=ward.slug, address=address,
        category_hint=hint, source=ReportSource.SIMULATOR,
    )
    department = taxonomy.category(category).department
    return report, ReportLabel(category, department, urgency, variant)


def citizen_key(report_id: str) -> str:
    """The key a simulated citizen sends its report with (as the citizen app does): it lets the
    simulated citizen, and only it, rate the answer later."""
    return "simcit-" + hashlib.sha256(f"citizen:{report_id}".encode()).hexdigest()[:24]


def report_id(seed: int, slot: int, index: int) -> str:
    """'R-' + 8 hex digits that look random yet never repeat for one seed.

    A keyed bijection on 32 bits of (hour slot, index in slot): distinct inputs give distinct
    ids while index < MAX_PER_SLOT and the slot is before 2089.
    """
    mask = 0xFFFFFFFF
    n = (slot * MAX_PER_SLOT + index) & mask
    keys = random.Random(f"{seed}:report-ids")
    for _ in range(3):  # xor-shift, multiply by odd, xor: each step is invertible
        n ^= n >> 15
        n = (n * (keys.getrandbits(32) | 1)) & mask
        n ^= keys.getrandbits(32)
    return f"R-{n:08x}"


def reports_between(city: City, taxonomy: Taxonomy, seed: int, start: datetime, end: datetime,
                    rate_per_h: float) -> Iterator[tuple[CitizenReport, ReportLabel]]:
    """Reports received in [start, end): a Poisson process at rate_per_h, in time order."""
    if rate_per_h <= 0 or end <= start:
        return
    first, last = int(start.timestamp() // SLOT_S), int(end.timestamp() // SLOT_S)
    for slot in range(first, last + 1):
        # float(): a rate of 30 and of 30.0 is one city
        arrivals = random.Random(f"{seed}:report-arrivals:{slot}:{float(rate_per_h)}")
        t_s, index = slot * SLOT_S, 0
        while True:
            t_s += arrivals.expovariate(rate_per_h / SLOT_S)
            if t_s >= (slot + 1) * SLOT_S:
                break
            at = datetime.fromtimestamp(t_s, UTC)
            if start <= at < end:
                rng = random.Random(f"{seed}:report:{slot}:{index}")
                report, label = compose_report(city, taxonomy, rng, at,
                                               report_id(seed, slot, index))
                yield report.model_copy(update={"client_key": citizen_key(report.report_id)}), \
                    label
            index += 1


def labelled_reports(city: City, taxonomy: Taxonomy, seed: int, count: int,
                     start: datetime = datetime(2026, 1, 1, tzinfo=UTC)
                     ) -> list[tuple[CitizenReport, ReportLabel]]:
    """`count` reports one minute apart: a labelled set for tests and triage training."""
    return [compose_report(city, taxonomy, random.Random(f"{seed}:labelled:{i}"),
                           start + timedelta(minutes=i),
                           report_id(seed, *divmod(i, MAX_PER_SLOT)))
            for i in range(count)]
