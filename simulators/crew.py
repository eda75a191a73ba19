"""A simulated control-room crew, so the default city is alive on its first start: operators who
acknowledge, answer, assign and resolve citizen reports and acknowledge alarms, and citizens who
rate some of the answers.

They act through the same API and events as people do, as accounts named `sim-…` (marked as
simulated on screen and in the audit trail). What each one does to a report, and when, is a pure
function of the seed, the report and when it arrived (`plan_for`): the day shift is quicker than
the night shift, and some answers come late, so the city has breaches as real ones do.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from ioc.accounts import SIMULATED_PREFIX
from simulators.rhythm import local_hour


@dataclass(frozen=True)
class Shift:
    name: str
    start_h: int  # local hour it starts
    operators: tuple[str, ...]
    pace: float  # delays are multiplied by this: the night shift is thinner and slower


SHIFTS = (
    Shift("day", 7, ("sim-lan", "sim-minh", "sim-hoa"), 1.0),
    Shift("evening", 15, ("sim-tuan", "sim-thao"), 1.4),
    Shift("night", 23, ("sim-khoa",), 2.2),
)
OPERATORS = tuple(name for s in SHIFTS for name in s.operators)
assert all(name.startswith(SIMULATED_PREFIX) for name in OPERATORS)

# Median minutes from receipt (lognormal, spread sigma), before the shift's pace.
ACKNOWLEDGE_MIN = {"urgent": (3.0, 0.7), "normal": (12.0, 0.8)}
RESPOND_MIN = {"urgent": (38.0, 0.55), "normal": (240.0, 0.6)}  # first response
RESOLVE_MIN = {"urgent": (150.0, 0.6), "normal": (1200.0, 0.7)}  # after the response
REJECT_SHARE = 0.03  # duplicates and spam among what citizens send
RATED_SHARE = 0.45  # citizens who rate a resolved report
RATE_AFTER_MIN = (180.0, 0.8)
ALARM_ACK_MIN = (4.0, 0.7)
# Ratings: most answered citizens are satisfied; a late answer shifts them down.
RATINGS_ON_TIME = ((5, .52), (4, .36), (3, .07), (2, .03), (1, .02))
RATINGS_LATE = ((5, .15), (4, .30), (3, .25), (2, .18), (1, .12))

RESPONSES = {
    "vi": "Trung tâm đã tiếp nhận phản ánh và chuyển {department} xử lý. Cán bộ đang kiểm tra "
          "hiện trường; kết quả sẽ được cập nhật tại đây.",
}


def shift_at(at: datetime) -> Shift:
    hour = local_hour(at)
    for shift in SHIFTS:
        end = (shift.start_h + 8) % 24
        inside = (shift.start_h <= hour < end) if shift.start_h < end else \
            (hour >= shift.start_h or hour < end)
        if inside:
            return shift
    raise AssertionError("the shifts cover the day")


def _rng(seed: int, *key: object) -> random.Random:
    return random.Random(":".join(str(k) for k in (seed, "crew", *key)))


def _minutes(rng: random.Random, median_sigma: tuple[float, float], pace: float) -> timedelta:
    median, sigma = median_sigma
    return timedelta(minutes=median * pace * math.exp(rng.gauss(0, sigma)))


def _weighted(rng: random.Random, table: tuple[tuple[int, float], ...]) -> int:
    x, acc = rng.random(), 0.0
    for value, share in table:
        acc += share
        if x < acc:
            return value
    return table[-1][0]


@dataclass(frozen=True)
class Plan:
    """What the crew does to one report, as offsets from its receipt."""

    operator: str
    acknowledge_after: timedelta
    respond_after: timedelta
    resolve_after: timedelta  # after the response
    reject: str | None  # duplicate or spam: rejected instead of answered
    rated: bool
    rate_after: timedelta  # after resolution


def plan_for(seed: int, report_id: str, urgency: str | None, received_at: datetime) -> Plan:
    """Pure: the same report always gets the same plan."""
    level = "urgent" if urgency == "urgent" else "normal"
    rng = _rng(seed, report_id)
    shift = shift_at(received_at)
    operator = rng.choice(shift.operators)
    ack = _minutes(rng, ACKNOWLEDGE_MIN[level], shift.pace)
    respond = max(ack + timedelta(minutes=1), _minutes(rng, RESPOND_MIN[level], shift.pace))
    resolve = _minutes(rng, RESOLVE_MIN[level], 1.0)
    reject = rng.choice(("duplicate", "spam")) if rng.random() < REJECT_SHARE else None
    rated = rng.random() < RATED_SHARE
    return Plan(operator, ack, respond, resolve, reject, rated,
                _minutes(rng, RATE_AFTER_MIN, 1.0))


def rating_for(seed: int, report_id: str, answered_in_time: bool) -> int:
    return _weighted(_rng(seed, report_id, "rating"),
                     RATINGS_ON_TIME if answered_in_time else RATINGS_LATE)


def alarm_ack_after(seed: int, alarm_id: str, raised_at: datetime) -> timedelta:
    return _minutes(_rng(seed, alarm_id), ALARM_ACK_MIN, shift_at(raised_at).pace)


@dataclass(frozen=True)
class Step:
    """One thing to do now: `action` on `report_id` as `actor` (a sim operator or the citizen)."""

    report_id: str
    action: str
    actor: str
    body: dict


def next_step(seed: int, row, now: datetime, department_name) -> Step | None:
    """What the crew does next to an open report (a queue row), if anything is due by `now`.
    One step per report per call: the next call sees the state it led to."""
    plan = plan_for(seed, row.report_id, row.urgency, row.received_at)
    status = row.status.value if hasattr(row.status, "value") else row.status
    since = now - row.received_at
    if status in ("received", "triaged", "reopened"):
        if since >= plan.acknowledge_after:
            if plan.reject and status != "reopened":
                return Step(row.report_id, "reject", plan.operator, {"reason": plan.reject})
            return Step(row.report_id, "acknowledge", plan.operator, {})
        return None
    if status == "acknowledged":
        if row.assignee is None and row.department:
            return Step(row.report_id, "assign", plan.operator,
                        {"department": row.department,
                         "assignee": f"Tổ {department_name(row.department)}"})
        if since >= plan.respond_after:
            text = RESPONSES["vi"].format(department=department_name(row.department))
            return Step(row.report_id, "respond", plan.operator, {"note": text})
        return None
    if status == "responded" and row.first_response_at is not None:
        if now - row.first_response_at >= plan.resolve_after:
            return Step(row.report_id, "resolve", plan.operator,
                        {"note": "Đã xử lý xong. Cảm ơn người dân đã phản ánh."})
    return None
