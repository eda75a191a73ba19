"""The default city's past, as the live city would have stored it: `ioc history generate`.

The same city the live simulators run: the same citizen reports (`reports_between`, so the same
ids), sensor readings from `reading_at` on a coarser grid, every report triaged, the simulated
crew's steps on each report (`simulators.crew`, walked through time here rather than through the
API) and the citizen's rating, the alarms the detectors raise over those readings, and the crew
acknowledging them. Each event id is the one the live city gives the same event, or comes from
what the event says, so generating twice, or generating the past of a city that then runs live,
stores nothing twice.

`generate` is the pure part: the window's events day by day, each day in time order, the same
for the same seed and window. The triage model and the alarm detectors belong to other stages
(simulators never import analytics), so they come in as a callable and an object; the CLI wires
them in. `run` is the edge: the database (the embedded one when none is configured, as `ioc up`
starts it), then every event through `PersistenceSink`, the only writer.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import Protocol

from psycopg import sql

from ioc import alarms as al
from ioc import lifecycle as lc
from ioc import sla
from ioc import topics as tp
from ioc.city import City, load_city
from ioc.config import Settings
from ioc.db.session import connect
from ioc.events import (
    Alarm,
    AlarmAction,
    AlarmState,
    CitizenReport,
    Event,
    ReportAction,
    ReportEvent,
    ReportTriaged,
    SensorReading,
)
from ioc.persistence import PersistenceSink
from ioc.policy import SlaPolicy, load_policy
from ioc.sensors import Sensor, registered
from ioc.taxonomy import Taxonomy, load_taxonomy
from ioc.up import local_database
from ioc.worker import Message
from simulators import crew
from simulators.reports import reports_between
from simulators.rhythm import LOCAL_TZ
from simulators.scenario import reading_times
from simulators.sensors import reading_at

logger = logging.getLogger(__name__)

HISTORY_NAMESPACE = uuid.UUID("5f3c9a1e-8d27-4b6e-a0f4-2c71e9b3d580")
DAY = timedelta(days=1)
CREW_TICK = timedelta(seconds=2)  # the live crew looks at its queue this often (crew_service)
CITIZEN = "citizen"  # who rates, as the API stamps it
MAX_STEPS = 16  # a report takes at most five crew steps; more is a loop in the plan
ACKNOWLEDGED_BY_CREW = (AlarmState.UNACK, AlarmState.RTN_UNACK)  # what the live crew lists
COUNTED_TABLES = ("citizen_reports", "report_triage", "report_events", "sensor_readings",
                  "alarm_events")

Triage = Callable[[Sequence[CitizenReport]], list[ReportTriaged]]
"""One `ReportTriaged` per report, in order: the live triage worker's event for it."""


class AlarmDetector(Protocol):
    """What `analytics.sensors.engine.SensorAnalytics` offers."""

    def readings(self, readings: list[SensorReading], not_after: datetime) -> list[Alarm]: ...

    def advance(self, to: datetime | None = None) -> list[Alarm]: ...


def step_event_id(report_id: str, action: str) -> uuid.UUID:
    """In a simulated past nothing is reopened, so a report and an action name one event."""
    return uuid.uuid5(HISTORY_NAMESPACE, f"{report_id}|{action}")


def ack_event_id(alarm_id: uuid.UUID, at: datetime) -> uuid.UUID:
    return uuid.uuid5(HISTORY_NAMESPACE, f"{alarm_id}|acknowledge|{at.isoformat()}")


def window(until: datetime, days: int) -> tuple[datetime, datetime]:
    """[start, until): `days` back from `until`, started at that local midnight, so runs on
    the same day share their start and a later run only adds to an earlier one."""
    first = (until - days * DAY).astimezone(LOCAL_TZ).date()
    return datetime.combine(first, clock_time(0), LOCAL_TZ).astimezone(UTC), until


# -- reports ---------------------------------------------------------------------------------


def _due_times(plan: crew.Plan, state: lc.Report) -> list[datetime]:
    """When the plan may ask for something: `crew.next_step` is asked again at each."""
    times = [state.received_at + plan.acknowledge_after, state.received_at + plan.respond_after]
    if state.first_response_at is not None:
        times.append(state.first_response_at + plan.resolve_after)
    return times


def crew_steps(seed: int, report: CitizenReport, triage: ReportTriaged, end: datetime,
               department_name: Callable[[str | None], str], policy: SlaPolicy
               ) -> list[ReportEvent]:
    """What the simulated crew, then the citizen, do to one report before `end`.

    The live crew's own decisions (`crew.next_step` on the report's state), each taken the
    moment it falls due, one step per report per crew tick; the rating as the live crew sends
    it, `rate_after` the resolution. Every step is folded with `ioc.lifecycle.apply`, so one
    the report's state would refuse raises here instead of being stored."""
    state = lc.apply_triage(lc.Report(report.report_id, report.ts, updated_at=report.ts), triage)
    plan = crew.plan_for(seed, state.report_id, state.urgency, state.received_at)
    events: list[ReportEvent] = []
    at = state.received_at
    while at < end:
        step = crew.next_step(seed, state, at, department_name)
        if step is None:
            later = [t for t in _due_times(plan, state) if t > at]
            if not later:
                break
            at = min(later)
            continue
        if len(events) == MAX_STEPS:
            raise RuntimeError(f"the crew's plan for {report.report_id} does not end")
        event = ReportEvent(event_id=step_event_id(report.report_id, step.action), ts=at,
                            report_id=report.report_id, action=ReportAction(step.action),
                            actor=step.actor, **step.body)
        state = lc.apply(state, event)
        events.append(event)
        at += CREW_TICK
    if state.status is lc.Status.RESOLVED and plan.rated:
        rated_at = state.resolved_at + plan.rate_after
        if rated_at < end:
            in_time = state.first_response_at <= sla.due_at(state.received_at, state.urgency,
                                                            policy)
            rating = ReportEvent(
                event_id=step_event_id(report.report_id, ReportAction.RATE.value), ts=rated_at,
                report_id=report.report_id, action=ReportAction.RATE, actor=CITIZEN,
                rating=crew.rating_for(seed, report.report_id, in_time))
            state = lc.apply(state, rating)
            events.append(rating)
    return events


# -- alarms ----------------------------------------------------------------------------------


class AlarmDesk:
    """The alarm list as persistence folds it (`ioc.alarms`), and the crew at it.

    An alarm the operator is shown as unacknowledged (active, or back to normal) is
    acknowledged `crew.alarm_ack_after` its raising, or on the crew's next look if it was
    hidden then, by the first operator of the shift on duty: what the live crew does. An
    acknowledgement is made only where `ioc.alarms.apply` takes it."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.alarms: dict[tuple[str, str], al.AlarmRecord] = {}
        self._due: list[tuple[datetime, int, tuple[str, str], uuid.UUID]] = []  # a heap
        self._seq = itertools.count()
        self.opened = 0
        self.acknowledged = 0

    def through(self, detected: Iterable[Alarm], until: datetime) -> list[Alarm]:
        """The detectors' events in time order, each after the acknowledgements due before
        it, then those due by `until`: all of it folded, ready to store in this order."""
        out: list[Alarm] = []
        for event in sorted(detected, key=lambda e: e.ts):
            out += self._acknowledge(lambda due, ts=event.ts: due < ts)
            self._fold(event)
            out.append(event)
            self._schedule((event.source_id, event.alarm_type), event.ts)
        out += self._acknowledge(lambda due: due <= until)
        return out

    def close(self, end: datetime) -> list[Alarm]:
        """The acknowledgements still due before the end of the history."""
        return self._acknowledge(lambda due: due < end)

    def _fold(self, event: Alarm) -> None:
        key = (event.source_id, event.alarm_type)
        before = self.alarms.get(key)
        try:
            after = al.apply(before, event)
        except al.InvalidAlarmAction:
            return  # stored and marked refused by persistence, as it would be live
        if before is None or after.alarm_id != before.alarm_id:
            self.opened += 1
        self.alarms[key] = after

    def _schedule(self, key: tuple[str, str], at: datetime) -> None:
        a = self.alarms.get(key)
        if a is None or al.state_at(a, at) not in ACKNOWLEDGED_BY_CREW:
            return
        after = crew.alarm_ack_after(self.seed, str(a.alarm_id), a.raised_at)
        heapq.heappush(self._due, (max(a.raised_at + after, at + CREW_TICK), next(self._seq),
                                   key, a.alarm_id))

    def _acknowledge(self, is_due: Callable[[datetime], bool]) -> list[Alarm]:
        out = []
        while self._due and is_due(self._due[0][0]):
            at, _, key, alarm_id = heapq.heappop(self._due)
            a = self.alarms.get(key)
            if a is None or a.alarm_id != alarm_id or \
                    al.state_at(a, at) not in ACKNOWLEDGED_BY_CREW:
                continue  # acknowledged, hidden or closed since
            event = Alarm(event_id=ack_event_id(alarm_id, at), ts=at, source_id=a.source_id,
                          source_kind=a.source_kind, alarm_type=a.alarm_type,
                          action=AlarmAction.ACKNOWLEDGE,
                          actor=crew.shift_at(at).operators[0])
            self.alarms[key] = al.apply(a, event)
            self.acknowledged += 1
            out.append(event)
        return out


# -- the whole past --------------------------------------------------------------------------


@dataclass
class Counts:
    reports: int = 0
    triage_results: int = 0
    lifecycle_events: int = 0  # the crew's: acknowledge, assign, respond, resolve, reject
    ratings: int = 0
    readings: int = 0
    alarms: int = 0  # alarms opened
    alarm_events: int = 0  # the detectors' events and the crew's acknowledgements
    alarm_acks: int = 0

    @property
    def events(self) -> int:
        return (self.reports + self.triage_results + self.lifecycle_events + self.ratings
                + self.readings + self.alarm_events)


@dataclass(frozen=True)
class Day:
    """One local day of the history (the last one ends at `end`), in time order. An alarm
    event found at a day's first reading may be stamped a little before the day (a sensor is
    offline from when it became overdue): it still comes after everything it follows."""

    start: datetime
    end: datetime
    events: list[tuple[tp.Topic, Event]]


def generate(city: City, taxonomy: Taxonomy, seed: int, start: datetime, end: datetime, *,
             rate_per_h: float, reading_interval_s: float, triage: Triage,
             detector: AlarmDetector, policy: SlaPolicy | None = None,
             counts: Counts | None = None,
             live_interval_s: float | None = None) -> Iterator[Day]:
    """The events of [start, end), day by day. `detector` must be fresh, its sensors reporting
    every `reading_interval_s` (or every gap between readings looks like an outage). With
    `live_interval_s`, the last readings are on the live grid just before `end`, so the live
    city's first readings follow without a gap that looks like an outage."""
    policy = policy or load_policy().sla
    counts = counts if counts is not None else Counts()
    names = {d.code: d.vi for d in taxonomy.departments}

    def department_name(code: str | None) -> str:
        return names.get(code, code or "")

    seq = itertools.count()
    pending: list[tuple[datetime, int, tp.Topic, Event]] = []  # report events, a heap
    desk = AlarmDesk(seed)
    day_start = start
    while day_start < end:
        day_end = min(day_start + DAY, end)
        reports = [r for r, _ in reports_between(city, taxonomy, seed, day_start, day_end,
                                                 rate_per_h)]
        results = triage(reports) if reports else []
        for report, triaged in zip(reports, results, strict=True):
            steps = crew_steps(seed, report, triaged, end, department_name, policy)
            for topic, event in ((tp.CITIZEN_REPORTS, report), (tp.REPORTS_TRIAGED, triaged),
                                 *((tp.REPORT_EVENTS, e) for e in steps)):
                heapq.heappush(pending, (event.ts, next(seq), topic, event))
            counts.ratings += sum(e.action is ReportAction.RATE for e in steps)
            counts.lifecycle_events += sum(e.action is not ReportAction.RATE for e in steps)
        counts.reports += len(reports)
        counts.triage_results += len(results)

        timed: list[tuple[datetime, int, tp.Topic, Event]] = []
        while pending and pending[0][0] < day_end:
            timed.append(heapq.heappop(pending))
        instants = list(reading_times(day_start, day_end, reading_interval_s))
        if day_end == end and live_interval_s:
            last = list(reading_times(end - timedelta(seconds=live_interval_s), end,
                                      live_interval_s))
            instants += [t for t in last if not instants or t > instants[-1]]
        for t in instants:
            batch = [r for site in city.sensors
                     if (r := reading_at(city, site, t, seed)) is not None]
            alarms = desk.through(detector.readings(batch, t) + detector.advance(t), t)
            timed += [(r.ts, next(seq), tp.SENSOR_READINGS, r) for r in batch]
            timed += [(a.ts, next(seq), tp.ALERTS, a) for a in alarms]
            counts.readings += len(batch)
            counts.alarm_events += len(alarms)
        if day_end == end:
            alarms = desk.close(end)
            timed += [(a.ts, next(seq), tp.ALERTS, a) for a in alarms]
            counts.alarm_events += len(alarms)
        counts.alarms, counts.alarm_acks = desk.opened, desk.acknowledged
        timed.sort(key=lambda item: item[:2])
        yield Day(day_start, day_end, [(topic, event) for _, _, topic, event in timed])
        day_start = day_end


# -- the edge: into the database -------------------------------------------------------------


@dataclass
class Summary:
    start: datetime
    end: datetime
    counts: Counts
    new_rows: int = 0
    seconds: float = 0.0
    new_accounts: list[tuple[str, str, str]] = field(default_factory=list)


Progress = Callable[[float, float, int], None]
"""(days done, days in all, events written so far)"""


def _row_counts(settings: Settings) -> dict[str, int]:
    with connect(settings) as conn:
        return {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
            sql.Identifier(t))).fetchone()[0] for t in COUNTED_TABLES}


def _detector_sensors(settings: Settings, city: City, interval_s: float) -> dict[str, Sensor]:
    """The registered sensors of the city (with their own alert levels), reporting as often as
    the history has readings."""
    with connect(settings) as conn:
        known = registered(conn)
    return {s.id: known[s.id].model_copy(update={"interval_s": interval_s})
            for s in city.sensors if s.id in known}


def run(settings: Settings, *, days: int, until: datetime, reading_interval_s: float,
        seed: int, triage: Triage, detector_for: Callable[[dict[str, Sensor]], AlarmDetector],
        progress: Progress = lambda _done, _total, _written: None) -> Summary:
    """Generate the history and store it through the persistence sink, in time order."""
    started = time.monotonic()
    start, end = window(until, days)
    total_days = (end - start) / DAY
    summary = Summary(start, end, Counts())
    city, taxonomy = load_city(), load_taxonomy()
    with local_database(settings) as (effective, new_accounts):
        summary.new_accounts = new_accounts
        detector = detector_for(_detector_sensors(effective, city, reading_interval_s))
        before = _row_counts(effective)
        sink = PersistenceSink(effective)
        written = 0
        try:
            for day in generate(city, taxonomy, seed, start, end,
                                rate_per_h=settings.report_rate_per_h,
                                reading_interval_s=reading_interval_s, triage=triage,
                                detector=detector, counts=summary.counts,
                                live_interval_s=settings.sensor_interval_s):
                for i in range(0, len(day.events), settings.batch_max):
                    batch = [Message(topic, event, b"", 0, written + j,
                                     int(event.ts.timestamp() * 1000))
                             for j, (topic, event) in
                             enumerate(day.events[i:i + settings.batch_max])]
                    sink(batch)
                    written += len(batch)
                    reached = max(batch[-1].event.ts, day.start)
                    progress((reached - start) / DAY, total_days, written)
                progress((day.end - start) / DAY, total_days, written)
        finally:
            sink.close()
        after = _row_counts(effective)
    summary.new_rows = sum(after[t] - before[t] for t in COUNTED_TABLES)
    summary.seconds = time.monotonic() - started
    logger.info("history stored", extra={"start": start.isoformat(), "end": end.isoformat(),
                                         "events": written, "new_rows": summary.new_rows})
    return summary
