"""The simulated past (simulators.history): every crew step is one the lifecycle takes, in time
order and before the end; the same ids as the live city; acknowledgements the alarm model
takes; the same history every time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analytics.sensors.engine import SensorAnalytics
from analytics.triage.model import TriageResult
from analytics.triage.worker import triage_event_id, triaged
from ioc import alarms as al
from ioc import lifecycle as lc
from ioc import sla
from ioc.city import load_city
from ioc.config import Settings
from ioc.events import (
    Alarm,
    AlarmAction,
    CitizenReport,
    ReportAction,
    SensorReading,
    Severity,
    Urgency,
)
from ioc.policy import load_policy
from ioc.sensors import from_city
from ioc.taxonomy import load_taxonomy
from simulators import crew, history, scenario
from simulators.reports import reports_between
from simulators.rhythm import LOCAL_TZ

CITY = load_city()
TAXONOMY = load_taxonomy()
POLICY = load_policy()
SEED = 7
START = datetime(2026, 9, 12, 17, 0, tzinfo=UTC)  # local midnight, rainy season
END = START + timedelta(days=2)


def fake_triage(reports: list[CitizenReport]):
    """A stand-in for the model: a quarter urgent, categories spread over the taxonomy."""
    out = []
    for r in reports:
        n = int(r.report_id[2:], 16)
        code = TAXONOMY.codes[n % len(TAXONOMY.codes)]
        urgency = Urgency.URGENT if n % 4 == 0 else Urgency.NORMAL
        result = TriageResult(urgency, code, TAXONOMY.category(code).department, 0.9, ("x",),
                              False, 0.9 if urgency is Urgency.URGENT else 0.1)
        out.append(triaged(r, result, "test", r.ts))
    return out


def department_name(code: str | None) -> str:
    return {d.code: d.vi for d in TAXONOMY.departments}.get(code, code or "")


def reports(start: datetime = START, end: datetime = END) -> list[CitizenReport]:
    return [r for r, _ in reports_between(CITY, TAXONOMY, SEED, start, end, 30.0)]


def detector(interval_s: float) -> SensorAnalytics:
    return SensorAnalytics(POLICY, {s.sensor_id: s for s in from_city(CITY, interval_s)})


def days(start: datetime = START, end: datetime = END, interval_s: float = 900,
         counts: history.Counts | None = None) -> list[history.Day]:
    return list(history.generate(CITY, TAXONOMY, SEED, start, end, rate_per_h=30.0,
                                 reading_interval_s=interval_s, triage=fake_triage,
                                 detector=detector(interval_s), counts=counts))


def steps_of(report: CitizenReport, end: datetime = END):
    (result,) = fake_triage([report])
    return result, history.crew_steps(SEED, report, result, end, department_name, POLICY.sla)


# -- reports ---------------------------------------------------------------------------------

def test_every_crew_step_is_one_the_lifecycle_takes_in_order_and_before_the_end():
    actions = set()
    for report in reports():
        result, steps = steps_of(report)
        state = lc.apply_triage(lc.Report(report.report_id, report.ts), result)
        plan = crew.plan_for(SEED, report.report_id, result.urgency, report.ts)
        last = report.ts
        for event in steps:
            state = lc.apply(state, event)  # raises InvalidTransition if refused
            assert last <= event.ts < END
            last = event.ts
            expected_actor = "citizen" if event.action is ReportAction.RATE else plan.operator
            assert event.actor == expected_actor
            assert event.event_id == history.step_event_id(report.report_id,
                                                           event.action.value)
            actions.add(event.action)
        assert len({e.event_id for e in steps}) == len(steps)
    assert actions == {ReportAction.ACKNOWLEDGE, ReportAction.ASSIGN, ReportAction.RESPOND,
                       ReportAction.RESOLVE, ReportAction.REJECT, ReportAction.RATE}


def test_the_steps_are_the_plan_and_the_same_every_time():
    for report in reports(START, START + timedelta(hours=6)):
        result, steps = steps_of(report)
        assert steps == steps_of(report)[1]
        plan = crew.plan_for(SEED, report.report_id, result.urgency, report.ts)
        by_action = {e.action: e for e in steps}
        if plan.reject:
            assert [e.action for e in steps] == [ReportAction.REJECT]
            assert by_action[ReportAction.REJECT].ts == report.ts + plan.acknowledge_after
            continue
        assert by_action[ReportAction.ACKNOWLEDGE].ts == report.ts + plan.acknowledge_after
        assert by_action[ReportAction.ASSIGN].ts == \
            report.ts + plan.acknowledge_after + history.CREW_TICK
        responded = report.ts + plan.respond_after
        if responded >= END:  # answered after the end: left to the live crew
            assert ReportAction.RESPOND not in by_action
            continue
        assert by_action[ReportAction.RESPOND].ts == responded
        assert by_action[ReportAction.RESPOND].note  # the citizen sees words
        resolved = responded + plan.resolve_after
        if resolved < END:
            assert by_action[ReportAction.RESOLVE].ts == resolved
            rated = resolved + plan.rate_after
            assert (ReportAction.RATE in by_action) == (plan.rated and rated < END)


def test_a_late_answer_is_rated_as_one():
    for report in reports():
        result, steps = steps_of(report)
        rating = next((e for e in steps if e.action is ReportAction.RATE), None)
        if rating is None:
            continue
        responded = next(e.ts for e in steps if e.action is ReportAction.RESPOND)
        in_time = responded <= sla.due_at(report.ts, result.urgency, POLICY.sla)
        assert rating.rating == crew.rating_for(SEED, report.report_id, in_time)


def test_steps_after_the_end_are_left_to_the_live_crew():
    for report in reports(START, START + timedelta(hours=3)):
        end = report.ts + timedelta(minutes=30)
        _, steps = steps_of(report, end)
        _, full = steps_of(report)
        assert steps == [e for e in full if e.ts < end]


# -- alarms ----------------------------------------------------------------------------------

T0 = datetime(2026, 9, 12, 3, 0, tzinfo=UTC)  # 10:00 local, the day shift


def alarm(action: AlarmAction, at: datetime, severity: Severity | None = None) -> Alarm:
    return Alarm(ts=at, source_id="aq-1-pm25", source_kind="sensor", alarm_type="high",
                 action=action, severity=severity)


def acks_of(events: list[Alarm]) -> list[Alarm]:
    return [e for e in events if e.action is AlarmAction.ACKNOWLEDGE]


def test_a_raised_alarm_is_acknowledged_when_the_crew_would():
    desk = history.AlarmDesk(SEED)
    raised = alarm(AlarmAction.RAISE, T0, Severity.HIGH)
    out = desk.through([raised], T0) + desk.through([], T0 + timedelta(hours=1))
    (ack,) = acks_of(out)
    alarm_id = al.alarm_id_for(raised)
    assert ack.ts == T0 + crew.alarm_ack_after(SEED, str(alarm_id), T0)
    assert ack.actor == crew.shift_at(ack.ts).operators[0]
    assert ack.event_id == history.ack_event_id(alarm_id, ack.ts)
    assert desk.alarms[("aq-1-pm25", "high")].acked and desk.opened == 1


def test_a_hidden_alarm_waits_and_a_cleared_hidden_one_is_never_acknowledged():
    desk = history.AlarmDesk(SEED)
    back = T0 + timedelta(hours=1)
    out = desk.through([alarm(AlarmAction.RAISE, T0, Severity.HIGH),
                        alarm(AlarmAction.SUPPRESS, T0 + timedelta(seconds=10))], T0)
    out += desk.through([], T0 + timedelta(minutes=50))
    assert acks_of(out) == []
    out += desk.through([alarm(AlarmAction.UNSUPPRESS, back)], back + timedelta(minutes=1))
    (ack,) = acks_of(out)
    assert ack.ts == back + history.CREW_TICK

    desk = history.AlarmDesk(SEED)
    out = desk.through([alarm(AlarmAction.RAISE, T0, Severity.HIGH),
                        alarm(AlarmAction.SUPPRESS, T0 + timedelta(seconds=10)),
                        alarm(AlarmAction.CLEAR, T0 + timedelta(seconds=20)),
                        alarm(AlarmAction.UNSUPPRESS, back)], back + timedelta(hours=1))
    assert acks_of(out) == [] and desk.alarms[("aq-1-pm25", "high")].closed_at == back


def test_an_alarm_back_to_normal_is_still_acknowledged_and_then_closes():
    desk = history.AlarmDesk(SEED)
    out = desk.through([alarm(AlarmAction.RAISE, T0, Severity.HIGH),
                        alarm(AlarmAction.CLEAR, T0 + timedelta(seconds=30))],
                       T0 + timedelta(hours=1))
    assert len(acks_of(out)) == 1
    assert desk.alarms[("aq-1-pm25", "high")].closed_at == acks_of(out)[0].ts


def test_no_acknowledgement_at_or_after_the_end():
    desk = history.AlarmDesk(SEED)
    desk.through([alarm(AlarmAction.RAISE, T0, Severity.HIGH)], T0)
    assert desk.close(T0 + timedelta(seconds=30)) == []


# -- the whole past --------------------------------------------------------------------------

def test_a_history_is_the_same_every_time():
    def flat(ds):
        return [(topic.name, event) for d in ds for topic, event in d.events]

    first = flat(days(interval_s=1800))
    assert first and first == flat(days(interval_s=1800))


def test_each_day_is_in_time_order_and_the_whole_is_before_the_end():
    counts = history.Counts()
    ds = days(counts=counts)
    assert [d.start for d in ds] == [START, START + timedelta(days=1)]
    seen: dict[str, datetime] = {}
    for d in ds:
        stamps = [e.ts for _, e in d.events]
        assert stamps == sorted(stamps) and stamps[-1] < END
        for topic, e in d.events:
            if topic.name == "ioc.citizen.reports":
                seen[e.report_id] = e.ts
            elif hasattr(e, "report_id"):  # never before its report
                assert e.report_id in seen and e.ts >= seen[e.report_id]
    assert counts.events == sum(len(d.events) for d in ds)
    assert counts.reports == counts.triage_results == len(seen) > 1000
    assert counts.ratings > 0 and counts.lifecycle_events > 3 * counts.reports


def test_the_ids_are_the_live_citys():
    start, end = START, START + timedelta(hours=1)
    live = list(scenario.schedule(Settings(seed=SEED, sensor_interval_s=10,
                                           report_rate_per_h=30, cameras=0), start, end))
    live_ids = {e.event_id for e in live}
    past = [e for d in days(start, end, interval_s=300) for _, e in d.events]
    stored_reports = [e for e in past if isinstance(e, CitizenReport)]
    readings = [e for e in past if isinstance(e, SensorReading)]
    assert {r.report_id for r in stored_reports} == \
        {e.report_id for e in live if isinstance(e, CitizenReport)}
    assert readings and all(r.event_id in live_ids for r in readings)  # 300 s is on the 10 s grid
    triage_ids = {e.event_id for e in past if type(e).__name__ == "ReportTriaged"}
    assert triage_ids == {triage_event_id(r) for r in stored_reports}


def test_the_crews_acknowledgements_are_ones_the_alarm_model_takes():
    events = [e for d in days(interval_s=300) for _, e in d.events if isinstance(e, Alarm)]
    assert any(e.action is AlarmAction.RAISE for e in events)
    current: dict[tuple[str, str], al.AlarmRecord] = {}
    acks = 0
    for e in sorted(events, key=lambda e: e.ts):
        key = (e.source_id, e.alarm_type)
        if e.action is AlarmAction.ACKNOWLEDGE:
            before = current[key]
            assert al.state_at(before, e.ts) in history.ACKNOWLEDGED_BY_CREW
            assert e.ts >= before.raised_at + crew.alarm_ack_after(
                SEED, str(before.alarm_id), before.raised_at)
            acks += 1
        try:
            current[key] = al.apply(current.get(key), e)
        except al.InvalidAlarmAction:
            assert e.action is not AlarmAction.ACKNOWLEDGE
    assert acks > 0


@pytest.mark.parametrize("until", [datetime(2026, 11, 24, 3, 31, tzinfo=UTC),
                                   datetime(2026, 11, 24, 16, 59, tzinfo=UTC),
                                   datetime(2026, 11, 24, 17, 0, tzinfo=UTC)])
def test_the_window_starts_at_a_local_midnight_at_least_that_many_days_back(until):
    start, end = history.window(until, 30)
    local = start.astimezone(LOCAL_TZ)
    assert end == until and (local.hour, local.minute) == (0, 0)
    assert timedelta(days=30) <= end - start < timedelta(days=31)
