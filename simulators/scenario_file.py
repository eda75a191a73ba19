"""Scripted scenarios: incidents written as YAML, compiled into a recording (`ioc.recording`).

A scenario is a start, a duration, a seed, whether the city's normal life runs underneath
(`simulators.scenario.schedule`: its readings and reports), scripted events at offsets from the
start, and what the pipeline is expected to make of them (`simulators.expectations`):

    events:
      - at: 20m
        ramp: {sensor: wl-suoiret-1, from: 0.62, to: 1.35, over: 40m}
      - at: 75m
        report: {id: R2, ward: xuan-binh, text: "Cứu với, nước vào nhà ngập gần 1 mét …"}
      - at: 80m
        action: {report: R2, action: acknowledge, actor: op-khoa}
    cameras:
      - camera: cam-03
        from: 3m
        until: 25m
        fps: 2
        incidents: [{at: 5m, kind: crash, lasts: 12m}]
    expectations:
      - triage: {report: R2, urgency: urgent, category: flooding}
      - alarm: {type: water_level, sensor: wl-suoiret-1, min_severity: critical, within: 3m,
                of_crossing: {sensor: wl-suoiret-1, above: 1.8}}
      - alarm: {type: stalled_vehicle, camera: cam-03, within: 3m, of: 5m}

A camera's frames are rendered by the camera simulator (`simulators.cameras.CameraSim`) as it
renders the live city's, its traffic following the hour, with only the incidents scripted.

Scripted readings stand on the same grid as the city's (`reading_times`), and while a sensor is
scripted its background readings are dropped; a silenced sensor (a power cut) sends nothing.
Every id comes from what it names (uuid5 of the scenario and the item; report ids
`S-<scenario>-<id>`), so compiling twice gives the same recording.

The schema is strict: an unknown key, a wrong type, an unknown sensor or ward, a report id used
twice, an event after the end, an action the report's lifecycle refuses, an expectation about a
report that does not exist: each is a `ScenarioError` naming the file, the line and the fix.
"""

from __future__ import annotations

import difflib
import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from ioc import kpis, recording
from ioc import lifecycle as lc
from ioc import topics as tp
from ioc.city import City, load_city
from ioc.config import Settings
from ioc.events import (
    PHYSICAL_RANGE,
    SENSOR_UNITS,
    CitizenReport,
    ReportAction,
    ReportEvent,
    ReportSource,
    SensorKind,
    SensorReading,
    Severity,
    Urgency,
)
from ioc.policy import Policy, load_policy
from ioc.taxonomy import load_taxonomy
from simulators import expectations as ex
from simulators.reports import citizen_key, random_point_in, reports_between
from simulators.scenario import reading_times, schedule
from simulators.sensors import LIMITS

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
SCENARIO_NAMESPACE = uuid.UUID("6f1d3c2a-8b4e-4a7f-9c05-2e7d1b9a4f60")
DEFAULT_NOISE = 0.004  # relative, as the city's own instruments (simulators.sensors)
MAX_DURATION = timedelta(hours=24)
URGENT_WINDOW = timedelta(hours=2)  # fixed by the mission (ioc.sla, ioc.policy)
# The engine's own alarm types besides the policy's (analytics.sensors.rules; simulators never
# import analytics, so they are named here).
STUCK, OFFLINE = "stuck", "offline"
# ... and the vision worker's (analytics.vision: its incident kinds and its silence alarm).
CAMERA_ALARMS = frozenset({"stalled_vehicle", "wrong_way", "crash", "congestion",
                           "camera_offline"})
MAX_CAMERA_FRAMES = 6000  # rendered when the scenario compiles: about a minute's work


class ScenarioError(ValueError):
    """A scenario that cannot be used: each line of the message names the file, the line in it,
    the key and what is wrong."""


# ------------------------------------------------------------------ the YAML schema

_DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?:in)?)?(?:(\d+)s)?$")


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if value == 0 and not isinstance(value, bool):
        return timedelta(0)
    if isinstance(value, str):
        m = _DURATION_RE.match(value.replace(" ", ""))
        if m and any(m.groups()):
            h, mins, s = (int(g or 0) for g in m.groups())
            return timedelta(hours=h, minutes=mins, seconds=s)
    raise ValueError(f"{value!r} is not a duration; write it with its units, e.g. '90s', "
                     "'5m', '1h30m' (a bare number, or 1:30, is ambiguous)")


Duration = Annotated[timedelta, BeforeValidator(_duration)]
Number = Annotated[float, Field(allow_inf_nan=False)]
ShortId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _exactly_one(model: BaseModel, names: tuple[str, ...]) -> str:
    given = [n for n in names if getattr(model, n) is not None]
    if len(given) != 1:
        raise ValueError(f"give exactly one of {', '.join(names)}"
                         + (f" (got {', '.join(given)})" if given else ""))
    return given[0]


class Text(_Model):
    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Background(_Model):
    """The city's normal life underneath the script (simulators.scenario.schedule)."""

    readings: bool = True
    reports: bool = False
    report_rate_per_h: float | None = Field(None, ge=0, description="Default: the settings'")


class Ramp(_Model):
    """A sensor's value moves linearly from `from` to `to` over `over`."""

    sensor: str
    from_: Number = Field(alias="from")
    to: Number
    over: Duration
    noise: float | None = Field(None, ge=0, le=0.2, description="Relative instrument noise")


class Hold(_Model):
    """A sensor reads `value` (with its instrument noise) for a span."""

    sensor: str
    value: Number
    for_: Duration = Field(alias="for")
    noise: float | None = Field(None, ge=0, le=0.2)


class Silence(_Model):
    """Sensors send nothing for a span (a power cut, a broken gateway): named, or a ward's."""

    sensors: list[str] = Field(default_factory=list)
    ward: str | None = None
    for_: Duration = Field(alias="for")

    @model_validator(mode="after")
    def _some(self) -> Silence:
        if not self.sensors and self.ward is None:
            raise ValueError("name the silent sensors, a ward, or both")
        return self


class Report(_Model):
    """A citizen report, as the app would send it; its position is inside the ward (drawn from
    the scenario and its id when not given)."""

    id: ShortId
    ward: str
    text: str = Field(min_length=1, max_length=4000)
    lang: Literal["vi", "en"] = "vi"
    lat: Number | None = None
    lon: Number | None = None
    address: str | None = Field(None, max_length=300)
    category_hint: str | None = None

    @model_validator(mode="after")
    def _both(self) -> Report:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither (a point inside the ward is "
                             "drawn)")
        return self


class Action(_Model):
    """An operator's step on a report (ioc.lifecycle): acknowledge, respond (with the note the
    citizen sees), assign, resolve, reject …"""

    report: ShortId
    action: ReportAction
    actor: str = Field(min_length=1, max_length=64)
    note: str | None = Field(None, max_length=4000)
    assignee: str | None = None
    department: str | None = None
    reason: str | None = None
    urgency: Urgency | None = None
    category: str | None = None
    rating: int | None = Field(None, ge=1, le=5)


class CameraIncident(_Model):
    """What a camera's street does at `at` (an offset from the scenario's start), rendered by
    the camera simulator: a stalled vehicle, a wrong-way one, two vehicles stopping in a crash,
    or congestion building up."""

    at: Duration
    kind: Literal["stalled", "wrong_way", "crash", "congestion"]
    lasts: Duration = timedelta(minutes=4)


class CameraScript(_Model):
    """A city camera's frames from `from` to `until` (default: the end) at `fps`, its street's
    traffic following the hour, with the incidents scripted on it."""

    camera: str
    from_: Duration = Field(timedelta(0), alias="from")
    until: Duration | None = None
    fps: float = Field(1.0, ge=0.2, le=5)
    incidents: tuple[CameraIncident, ...] = ()  # a tuple: the script keys a cache


EVENT_KINDS = ("ramp", "hold", "silence", "report", "action")


class Step(_Model):
    """One scripted event, `at` an offset from the start."""

    at: Duration
    ramp: Ramp | None = None
    hold: Hold | None = None
    silence: Silence | None = None
    report: Report | None = None
    action: Action | None = None

    @model_validator(mode="after")
    def _one(self) -> Step:
        _exactly_one(self, EVENT_KINDS)
        return self

    @property
    def kind(self) -> str:
        return next(k for k in EVENT_KINDS if getattr(self, k) is not None)

    @property
    def body(self):
        return getattr(self, self.kind)

    @property
    def length(self) -> timedelta:
        body = self.body
        if isinstance(body, Ramp):
            return body.over
        return body.for_ if isinstance(body, Hold | Silence) else timedelta(0)


class TriageSpec(_Model):
    report: ShortId
    urgency: Urgency | None = None
    category: str | None = None

    @model_validator(mode="after")
    def _some(self) -> TriageSpec:
        if self.urgency is None and self.category is None:
            raise ValueError("expect an urgency, a category or both")
        return self


class BreachSpec(_Model):
    report: ShortId
    at: Duration | None = Field(None, description="Its due time as an offset: receipt + 2 h")


class AnsweredSpec(_Model):
    report: ShortId
    within: Duration = URGENT_WINDOW


class CrossingSpec(_Model):
    sensor: str
    above: Number | None = None
    below: Number | None = None

    @model_validator(mode="after")
    def _one(self) -> CrossingSpec:
        _exactly_one(self, ("above", "below"))
        return self


class AlarmSpec(_Model):
    type: str
    sensor: str | None = None
    camera: str | None = None
    ward: str | None = None
    min_severity: Severity | None = None
    within: Duration
    of: Duration | None = Field(None, description="An offset from the start (default 0)")
    of_crossing: CrossingSpec | None = None
    sources: int = Field(1, ge=1, description="At least this many sensors raise it")

    @model_validator(mode="after")
    def _reference(self) -> AlarmSpec:
        if self.of is not None and self.of_crossing is not None:
            raise ValueError("give `of` (an offset) or `of_crossing`, not both")
        return self


class NoAlarmSpec(_Model):
    type: str
    sensor: str | None = None
    camera: str | None = None
    ward: str | None = None
    min_severity: Severity | None = None
    from_: Duration | None = Field(None, alias="from", description="Default: the start")
    to: Duration | None = Field(None, description="Default: the end")


class KpiSpec(_Model):
    key: str
    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="after")
    def _range(self) -> KpiSpec:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self


EXPECTATION_KINDS = ("triage", "breach", "answered", "alarm", "no_alarm", "kpi")


class ExpectationSpec(_Model):
    triage: TriageSpec | None = None
    breach: BreachSpec | None = None
    answered: AnsweredSpec | None = None
    alarm: AlarmSpec | None = None
    no_alarm: NoAlarmSpec | None = None
    kpi: KpiSpec | None = None

    @model_validator(mode="after")
    def _one(self) -> ExpectationSpec:
        _exactly_one(self, EXPECTATION_KINDS)
        return self

    @property
    def kind(self) -> str:
        return next(k for k in EXPECTATION_KINDS if getattr(self, k) is not None)

    @property
    def body(self):
        return getattr(self, self.kind)


class Scenario(_Model):
    name: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    title: Text
    description: Text
    start: AwareDatetime
    duration: Duration
    seed: int = 7
    interval: Duration | None = Field(None, description="Between readings, scripted and "
                                      "background (default: the settings' sensor interval)")
    background: Background = Background()
    events: list[Step] = Field(default_factory=list)
    cameras: list[CameraScript] = Field(default_factory=list)
    expectations: list[ExpectationSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _spans(self) -> Scenario:
        if not timedelta(0) < self.duration <= MAX_DURATION:
            raise ValueError(f"duration must be above 0 and at most {MAX_DURATION}")
        if self.interval is not None and self.interval <= timedelta(0):
            raise ValueError("interval must be above 0")
        return self

    @property
    def end(self):
        return self.start + self.duration

    def report_id(self, short_id: str) -> str:
        return f"S-{self.name}-{short_id}"

    def steps(self, kind: str) -> Iterator[tuple[int, Step]]:
        return ((i, s) for i, s in enumerate(self.events) if s.kind == kind)

    @cached_property
    def reports(self) -> dict[str, Step]:
        return {s.report.id: s for _, s in self.steps("report")}


# ------------------------------------------------------------------ reading the file


@dataclass(frozen=True)
class _Source:
    """A YAML file's name and the line of every key path in it, for messages."""

    label: str
    lines: dict[tuple, int]

    def line(self, loc: tuple) -> int:
        loc = tuple(loc)
        while loc and loc not in self.lines:
            loc = loc[:-1]
        return self.lines.get(loc, 1)

    def error(self, loc: tuple, message: str) -> str:
        return f"{self.label} line {self.line(loc)}: {_path(loc)}: {message}"


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def _map_lines(node: yaml.Node, label: str, path: tuple = ()) -> dict[tuple, int]:
    lines = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            name, at = str(key.value), key.start_mark.line + 1
            if name in seen:
                raise ScenarioError(f"{label} line {at}: {_path(path + (name,))}: duplicate key "
                                    f"{name!r} (first at line {seen[name]})")
            seen[name] = at
            lines.update(_map_lines(value, label, path + (name,)))
            lines[path + (name,)] = at
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.update(_map_lines(item, label, path + (i,)))
    return lines


def _parse(text: str, label: str) -> tuple[object, _Source]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError(f"{label} line 1: the file is empty")
        lines = _map_lines(node, label)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        context = (f" ({exc.context} at line {exc.context_mark.line + 1})"
                   if exc.context and exc.context_mark and exc.context_mark.line + 1 != line
                   else "")
        raise ScenarioError(f"{label} line {line}: not valid YAML: {exc.problem or exc}"
                            f"{context}") from None
    finally:
        loader.dispose()
    return data, _Source(label, lines)


def _message(error: dict) -> str:
    msg = error["msg"]
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def load(path: Path | str) -> Scenario:
    """The scenario in the YAML file at `path`, checked; ScenarioError says what is wrong."""
    path = Path(path)
    label = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{label}: cannot read it ({exc})") from None
    data, source = _parse(text, label)
    if not isinstance(data, dict):
        raise ScenarioError(f"{label} line 1: a scenario is a mapping (name:, start:, …), "
                            f"not a {type(data).__name__}")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError("\n".join(source.error(e["loc"], _message(e))
                                      for e in exc.errors())) from None
    problems = _Checker(scenario, source, load_city(), load_policy()).run()
    if scenario.name != path.stem:
        problems.append((source.line(("name",)), source.error(
            ("name",), f"{scenario.name!r} must match the file name {path.stem!r}")))
    if problems:
        raise ScenarioError("\n".join(m for _, m in sorted(problems)))
    return scenario


def alarm_types(kind: SensorKind, policy: Policy) -> set[str]:
    """The alarms a sensor of this kind can raise (analytics.sensors.engine)."""
    rules = policy.kind(kind)
    types = {OFFLINE}
    for rule in (rules.threshold, rules.rate):
        if rule is not None:
            types.add(rule.alarm_type)
    if rules.stuck_after_s:
        types.add(STUCK)
    if kind in (SensorKind.PM25, SensorKind.PM10):
        types.add(policy.aqi.alarm_type)
    return types


class _Checker:
    """What the schema alone cannot say: the city's sensors and wards, ids, times, lifecycles."""

    def __init__(self, s: Scenario, source: _Source, city: City, policy: Policy) -> None:
        self.s, self.source, self.city, self.policy = s, source, city, policy
        self.sensors = {site.id: site for site in city.sensors}
        self.cameras = {site.id for site in city.cameras}
        self.wards = {w.slug: w for w in city.wards}
        self.problems: list[tuple[int, str]] = []
        self.first_report_line: dict[str, int] = {}
        self.segments: dict[str, list[tuple[timedelta, timedelta, int]]] = {}

    def fail(self, loc: tuple, message: str) -> None:
        self.problems.append((self.source.line(loc), self.source.error(loc, message)))

    def sensor(self, loc: tuple, sensor_id: str) -> bool:
        if sensor_id in self.sensors:
            return True
        self.fail(loc, _unknown("sensor", sensor_id, self.sensors))
        return False

    def ward(self, loc: tuple, slug: str) -> bool:
        if slug in self.wards:
            return True
        self.fail(loc, _unknown("ward", slug, self.wards))
        return False

    def report(self, loc: tuple, short_id: str) -> Step | None:
        found = self.s.reports.get(short_id)
        if found is None:
            known = ", ".join(self.s.reports) or "none"
            self.fail(loc, f"unknown report {short_id!r}; the scenario's reports are {known}")
        return found

    def offset(self, loc: tuple, at: timedelta, what: str = "it") -> bool:
        if at < self.s.duration:
            return True
        self.fail(loc, f"{what} at {_offset(at)} is at or after the scenario's end "
                       f"(duration {_offset(self.s.duration)})")
        return False

    def run(self) -> list[tuple[int, str]]:
        for i, step in enumerate(self.s.events):
            loc = ("events", i, step.kind)
            if not self.offset(("events", i, "at"), step.at, step.kind):
                continue
            if step.at + step.length > self.s.duration:
                self.fail(("events", i, step.kind, "over" if step.kind == "ramp" else "for"),
                          f"it runs to {_offset(step.at + step.length)}, past the scenario's "
                          f"end at {_offset(self.s.duration)}")
            getattr(self, f"_{step.kind}")(i, step, loc)
        self._lifecycles()
        self._cameras()
        for j, spec in enumerate(self.s.expectations):
            getattr(self, f"_expect_{spec.kind}")(("expectations", j, spec.kind), spec.body)
        return self.problems

    # -- events --------------------------------------------------------------------------------

    def _value(self, loc: tuple, kind: SensorKind, value: float) -> None:
        low, high = PHYSICAL_RANGE[kind]
        if not low <= value <= high:
            self.fail(loc, f"a {kind.value} sensor reads {low:g}-{high:g} "
                           f"{SENSOR_UNITS[kind]}; {value:g} is impossible")

    def _segment(self, i: int, step: Step, loc: tuple, values: dict[str, float]) -> None:
        body = step.body
        if not self.sensor(loc + ("sensor",), body.sensor):
            return
        kind = self.sensors[body.sensor].kind
        for key, value in values.items():
            self._value(loc + (key,), kind, value)
        if step.length <= timedelta(0):
            self.fail(loc + ("over" if step.kind == "ramp" else "for",), "must be above 0")
        start, end = step.at, step.at + step.length
        for other_start, other_end, j in self.segments.get(body.sensor, []):
            if start < other_end and other_start < end:
                self.fail(loc, f"overlaps events[{j}] on {body.sensor} "
                               f"({_offset(other_start)}–{_offset(other_end)}); a sensor "
                               "follows one script at a time")
        self.segments.setdefault(body.sensor, []).append((start, end, i))

    def _ramp(self, i: int, step: Step, loc: tuple) -> None:
        self._segment(i, step, loc, {"from": step.ramp.from_, "to": step.ramp.to})

    def _hold(self, i: int, step: Step, loc: tuple) -> None:
        self._segment(i, step, loc, {"value": step.hold.value})

    def _silence(self, i: int, step: Step, loc: tuple) -> None:
        for k, sid in enumerate(step.silence.sensors):
            self.sensor(loc + ("sensors", k), sid)
        if step.silence.ward is not None and self.ward(loc + ("ward",), step.silence.ward):
            if not any(site.ward == step.silence.ward for site in self.city.sensors):
                self.fail(loc + ("ward",), f"ward {step.silence.ward} has no sensors")

    def _report(self, i: int, step: Step, loc: tuple) -> None:
        r = step.report
        line = self.source.line(loc + ("id",))
        if r.id in self.first_report_line:
            self.fail(loc + ("id",), f"report id {r.id!r} is used twice (first at line "
                                     f"{self.first_report_line[r.id]})")
            return
        self.first_report_line[r.id] = line
        if len(self.s.report_id(r.id)) > 64:
            self.fail(loc + ("id",), f"the report id {self.s.report_id(r.id)} is longer than 64")
        if r.category_hint is not None and r.category_hint not in _categories():
            self.fail(loc + ("category_hint",), _unknown("category", r.category_hint,
                                                         _categories()))
        if not self.ward(loc + ("ward",), r.ward):
            return
        if r.lat is not None and not self.wards[r.ward].contains(r.lat, r.lon):
            inside = self.city.ward_at(r.lat, r.lon)
            where = f"in ward {inside.slug}" if inside else "outside the city"
            self.fail(loc + ("lat",), f"({r.lat}, {r.lon}) is not in ward {r.ward} (it is "
                                      f"{where})")

    def _action(self, i: int, step: Step, loc: tuple) -> None:
        a = step.action
        if a.department is not None and a.department not in _departments():
            self.fail(loc + ("department",), _unknown("department", a.department,
                                                      _departments()))
        if a.category is not None and a.category not in _categories():
            self.fail(loc + ("category",), _unknown("category", a.category, _categories()))
        found = self.report(loc + ("report",), a.report)
        if found is not None and step.at <= found.at:
            self.fail(("events", i, "at"), f"the action at {_offset(step.at)} is not after "
                                           f"report {step.action.report} arrives at "
                                           f"{_offset(found.at)}")

    def _lifecycles(self) -> None:
        """Each report's actions, in time order, must be steps its lifecycle takes."""
        states = {short: lc.Report(self.s.report_id(short), self.s.start + step.at)
                  for short, step in self.s.reports.items()}
        for i, step in sorted(self.s.steps("action"), key=lambda x: (x[1].at, x[0])):
            state = states.get(step.action.report)
            if state is None or step.at <= self.s.reports[step.action.report].at:
                continue
            try:
                event = _report_event(self.s, i, step)
                states[step.action.report] = lc.apply(state, event)
            except ValidationError as exc:
                for e in exc.errors():
                    self.fail(("events", i, "action") + tuple(e["loc"]), _message(e))
            except lc.InvalidTransition as exc:
                self.fail(("events", i, "action", "action"), str(exc))

    # -- expectations --------------------------------------------------------------------------

    def _answered_at(self, short_id: str) -> timedelta | None:
        times = [s.at for _, s in self.s.steps("action")
                 if s.action.report == short_id and s.action.action is ReportAction.RESPOND]
        return min(times, default=None)

    def _expect_triage(self, loc: tuple, spec: TriageSpec) -> None:
        self.report(loc + ("report",), spec.report)
        if spec.category is not None and spec.category not in _categories():
            self.fail(loc + ("category",), _unknown("category", spec.category, _categories()))

    def _expect_breach(self, loc: tuple, spec: BreachSpec) -> None:
        found = self.report(loc + ("report",), spec.report)
        if found is None:
            return
        due = found.at + URGENT_WINDOW
        if spec.at is not None and spec.at != due:
            self.fail(loc + ("at",), f"report {spec.report} arrives at {_offset(found.at)}, so "
                                     f"it is due at {_offset(due)} (receipt + 2 h), not "
                                     f"{_offset(spec.at)}")
        if due >= self.s.duration:
            self.fail(loc + ("report",), f"report {spec.report} is due at {_offset(due)}, not "
                                         f"before the end at {_offset(self.s.duration)}: it "
                                         "cannot breach within the scenario")
        answered = self._answered_at(spec.report)
        if answered is not None and answered <= due:
            self.fail(loc + ("report",), f"report {spec.report} is answered at "
                                         f"{_offset(answered)}, in time: it cannot breach")

    def _expect_answered(self, loc: tuple, spec: AnsweredSpec) -> None:
        if self.report(loc + ("report",), spec.report) is None:
            return
        if self._answered_at(spec.report) is None:
            self.fail(loc + ("report",), f"no `respond` action answers report {spec.report} in "
                                         "the scenario")

    def _cameras(self) -> None:
        frames = 0
        for i, script in enumerate(self.s.cameras):
            loc = ("cameras", i)
            if script.camera not in self.cameras:
                self.fail(loc + ("camera",), _unknown("camera", script.camera, self.cameras))
            until = self.s.duration if script.until is None else script.until
            if until > self.s.duration:
                self.fail(loc + ("until",), f"{_offset(until)} is after the scenario's end at "
                                            f"{_offset(self.s.duration)}")
            if script.from_ >= until:
                self.fail(loc + ("from",), f"the span {_offset(script.from_)}–{_offset(until)} "
                                           "is empty")
            frames += max(0, int((min(until, self.s.duration) - script.from_).total_seconds()
                                 * script.fps))
            for j, incident in enumerate(script.incidents):
                if not script.from_ <= incident.at < until:
                    self.fail(loc + ("incidents", j, "at"),
                              f"{_offset(incident.at)} is outside the camera's frames "
                              f"({_offset(script.from_)}–{_offset(until)})")
        if frames > MAX_CAMERA_FRAMES:
            self.fail(("cameras",), f"{frames} frames to render, more than "
                                    f"{MAX_CAMERA_FRAMES}: shorten the spans or lower the fps")

    def _alarm_source(self, loc: tuple, spec: AlarmSpec | NoAlarmSpec) -> None:
        if sum(x is not None for x in (spec.sensor, spec.camera, spec.ward)) > 1:
            self.fail(loc, "give a sensor, a camera or a ward, not more than one")
            return
        if spec.camera is not None:
            if spec.camera not in self.cameras:
                self.fail(loc + ("camera",), _unknown("camera", spec.camera, self.cameras))
            elif spec.camera not in {c.camera for c in self.s.cameras}:
                self.fail(loc + ("camera",), f"camera {spec.camera} sends no frames in this "
                                             "scenario; script it under `cameras:`")
            if spec.type not in CAMERA_ALARMS:
                self.fail(loc + ("type",), f"a camera raises no {spec.type!r} alarm; it can "
                                           f"raise {', '.join(sorted(CAMERA_ALARMS))}")
            return
        if spec.sensor is not None:
            if self.sensor(loc + ("sensor",), spec.sensor):
                kind = self.sensors[spec.sensor].kind
                types = alarm_types(kind, self.policy)
                if spec.type not in types:
                    self.fail(loc + ("type",), f"a {kind.value} sensor raises no {spec.type!r} "
                                               f"alarm; it can raise {', '.join(sorted(types))}")
            return
        sites = [site for site in self.city.sensors
                 if spec.ward is None or site.ward == spec.ward]
        if spec.ward is not None and not self.ward(loc + ("ward",), spec.ward):
            return
        possible = set().union(*(alarm_types(site.kind, self.policy) for site in sites))
        if spec.type not in possible:
            where = f"in ward {spec.ward}" if spec.ward else "in the city"
            self.fail(loc + ("type",), f"no sensor {where} raises a {spec.type!r} alarm; they "
                                       f"can raise {', '.join(sorted(possible)) or 'none'}")
        elif isinstance(spec, AlarmSpec) and spec.sources > len(sites):
            self.fail(loc + ("sources",), f"{spec.sources} sources, but there are only "
                                          f"{len(sites)} sensors there")

    def _expect_alarm(self, loc: tuple, spec: AlarmSpec) -> None:
        self._alarm_source(loc, spec)
        if spec.of is not None:
            self.offset(loc + ("of",), spec.of, "the reference")
        if spec.of_crossing is not None:
            c = spec.of_crossing
            if self.sensor(loc + ("of_crossing", "sensor"), c.sensor):
                key = "above" if c.above is not None else "below"
                self._value(loc + ("of_crossing", key), self.sensors[c.sensor].kind,
                            c.above if c.above is not None else c.below)

    def _expect_no_alarm(self, loc: tuple, spec: NoAlarmSpec) -> None:
        self._alarm_source(loc, spec)
        start = spec.from_ or timedelta(0)
        end = spec.to if spec.to is not None else self.s.duration
        if spec.to is not None and spec.to > self.s.duration:
            self.fail(loc + ("to",), f"{_offset(spec.to)} is after the scenario's end at "
                                     f"{_offset(self.s.duration)}")
        if start >= end:
            self.fail(loc + ("from",), f"the span {_offset(start)}–{_offset(end)} is empty")

    def _expect_kpi(self, loc: tuple, spec: KpiSpec) -> None:
        if spec.key not in kpis.DEFINITIONS:
            self.fail(loc + ("key",), _unknown("KPI", spec.key, kpis.DEFINITIONS))


def _unknown(what: str, value: str, known) -> str:
    """'unknown sensor 'wl-suoiret-9' (did you mean wl-suoiret-1, wl-suoiret-2?)', and the
    known names when there are few enough to read."""
    close = difflib.get_close_matches(value, list(known), n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    if what == "sensor":  # too many to read in a message: say where they are listed
        names = f"; the city's {len(known)} sensors are in ioc/data/city_longkhanh.json"
    else:
        names = f"; known: {', '.join(sorted(known))}"
    return f"unknown {what} {value!r}{hint}{names}"


def _categories() -> set[str]:
    return {c.code for c in load_taxonomy().categories}


def _departments() -> set[str]:
    return {d.code for d in load_taxonomy().departments}


def _offset(d: timedelta) -> str:
    s = int(d.total_seconds())
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return "".join(f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (sec, "s")) if v) or "0"


# ------------------------------------------------------------------ compiling


def _event_id(s: Scenario, *what: object) -> uuid.UUID:
    return uuid.uuid5(SCENARIO_NAMESPACE, "|".join([s.name, *map(str, what)]))


def _report_event(s: Scenario, index: int, step: Step) -> ReportEvent:
    a = step.action
    return ReportEvent(event_id=_event_id(s, "action", index), ts=s.start + step.at,
                       report_id=s.report_id(a.report), action=a.action, actor=a.actor,
                       note=a.note, urgency=a.urgency, category=a.category,
                       department=a.department, assignee=a.assignee, reason=a.reason,
                       rating=a.rating)


def _citizen_report(s: Scenario, city: City, step: Step) -> CitizenReport:
    r = step.report
    report_id = s.report_id(r.id)
    if r.lat is None:
        lat, lon = random_point_in(city.ward(r.ward), random.Random(f"{s.name}:place:{r.id}"))
    else:
        lat, lon = r.lat, r.lon
    return CitizenReport(event_id=_event_id(s, "report", r.id), ts=s.start + step.at,
                         report_id=report_id, text=r.text, lang=r.lang, lat=round(lat, 6),
                         lon=round(lon, 6), ward=r.ward, address=r.address,
                         category_hint=r.category_hint, source=ReportSource.SIMULATOR,
                         client_key=citizen_key(report_id))


def _scripted_readings(s: Scenario, city: City, step: Step, interval_s: float
                       ) -> Iterator[SensorReading]:
    body = step.body
    site = next(x for x in city.sensors if x.id == body.sensor)
    start = s.start + step.at
    length_s = step.length.total_seconds()
    noise = DEFAULT_NOISE if body.noise is None else body.noise
    low, high = PHYSICAL_RANGE[site.kind]
    decimals = LIMITS[site.kind][2]
    for at in reading_times(start, start + step.length, interval_s):
        if isinstance(body, Ramp):
            value = body.from_ + (body.to - body.from_) * (at - start).total_seconds() / length_s
        else:
            value = body.value
        t_us = round(at.timestamp() * 1e6)
        if noise:
            value *= 1 + random.Random(f"{s.name}:noise:{site.id}:{t_us}").gauss(0, noise)
        yield SensorReading(event_id=_event_id(s, "reading", site.id, t_us), ts=at,
                            sensor_id=site.id, kind=site.kind,
                            value=round(min(high, max(low, value)), decimals),
                            unit=SENSOR_UNITS[site.kind])


def _spans(s: Scenario, city: City, kind: str) -> dict[str, list[tuple]]:
    """sensor id -> [(from, to)] of its scripted (kind "script") or silent spans."""
    out: dict[str, list[tuple]] = {}
    for _, step in ([(i, x) for k in ("ramp", "hold") for i, x in s.steps(k)]
                    if kind == "script" else s.steps("silence")):
        span = (s.start + step.at, s.start + step.at + step.length)
        if kind == "script":
            ids = [step.body.sensor]
        else:
            ids = list(step.silence.sensors) + [site.id for site in city.sensors
                                                if site.ward == step.silence.ward]
        for sid in ids:
            out.setdefault(sid, []).append(span)
    return out


def _inside(spans: dict[str, list[tuple]], sensor_id: str, at) -> bool:
    return any(a <= at < b for a, b in spans.get(sensor_id, ()))


def compile_scenario(scenario: Scenario, settings: Settings) -> list[recording.Entry]:
    """The scenario's input events, in time order: the same list every time."""
    s, city = scenario, load_city()
    interval_s = (s.interval.total_seconds() if s.interval is not None
                  else settings.sensor_interval_s)
    rate = (s.background.report_rate_per_h if s.background.report_rate_per_h is not None
            else settings.report_rate_per_h)
    scripted, silent = _spans(s, city, "script"), _spans(s, city, "silence")
    entries: list[recording.Entry] = []

    def reading(r: SensorReading) -> None:
        if not _inside(silent, r.sensor_id, r.ts):
            entries.append(recording.Entry(tp.SENSOR_READINGS, r))

    if s.background.readings:
        city_settings = settings.model_copy(update={"sensor_interval_s": interval_s,
                                                    "report_rate_per_h": rate})
        for event in schedule(city_settings, s.start, s.end, s.seed):
            if isinstance(event, SensorReading):
                if not _inside(scripted, event.sensor_id, event.ts):
                    reading(event)
            elif s.background.reports:
                entries.append(recording.Entry(tp.CITIZEN_REPORTS, event))
    elif s.background.reports:
        for report, _ in reports_between(city, load_taxonomy(), s.seed, s.start, s.end, rate):
            entries.append(recording.Entry(tp.CITIZEN_REPORTS, report))
    for i, step in enumerate(s.events):
        if step.kind in ("ramp", "hold"):
            for r in _scripted_readings(s, city, step, interval_s):
                reading(r)
        elif step.kind == "report":
            entries.append(recording.Entry(tp.CITIZEN_REPORTS, _citizen_report(s, city, step)))
        elif step.kind == "action":
            entries.append(recording.Entry(tp.REPORT_EVENTS, _report_event(s, i, step)))
    for script in s.cameras:
        until = s.duration if script.until is None else script.until
        entries += camera_frames(s.seed, s.start, until, script)
    entries.sort(key=lambda e: e.event.ts)
    return entries


@lru_cache(maxsize=8)
def camera_frames(seed: int, start: datetime, until: timedelta, script: CameraScript
                  ) -> tuple[recording.Entry, ...]:
    """A camera's frames, rendered as the live simulator renders them (the same scene, traffic
    by the hour), with its scripted incidents only. A pure function of its arguments, kept for
    the next compile: rendering is most of a compile's time (tens of milliseconds a frame)."""
    from simulators.camera_traffic import Incident  # rendering: only when frames are asked for
    from simulators.cameras import CameraSim

    site = next(c for c in load_city().cameras if c.id == script.camera)
    sim = CameraSim(site, seed=seed, fps=script.fps, incidents_per_day=0, incidents=[
        Incident(i.kind, (i.at - script.from_).total_seconds(), i.lasts.total_seconds())
        for i in script.incidents])
    first = start + script.from_
    out = []
    for k in range(int((until - script.from_).total_seconds() * script.fps)):
        frame, jpeg, _ = sim.next_frame(first + timedelta(seconds=k / script.fps))
        out.append(recording.Entry(tp.CAMERA_FRAMES, frame, jpeg))
    return tuple(out)


def resolved_expectations(scenario: Scenario) -> list[ex.Expectation]:
    """The expectations with full report ids and absolute instants (the manifest's form)."""
    s, city = scenario, load_city()
    units = {site.id: SENSOR_UNITS[site.kind] for site in city.sensors}
    out: list[ex.Expectation] = []
    for spec in s.expectations:
        b = spec.body
        if spec.kind == "triage":
            out.append(ex.ReportTriage(report_id=s.report_id(b.report), urgency=b.urgency,
                                       category=b.category))
        elif spec.kind == "breach":
            received = s.start + s.reports[b.report].at
            out.append(ex.ReportBreach(report_id=s.report_id(b.report), received_at=received,
                                       due_at=received + URGENT_WINDOW))
        elif spec.kind == "answered":
            out.append(ex.ReportAnswered(report_id=s.report_id(b.report),
                                         within_s=b.within.total_seconds()))
        elif spec.kind == "alarm":
            crossing = None
            if b.of_crossing is not None:
                c = b.of_crossing
                crossing = ex.Crossing(
                    sensor_id=c.sensor, value=c.above if c.above is not None else c.below,
                    direction="above" if c.above is not None else "below",
                    unit=units[c.sensor])
            out.append(ex.AlarmRaised(alarm_type=b.type, source_id=b.sensor or b.camera,
                                      ward=b.ward,
                                      min_severity=b.min_severity,
                                      within_s=b.within.total_seconds(),
                                      since=s.start + (b.of or timedelta(0)), crossing=crossing,
                                      sources=b.sources))
        elif spec.kind == "no_alarm":
            out.append(ex.NoAlarm(alarm_type=b.type, source_id=b.sensor or b.camera,
                                  ward=b.ward,
                                  min_severity=b.min_severity,
                                  from_at=s.start + (b.from_ or timedelta(0)),
                                  to_at=s.start + (b.to if b.to is not None else s.duration)))
        else:
            out.append(ex.KpiRange(key=b.key, min=b.min, max=b.max))
    return out


def find(name_or_path: str | Path) -> Path:
    """A scenario file: a path to a .yaml, or the name of a shipped scenario."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        if not path.is_file():
            raise ScenarioError(f"no scenario file at {path}")
        return path
    shipped = SCENARIO_DIR / f"{name_or_path}.yaml"
    if shipped.is_file():
        return shipped
    names = ", ".join(p.stem for p in sorted(SCENARIO_DIR.glob("*.yaml")))
    raise ScenarioError(f"no scenario {str(name_or_path)!r}; the shipped ones are {names} "
                        "(`ioc replay --list`), or give a path to a .yaml file")


def manifest_scenario(scenario: Scenario, interval_s: float) -> dict:
    """What the recording's manifest says of its scenario (`scenario` in ioc.recording)."""
    s = scenario
    return {"name": s.name, "title": s.title.model_dump(),
            "description": s.description.model_dump(), "start": s.start.isoformat(),
            "end": s.end.isoformat(), "seed": s.seed, "interval_s": interval_s,
            "expectations": ex.to_json(resolved_expectations(s))}


def compile_to(name_or_path: str | Path, out_path: Path | str,
               settings: Settings) -> recording.Manifest:
    """Compile a scenario (a shipped name or a .yaml path) into a recording at `out_path`."""
    scenario = load(find(name_or_path))
    entries = compile_scenario(scenario, settings)
    interval_s = (scenario.interval.total_seconds() if scenario.interval is not None
                  else settings.sensor_interval_s)
    try:
        return recording.write(Path(out_path), entries, source=f"scenario:{scenario.name}",
                               scenario=manifest_scenario(scenario, interval_s))
    except recording.RecordingError as exc:
        raise ScenarioError(f"{scenario.name}: {exc}") from None


@dataclass(frozen=True)
class ScenarioInfo:
    name: str
    description: str  # one line (English), for `ioc replay --list`
    description_vi: str
    duration: timedelta
    events: int  # scripted events
    expectations: int
    path: Path
    title_en: str = ""

    def line(self) -> str:
        return f"{self.name}  {self.description}"


def library() -> list[ScenarioInfo]:
    """The shipped scenarios, by name."""
    out = []
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        s = load(path)
        out.append(ScenarioInfo(
            s.name, f"{s.title.en} ({_offset(s.duration)}, {len(s.events)} events, "
                    f"{len(s.expectations)} expectations)", s.title.vi, s.duration,
            len(s.events), len(s.expectations), path, s.title.en))
    return out
