"""The one SLA module: when a report's responses are due, when their warning starts, and
whether a clock is ok, in warning, breached, met or missed. Pure functions of their inputs and
`now`.

Receipt starts the clock. An urgent report is due 2 h after receipt; other levels follow the
policy file. Re-classifying to urgent makes the report due at receipt + 2 h, which may already
be past. Only a response the citizen can see stops the clock. A reopened report needs another
response, due one window after the reopening.

`instants` is computed once, by persistence, whenever a report's state changes, and stored:
the queue filters on those instants, the API serves them, Open311 and the screens read them.
Nothing else works a due time or a warning out again; `clock` only compares `now` with them.
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


class ClockKind(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESPONSE_AGAIN = "response_again"  # reopened: another response is due


def target(urgency: Urgency | None, policy: SlaPolicy) -> Target:
    """An untriaged report is held to the urgent target until triage says otherwise: it may be
    urgent, and an urgent report missed is the worst error."""
    return policy.normal if urgency == Urgency.NORMAL else policy.urgent


def due_at(received_at: datetime, urgency: Urgency | None, policy: SlaPolicy) -> datetime:
    return received_at + timedelta(hours=target(urgency, policy).respond_h)


def warn_at(start: datetime, due: datetime, policy: SlaPolicy) -> datetime:
    """The warning starts when this share of the clock's window is left."""
    return due - (due - start) * policy.warn_share_left


def respond_again_by(reopened_at: datetime, urgency: Urgency | None,
                     policy: SlaPolicy) -> datetime:
    """A reopened report (the citizen says it is not fixed) needs another response, due one
    first-response window after the reopening. The first response's own clock and its KPI
    stay as they ran."""
    return due_at(reopened_at, urgency, policy)


def resolve_due_at(received_at: datetime, urgency: Urgency | None, policy: SlaPolicy) -> datetime:
    return received_at + timedelta(hours=target(urgency, policy).resolve_h)


@dataclass(frozen=True)
class Instants:
    """Every instant a report's SLA turns on; persistence stores them with the report."""

    due_at: datetime  # the first response is due (its KPI: answered within 2 h)
    warn_at: datetime  # ... and in warning from here
    resolve_due_at: datetime
    awaiting: bool  # a response is awaited now: the first, or another after a reopening
    respond_kind: ClockKind  # which response the queue's clock is for
    respond_warn_at: datetime  # that response in warning from here,
    respond_by: datetime  # due here, breached after


def instants(received_at: datetime, urgency: Urgency | None, first_response_at: datetime | None,
             reopened_awaiting: datetime | None, policy: SlaPolicy) -> Instants:
    """`reopened_awaiting` is when a report that was reopened, and not answered since, was
    reopened (None otherwise)."""
    first_due = due_at(received_at, urgency, policy)
    first_warn = warn_at(received_at, first_due, policy)
    if reopened_awaiting is not None:
        again = respond_again_by(reopened_awaiting, urgency, policy)
        awaited = (True, ClockKind.RESPONSE_AGAIN, warn_at(reopened_awaiting, again, policy),
                   again)
    else:
        awaited = (first_response_at is None, ClockKind.FIRST_RESPONSE, first_warn, first_due)
    return Instants(first_due, first_warn, resolve_due_at(received_at, urgency, policy),
                    *awaited)


@dataclass(frozen=True)
class Clock:
    due_at: datetime
    warn_at: datetime
    state: SlaState
    left_s: float  # seconds to the due time (negative when late); frozen once responded


def clock(now: datetime, *, warn_at: datetime, due_at: datetime,
          responded_at: datetime | None = None) -> Clock:
    """A clock's state at `now`, from its stored instants."""
    if responded_at is not None:
        left = (due_at - responded_at).total_seconds()
        return Clock(due_at, warn_at, SlaState.MET if left >= 0 else SlaState.MISSED, left)
    left = (due_at - now).total_seconds()
    state = (SlaState.BREACHED if now > due_at else SlaState.WARNING if now >= warn_at
             else SlaState.OK)
    return Clock(due_at, warn_at, state, left)


def first_response(received_at: datetime, urgency: Urgency | None, responded_at: datetime | None,
                   now: datetime, policy: SlaPolicy) -> Clock:
    """The first response's clock straight from a report's facts (for callers without stored
    instants: tests, the simulators)."""
    due = due_at(received_at, urgency, policy)
    return clock(now, warn_at=warn_at(received_at, due, policy), due_at=due,
                 responded_at=responded_at)
