"""What a scenario expects the pipeline to make of it, and a pure checker.

A scenario file (`simulators.scenario_file`) writes expectations with its own short report ids
and offsets from its start; compiling resolves them into the models here, with full report ids
and absolute instants, and stores them in the recording's manifest (`scenario.expectations`).
After a replay, the runner fills `Outputs` from the replay's database and `check` says, for each
expectation, whether it was met and the evidence a person can read:

    alarm water_level critical on wl-suoiret-1 (xuan-binh) raised 01:32:00, 1 min after
    wl-suoiret-1 reached 1.8 m at 01:31:00

Times in the evidence are local (Asia/Ho_Chi_Minh), as the screens show them.

What `Outputs` holds:
- `reports`: every report of the replay by id, as the database has it at the end.
- `alarms`: one `AlarmOutcome` per raise step, a rise in severity being a step of its own (an
  alarm raised medium and later critical gives two), each with the ward of its source.
- `readings`: the sensor readings the replay was fed, per sensor, for "within N min of the level
  crossing X".
- `kpis`: each KPI's value at the end (`ioc.kpis` keys).
- `end_at`: when the replay's stream ends (the scenario's end): "breached at the end" means
  unanswered and due before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ioc.alarms import SEVERITY_ORDER
from ioc.events import Severity, Urgency, UtcDatetime
from simulators.rhythm import LOCAL_TZ

SAME_INSTANT_S = 1.0  # a stored due time this close to the expected one is the same instant


# ------------------------------------------------------------------ what the replay made


@dataclass(frozen=True)
class ReportOutcome:
    urgency: Urgency | str | None
    category: str | None
    received_at: datetime
    due_at: datetime | None
    first_response_at: datetime | None
    breached: bool


@dataclass(frozen=True)
class AlarmOutcome:
    source_id: str
    alarm_type: str
    severity: Severity | str
    raised_at: datetime
    ward: str | None = None


@dataclass(frozen=True)
class Outputs:
    end_at: datetime
    reports: Mapping[str, ReportOutcome] = field(default_factory=dict)
    alarms: Sequence[AlarmOutcome] = ()
    readings: Mapping[str, Sequence[tuple[datetime, float]]] = field(default_factory=dict)
    kpis: Mapping[str, float | int | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    description: str
    met: bool
    evidence: str


# ------------------------------------------------------------------ wording


def clock(at: datetime) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%H:%M:%S")


def span(seconds: float) -> str:
    """'45 s', '3 min', '3 min 20 s', '2 h', '2 h 05 min'."""
    s = round(abs(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        m, rest = divmod(s, 60)
        return f"{m} min" + (f" {rest} s" if rest else "")
    h, rest = divmod(s, 3600)
    return f"{h} h" + (f" {rest // 60:02d} min" if rest >= 60 else "")


def _rank(severity: Severity | str | None) -> int:
    return -1 if severity is None else SEVERITY_ORDER.index(Severity(severity))


def _where(source_id: str | None, ward: str | None) -> str:
    if source_id:
        return f" on {source_id}"
    return f" in ward {ward}" if ward else ""


def _a(words: str) -> str:
    return ("an " if words[:1] in "aeiou" else "a ") + words


def _alarm_words(a: AlarmOutcome) -> str:
    ward = f" ({a.ward})" if a.ward else ""
    return f"{a.alarm_type} {Severity(a.severity).value} on {a.source_id}{ward}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _report(outputs: Outputs, report_id: str) -> ReportOutcome | str:
    found = outputs.reports.get(report_id)
    return found if found is not None else f"no report {report_id} in the replay's database"


# ------------------------------------------------------------------ the expectations


class ReportTriage(_Model):
    """Triage classified the report so (urgency and/or category)."""

    kind: Literal["report_triage"] = "report_triage"
    report_id: str
    urgency: Urgency | None = None
    category: str | None = None

    def describe(self) -> str:
        what = ", ".join(x for x in (self.urgency and self.urgency.value,
                                     self.category and f"category {self.category}") if x)
        return f"report {self.report_id} is triaged {what}"

    def evaluate(self, outputs: Outputs) -> tuple[bool, str]:
        r = _report(outputs, self.report_id)
        if isinstance(r, str):
            return False, r
        urgency = Urgency(r.urgency).value if r.urgency else "untriaged"
        got = f"{self.report_id} was triaged {urgency}, category {r.category or 'none'}"
        wrong = []
        if self.urgency is not None and urgency != self.urgency.value:
            wrong.append(f"expected {self.urgency.value}")
        if self.category is not None and r.category != self.category:
            wrong.append(f"expected category {self.category}")
        return not wrong, got + (f" ({'; '.join(wrong)})" if wrong else "")


class ReportBreach(_Model):
    """An urgent report nobody answers: due at receipt + 2 h and breached by the end."""

    kind: Literal["report_breach"] = "report_breach"
    report_id: str
    received_at: UtcDatetime  # when the scenario sends it
    due_at: UtcDatetime  # receipt + 2 h

    def describe(self) -> str:
        return (f"urgent report {self.report_id} breaches at {clock(self.due_at)} "
                f"(receipt + 2 h) if unanswered")

    def evaluate(self, outputs: Outputs) -> tuple[bool, str]:
        r = _report(outputs, self.report_id)
        if isinstance(r, str):
            return False, r
        urgency = Urgency(r.urgency).value if r.urgency else "untriaged"
        if urgency != Urgency.URGENT.value:
            return False, f"{self.report_id} was triaged {urgency}, so its 2-hour clock never ran"
        expected_due = r.received_at + (self.due_at - self.received_at)
        head = f"{self.report_id} received {clock(r.received_at)}, urgent"
        if r.due_at is None or abs((r.due_at - expected_due).total_seconds()) > SAME_INSTANT_S:
            stored = clock(r.due_at) if r.due_at else "none"
            return False, f"{head}, due {stored}; expected {clock(expected_due)} (receipt + 2 h)"
        head += f", due {clock(r.due_at)} (receipt + 2 h)"
        if r.first_response_at is not None:
            late = r.first_response_at > r.due_at
            return late and r.breached, (
                f"{head}; answered {clock(r.first_response_at)}, "
                + ("after its due time: breached" if late else "in time: not breached"))
        if outputs.end_at <= r.due_at:
            return False, (f"{head}; the replay ended {clock(outputs.end_at)}, before it was due")
        if not r.breached:
            return False, (f"{head}; no response by the end at {clock(outputs.end_at)}, yet it is "
                           "not marked breached")
        return True, (f"{head}; no response by the end at {clock(outputs.end_at)}: breached "
                      f"{span((outputs.end_at - r.due_at).total_seconds())} ago")


class ReportAnswered(_Model):
    """The citizen saw a first response within `within_s` of receipt, and the SLA held."""

    kind: Literal["report_answered"] = "report_answered"
    report_id: str
    within_s: float = Field(gt=0)

    def describe(self) -> str:
        return f"report {self.report_id} is answered within {span(self.within_s)}"

    def evaluate(self, outputs: Outputs) -> tuple[bool, str]:
        r = _report(outputs, self.report_id)
        if isinstance(r, str):
            return False, r
        if r.first_response_at is None:
            return False, (f"{self.report_id} received {clock(r.received_at)} has no response "
                           f"by the end at {clock(outputs.end_at)}")
        took = (r.first_response_at - r.received_at).total_seconds()
        words = (f"{self.report_id} answered {clock(r.first_response_at)}, {span(took)} after "
                 f"receipt")
        if took > self.within_s:
            return False, f"{words}: later than {span(self.within_s)}"
        if r.breached:
            due = f" (due {clock(r.due_at)})" if r.due_at else ""
            return False, f"{words}, yet marked breached{due}"
        return True, words


class Crossing(_Model):
    sensor_id: str
    value: float
    direction: Literal["above", "below"] = "above"
    unit: str = ""

    def first(self, outputs: Outputs, since: datetime) -> tuple[datetime, float] | str:
        readings = sorted(outputs.readings.get(self.sensor_id, ()))
        later = [(ts, v) for ts, v in readings if ts >= since]
        if not later:
            return f"no readings of {self.sensor_id} from {clock(since)}"
        for ts, v in later:
            if (v >= self.value) if self.direction == "above" else (v <= self.value):
                return ts, v
        pick = max if self.direction == "above" else min
        ts, v = pick(later, key=lambda x: x[1])
        word = "highest" if self.direction == "above" else "lowest"
        return (f"{self.sensor_id} never {self.verb()} {self.words()} from {clock(since)} "
                f"({word} {self.words(v)} at {clock(ts)})")

    def words(self, value: float | None = None) -> str:
        return f"{self.value if value is None else value:g} {self.unit}".strip()

    def verb(self, ing: bool = False) -> str:
        if self.direction == "above":
            return "reaching" if ing else "reached"
        return "falling to" if ing else "fell to"


class AlarmRaised(_Model):
    """An alarm of a type (at least a severity) on a source or in a ward, raised within
    `within_s` of a reference: a reading crossing a value, or an instant (`since`)."""

    kind: Literal["alarm"] = "alarm"
    alarm_type: str
    source_id: str | None = None
    ward: str | None = None
    min_severity: Severity | None = None
    within_s: float = Field(gt=0)
    since: UtcDatetime  # the reference instant, or where the crossing is looked for from
    crossing: Crossing | None = None
    sources: int = Field(1, ge=1, description="At least this many sources raise it")

    def _what(self) -> str:
        severity = f" of severity ≥ {self.min_severity.value}" if self.min_severity else ""
        return f"{self.alarm_type} alarm{severity}{_where(self.source_id, self.ward)}"

    def describe(self) -> str:
        many = f"on at least {self.sources} sensors, " if self.sources > 1 else ""
        if self.crossing:
            ref = (f"{self.crossing.sensor_id} {self.crossing.verb(ing=True)} "
                   f"{self.crossing.words()}")
        else:
            ref = clock(self.since)
        return f"{_a(self._what())} {many}within {span(self.within_s)} of {ref}"

    def matches(self, a: AlarmOutcome) -> bool:
        return (a.alarm_type == self.alarm_type
                and (self.source_id is None or a.source_id == self.source_id)
                and (self.ward is None or a.ward == self.ward)
                and _rank(a.severity) >= _rank(self.min_severity))

    def evaluate(self, outputs: Outputs) -> tuple[bool, str]:
        if self.crossing:
            found = self.crossing.first(outputs, self.since)
            if isinstance(found, str):
                return False, found
            ref, value = found
            after = (f"{self.crossing.sensor_id} {self.crossing.verb()} "
                     f"{self.crossing.words()} at {clock(ref)} (read "
                     f"{self.crossing.words(value)})")
        else:
            ref, after = self.since, clock(self.since)
        until = ref + timedelta(seconds=self.within_s)
        candidates = sorted((a for a in outputs.alarms if self.matches(a)),
                            key=lambda a: a.raised_at)
        inside = [a for a in candidates if ref <= a.raised_at <= until]
        first_per_source: dict[str, AlarmOutcome] = {}
        for a in inside:
            first_per_source.setdefault(a.source_id, a)
        if len(first_per_source) >= self.sources:
            picked = list(first_per_source.values())
            if self.sources == 1:
                a = picked[0]
                return True, (f"alarm {_alarm_words(a)} raised {clock(a.raised_at)}, "
                              f"{span((a.raised_at - ref).total_seconds())} after {after}")
            first, last = picked[0].raised_at, max(a.raised_at for a in picked)
            when = clock(first) if first == last else f"{clock(first)}–{clock(last)}"
            return True, (f"{self.alarm_type} alarms on {len(picked)} sensors "
                          f"({', '.join(sorted(first_per_source))}) raised {when}, at most "
                          f"{span((last - ref).total_seconds())} after {after}")
        got = (f"{len(first_per_source)} of the {self.sources} sensors "
               f"({', '.join(sorted(first_per_source)) or 'none'})" if self.sources > 1
               else "none")
        words = (f"{got} raised {_a(self._what())} between {clock(ref)} and {clock(until)} "
                 f"(within {span(self.within_s)} after {after})")
        others = [a for a in outputs.alarms
                  if a.alarm_type == self.alarm_type
                  and (self.source_id is None or a.source_id == self.source_id)
                  and (self.ward is None or a.ward == self.ward)]
        if others:
            near = min(others, key=lambda a: abs((a.raised_at - ref).total_seconds()))
            words += f"; nearest: {_alarm_words(near)} raised {clock(near.raised_at)}"
        else:
            words += f"; no {self.alarm_type} alarm{_where(self.source_id, self.ward)} at all"
        return False, words


class NoAlarm(_Model):
    """No alarm of a type (of at least a severity) on a source or in a ward in a span: no false
    offline, no needless critical."""

    kind: Literal["no_alarm"] = "no_alarm"
    alarm_type: str
    source_id: str | None = None
    ward: str | None = None
    min_severity: Severity | None = None
    from_at: UtcDatetime
    to_at: UtcDatetime

    def describe(self) -> str:
        severity = f" of severity ≥ {self.min_severity.value}" if self.min_severity else ""
        return (f"no {self.alarm_type} alarm{severity}{_where(self.source_id, self.ward)} "
                f"between {clock(self.from_at)} and {clock(self.to_at)}")

    def evaluate(self, outputs: Outputs) -> tuple[bool, str]:
        hits = sorted((a for a in outputs.alarms
                       if a.alarm_type == self.alarm_type
                       and (self.source_id is None or a.source_id == self.source_id)
                       and (self.ward is None or a.ward == self.ward)
                       and _rank(a.severity) >= _rank(self.min_severity)
                       and self.from_at <= a.raised_at <= self.to_at),
                      key=lambda a: a.raised_at)
        if hits:
            listed = "; ".join(f"{_alarm_words(a)} raised {clock(a.raised_at)}" for a in hits[:5])
            more = f" and {len(hits) - 5} more" if len(hits) > 5 else ""
            return False, f"{len(hits)} raised: {listed}{more}"
        elsewhere = sum(1 for a in outputs.alarms if a.alarm_type == self.alarm_type)
        return True, (f"none raised between {clock(self.from_at)} and {clock(self.to_at)} "
                      f"({elsewhere} {self.alarm_type} alarm{'s' if elsewhere != 1 else ''} "
                      "anywhere in the replay)")


class KpiRange(_Model):
    """A KPI's value at the end lies in [min, max]."""

    kind: Literal["kpi"] = "kpi"
    key: str
    min: float | None = None
    max: float | None = None

    def _range(self) -> str:
        if self.min is not None and self.max is not None:
            return f"{self.min:g}" if self.min == self.max else f"{self.min:g}–{self.max:g}"
        return f"≥ {self.min:g}" if self.min is not None else f"≤ {self.max:g}"

    def describe(self) -> str:
        return f"KPI {self.key} is {self._range()} at the end"

    def evaluate(self, outputs: Outputs) -> tuple[bool, str]:
        if self.key not in outputs.kpis:
            return False, f"the replay reported no KPI {self.key}"
        value = outputs.kpis[self.key]
        if value is None:
            return False, f"{self.key} has no value at the end (no data)"
        ok = ((self.min is None or value >= self.min)
              and (self.max is None or value <= self.max))
        return ok, (f"{self.key} = {value:g} at the end {clock(outputs.end_at)} (expected "
                    f"{self._range()})")


Expectation = Annotated[ReportTriage | ReportBreach | ReportAnswered | AlarmRaised | NoAlarm
                        | KpiRange, Field(discriminator="kind")]
_ADAPTER = TypeAdapter(list[Expectation])


def parse(raw: Iterable[Mapping]) -> list[Expectation]:
    """Expectations from a manifest's `scenario.expectations` (JSON)."""
    return _ADAPTER.validate_python(list(raw))


def to_json(expectations: Sequence[Expectation]) -> list[dict]:
    return _ADAPTER.dump_python(list(expectations), mode="json")


def check(expectations: Iterable[Expectation | Mapping], outputs: Outputs) -> list[Result]:
    """Each expectation, met or missed, with its evidence. Pure."""
    items = list(expectations)
    parsed = [e if isinstance(e, BaseModel) else parse([e])[0] for e in items]
    results = []
    for e in parsed:
        met, evidence = e.evaluate(outputs)
        results.append(Result(e.describe(), met, evidence))
    return results
