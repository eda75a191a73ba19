"""The simulated crew's plans (simulators.crew): shifts, realistic delays, some late answers,
and the next step for a report in each state."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from ioc.accounts import AccountError, add_user, is_simulated
from simulators import crew

NOON = datetime(2026, 9, 12, 5, 0, tzinfo=UTC)  # 12:00 in Vietnam
NIGHT = datetime(2026, 9, 12, 19, 0, tzinfo=UTC)  # 02:00 in Vietnam


def test_every_hour_has_a_shift_and_every_operator_is_simulated():
    assert crew.shift_at(NOON).name == "day" and crew.shift_at(NIGHT).name == "night"
    assert crew.shift_at(datetime(2026, 9, 12, 12, 0, tzinfo=UTC)).name == "evening"  # 19:00
    assert all(is_simulated(name) for name in crew.OPERATORS)


def test_a_plan_is_the_same_every_time():
    assert crew.plan_for(7, "R-1", "urgent", NOON) == crew.plan_for(7, "R-1", "urgent", NOON)
    assert crew.plan_for(7, "R-1", "urgent", NOON) != crew.plan_for(8, "R-1", "urgent", NOON)


def late_share(received_at: datetime) -> float:
    plans = [crew.plan_for(7, f"R-{i}", "urgent", received_at) for i in range(2000)]
    return sum(p.respond_after > timedelta(hours=2) for p in plans) / len(plans)


def test_most_urgent_answers_are_in_time_but_some_are_late_more_so_at_night():
    day, night = late_share(NOON), late_share(NIGHT)
    assert 0.005 < day < 0.10 and 0.10 < night < 0.45 and night > day


def test_operators_respond_after_acknowledging():
    for i in range(500):
        p = crew.plan_for(7, f"R-{i}", "normal", NIGHT)
        assert timedelta(0) < p.acknowledge_after < p.respond_after
        assert p.operator in crew.shift_at(NIGHT).operators


@dataclass
class Row:
    report_id: str
    received_at: datetime
    status: str
    urgency: str | None = "urgent"
    department: str | None = "public_works"
    assignee: str | None = None
    first_response_at: datetime | None = None


def test_the_next_step_walks_a_report_to_resolved():
    row = Row("R-1", NOON, "triaged")
    plan = crew.plan_for(7, "R-1", "urgent", NOON)
    name = lambda code: "Công trình"  # noqa: E731
    assert crew.next_step(7, row, NOON, name) is None  # too soon
    step = crew.next_step(7, row, NOON + plan.acknowledge_after, name)
    if plan.reject:
        assert step.action == "reject"
        return
    assert (step.action, step.actor) == ("acknowledge", plan.operator)
    row = replace(row, status="acknowledged")
    assign = crew.next_step(7, row, NOON + plan.acknowledge_after, name)
    assert assign.action == "assign" and assign.body["department"] == "public_works"
    row = replace(row, assignee=assign.body["assignee"])
    respond = crew.next_step(7, row, NOON + plan.respond_after, name)
    assert respond.action == "respond" and "Công trình" in respond.body["note"]
    answered = NOON + plan.respond_after
    row = replace(row, status="responded", first_response_at=answered)
    assert crew.next_step(7, row, answered, name) is None
    assert crew.next_step(7, row, answered + plan.resolve_after, name).action == "resolve"


def test_a_late_answer_is_rated_lower_on_average():
    on_time = sum(crew.rating_for(7, f"R-{i}", True) for i in range(1000)) / 1000
    late = sum(crew.rating_for(7, f"R-{i}", False) for i in range(1000)) / 1000
    assert on_time > 4.0 > 3.5 > late


def test_only_the_crew_has_sim_names():
    class Conn:  # refused before any SQL runs
        def execute(self, *_a):
            raise AssertionError("must not reach the database")

    for name, simulated in (("sim-lan", False), ("lan", True)):
        try:
            add_user(Conn(), name, "operator", "a-long-password", simulated=simulated)
        except AccountError as refused:
            assert "sim-" in str(refused)
        else:
            raise AssertionError(f"{name} simulated={simulated} should be refused")
