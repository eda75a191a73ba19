"""The one SLA module: when a report's first response is due, how much time is left, and
whether it is ok, in warning or breached. Pure functions of their inputs and `now`.

Receipt starts the clock. An urgent report is due 2 h after receipt; other levels follow the
policy file. Re-classifying to urgent makes the report due at receipt + 2 h, which may already
be past. Only a response the citizen can see stops the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ioc.events import Urgency
from ioc.policy import SlaPolicy, Target


class SlaState(StrEnum):
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"  # responded in time: the clock has stopped
    MISSED = "missed"  # responded, but late


def target(urgency: Urgency | None, policy: SlaPolicy) -> Target:
    """An untriaged report is held to the urgent target until triage says otherwise: it may be
    urgent, and an urgent report missed is the worst error."""
    return policy.normal if urgency == Urgency.NORMAL else policy.urgent


def due_at(received_at: datetime, urgency: Urgency | None, policy: SlaPolicy) -> datetime:
    return received_at + timedelta(hours=target(urgency, policy).respond_h)


def respond_again_by(reopened_at: datetime, urgency: Urgency | None,
                     policy: SlaPolicy) -> datetime:
    """A reopened report (the citizen says it is not fixed) needs another response, due one
    first-response window after the reopening. The first response's own clock and its KPI
    stay as they ran."""
    return due_at(reopened_at, urgency, policy)


def response_clock(received_at: datetime, urgency: Urgency | None,
                   first_response_at: datetime | None, reopened_awaiting: datetime | None,
                   policy: SlaPolicy) -> tuple[bool, datetime, datetime]:
    """(awaiting a response, its clock's start, its due time): what the queue sorts and filters
    on. `reopened_awaiting` is when a report reopened and not answered since was reopened."""
    if reopened_awaiting is not None:
        return True, reopened_awaiting, respond_again_by(reopened_awaiting, urgency, policy)
    return first_response_at is None, received_at, due_at(received_at, urgency, policy)


def resolve_due_at(received_at: datetime, urgency: Urgency | None, policy: SlaPolicy) -> datetime:
    return received_at + timedelta(hours=target(urgency, policy).resolve_h)


@dataclass(frozen=True)
class Clock:
    due_at: datetime
    state: SlaState
    left_s: float  # seconds to the due time (negative when late); frozen once responded


def first_response(received_at: datetime, urgency: Urgency | None, responded_at: datetime | None,
                   now: datetime, policy: SlaPolicy) -> Clock:
    due = due_at(received_at, urgency, policy)
    if responded_at is not None:
        left = (due - responded_at).total_seconds()
        return Clock(due, SlaState.MET if left >= 0 else SlaState.MISSED, left)
    left = (due - now).total_seconds()
    window = timedelta(hours=target(urgency, policy).respond_h).total_seconds()
    if left < 0:
        state = SlaState.BREACHED
    elif left <= policy.warn_share_left * window:
        state = SlaState.WARNING
    else:
        state = SlaState.OK
    return Clock(due, state, left)
