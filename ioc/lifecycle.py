"""Report lifecycle: which action is allowed in which state, and what a report looks like after
its events. Pure: `apply` folds one event into a report's state or refuses it with a reason.

    received → triaged → acknowledged → responded → resolved → closed
    reopened (from resolved/closed), rejected (duplicate, spam, out of scope)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from ioc.events import ReportAction, ReportEvent, ReportTriaged, Urgency


class Status(StrEnum):
    RECEIVED = "received"
    TRIAGED = "triaged"
    ACKNOWLEDGED = "acknowledged"
    RESPONDED = "responded"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    REJECTED = "rejected"


OPEN = frozenset({Status.RECEIVED, Status.TRIAGED, Status.ACKNOWLEDGED, Status.RESPONDED,
                  Status.REOPENED})
REJECT_REASONS = ("duplicate", "spam", "out_of_scope")

# action -> (states it may be taken from, state it leads to; None keeps the state)
TRANSITIONS: dict[ReportAction, tuple[frozenset[Status], Status | None]] = {
    ReportAction.ACKNOWLEDGE: (frozenset({Status.RECEIVED, Status.TRIAGED, Status.REOPENED}),
                               Status.ACKNOWLEDGED),
    ReportAction.RESPOND: (OPEN, Status.RESPONDED),
    ReportAction.ASSIGN: (OPEN, None),
    ReportAction.OVERRIDE: (OPEN | {Status.RESOLVED}, None),
    ReportAction.RESOLVE: (frozenset({Status.RESPONDED}), Status.RESOLVED),
    ReportAction.CLOSE: (frozenset({Status.RESOLVED}), Status.CLOSED),
    ReportAction.REOPEN: (frozenset({Status.RESOLVED, Status.CLOSED}), Status.REOPENED),
    ReportAction.REJECT: (OPEN - {Status.RESPONDED}, Status.REJECTED),
    ReportAction.RATE: (frozenset({Status.RESOLVED, Status.CLOSED}), None),
}


def awaits_response_again(status: Status | str, reopened_at: datetime | None) -> bool:
    """Reopened (the citizen says it is not fixed) and not answered since: acknowledging it does
    not count, only a response does (the status then moves on to responded)."""
    return reopened_at is not None and Status(status) in (Status.REOPENED, Status.ACKNOWLEDGED)


class InvalidTransition(ValueError):
    """An action the report's state does not allow; the message says why and what to do, and
    `status` is the state that refused it (None when the event itself lacks something)."""

    def __init__(self, message: str, status: Status | None = None):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Report:
    """A report's current state, folded from its triage and lifecycle events."""

    report_id: str
    received_at: datetime
    status: Status = Status.RECEIVED
    urgency: Urgency | None = None
    category: str | None = None
    department: str | None = None
    confidence: float | None = None
    cues: tuple[str, ...] = ()
    needs_review: bool = False
    overridden: bool = False
    assignee: str | None = None
    acknowledged_at: datetime | None = None
    first_response_at: datetime | None = None
    last_response: str | None = None  # what the citizen sees (Open311 status_notes)
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_at: datetime | None = None  # from then it needs another response
    rejected_reason: str | None = None
    rating: int | None = None
    updated_at: datetime | None = None
    history: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


_VERB = {ReportAction.RESPOND: "respond to"}  # "cannot respond to report R-1"

# action -> the states in which what it does is already done
_DONE: dict[ReportAction, frozenset[Status]] = {
    ReportAction.ACKNOWLEDGE: frozenset({Status.ACKNOWLEDGED, Status.RESPONDED, Status.RESOLVED,
                                         Status.CLOSED}),
    ReportAction.RESOLVE: frozenset({Status.RESOLVED, Status.CLOSED}),
    ReportAction.CLOSE: frozenset({Status.CLOSED}),
    ReportAction.REOPEN: frozenset({Status.REOPENED}),
    ReportAction.REJECT: frozenset({Status.REJECTED}),
}


def refusal(action: ReportAction, status: Status) -> str:
    """Why `action` is not allowed in `status` and what to do instead, each said once."""
    _, to = TRANSITIONS[action]
    if status in _DONE.get(action, ()):
        return (f"it is already {status.value}" if status == to
                else f"it is {status.value}, so it is already {to.value}")
    if status == Status.REJECTED:
        return "it is rejected, which is final"
    now = f"it is {status.value}"
    if action == ReportAction.RESOLVE:
        return f"{now}; respond to the citizen first (a response they can see), then resolve"
    if action == ReportAction.CLOSE:
        return (f"{now}; resolve it first" if status == Status.RESPONDED
                else f"{now}; respond to the citizen and resolve it first")
    if action == ReportAction.REOPEN:
        return f"{now} and still open; only a resolved or closed report can be reopened"
    if action == ReportAction.RATE:
        return f"{now}; the citizen can rate only after the report is resolved"
    if action == ReportAction.REJECT:
        return ("it already has a response; resolve it instead" if status == Status.RESPONDED
                else f"{now}; only an open report without a response can be rejected")
    return f"{now}; reopen it first"


def check(report: Report, event: ReportEvent) -> None:
    """Raise InvalidTransition if `event` is not allowed on `report` now."""
    allowed_from, _ = TRANSITIONS[event.action]
    if report.status not in allowed_from:
        verb = _VERB.get(event.action, event.action.value)
        raise InvalidTransition(f"cannot {verb} report {report.report_id}: "
                                f"{refusal(event.action, report.status)}", report.status)
    check_event(event)


def check_event(event: ReportEvent) -> None:
    """What an event needs whatever the report's state (a response needs words…): checked by
    the API before it publishes, and again where the event is applied."""
    if event.action == ReportAction.RESPOND and not (event.note or "").strip():
        raise InvalidTransition("a response needs the text the citizen will see (note)")
    if event.action == ReportAction.REJECT and event.reason not in REJECT_REASONS:
        raise InvalidTransition(f"reject needs a reason, one of {', '.join(REJECT_REASONS)}")
    if event.action == ReportAction.RATE and event.rating is None:
        raise InvalidTransition("a rating is a whole number from 1 to 5")
    if event.action == ReportAction.ASSIGN and not (event.department or event.assignee):
        raise InvalidTransition("assign needs a department or a person")
    if event.action == ReportAction.OVERRIDE and not (event.urgency or event.category
                                                      or event.department):
        raise InvalidTransition("override needs a new urgency, category or department")


def allowed_actions(report: Report) -> list[ReportAction]:
    return [a for a, (states, _) in TRANSITIONS.items() if report.status in states]


def apply(report: Report, event: ReportEvent) -> Report:
    """The report after `event`; raises InvalidTransition when the state does not allow it."""
    check(report, event)
    _, to = TRANSITIONS[event.action]
    changes: dict = {"updated_at": event.ts,
                     "history": (*report.history, f"{event.ts.isoformat()} {event.action.value}"
                                                  f" by {event.actor}")}
    if to is not None:
        changes["status"] = to
    a = event.action
    if a == ReportAction.ACKNOWLEDGE:
        changes["acknowledged_at"] = event.ts
    elif a == ReportAction.RESPOND:
        changes["last_response"] = event.note
        changes["first_response_at"] = report.first_response_at or event.ts
        changes["acknowledged_at"] = report.acknowledged_at or event.ts
    elif a == ReportAction.ASSIGN:
        changes["department"] = event.department or report.department
        changes["assignee"] = event.assignee or report.assignee
    elif a == ReportAction.OVERRIDE:
        changes.update(urgency=event.urgency or report.urgency,
                       category=event.category or report.category,
                       department=event.department or report.department,
                       overridden=True, needs_review=False)
    elif a == ReportAction.RESOLVE:
        changes["resolved_at"] = event.ts
    elif a == ReportAction.CLOSE:
        changes["closed_at"] = event.ts
    elif a == ReportAction.REOPEN:
        changes.update(resolved_at=None, closed_at=None, reopened_at=event.ts)
    elif a == ReportAction.REJECT:
        changes["rejected_reason"] = event.reason
    elif a == ReportAction.RATE:
        changes["rating"] = event.rating
    return replace(report, **changes)


def apply_triage(report: Report, triaged: ReportTriaged) -> Report:
    """Triage sets the classification unless an operator has overridden it."""
    changes: dict = {"updated_at": max(triaged.ts, report.updated_at or triaged.ts)}
    if report.status == Status.RECEIVED:
        changes["status"] = Status.TRIAGED
    if not report.overridden:
        changes.update(urgency=triaged.urgency, category=triaged.category,
                       department=report.department or triaged.department,
                       confidence=triaged.confidence, cues=tuple(triaged.cues),
                       needs_review=triaged.needs_review)
    return replace(report, **changes)
