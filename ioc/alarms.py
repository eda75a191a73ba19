"""Alarms in ISA-18.2's state model (OPC UA Part 9 names the same states). Pure.

An alarm is one occurrence of a condition on a source (a sensor, a camera, the system). It opens
when the condition becomes active and closes once the condition is back to normal and someone
has acknowledged it, so a source has at most one open alarm of each type. A condition that comes
back before that re-opens the same alarm; one that comes back later is a new alarm.

Its state is not stored but read from its flags at a moment, because shelving ends by the clock:

    out of service, then suppressed by design, then shelved (until it expires), then
    active and unacknowledged  -> unacknowledged
    active and acknowledged    -> acknowledged
    clear and unacknowledged   -> returned to normal, unacknowledged
    clear and acknowledged     -> normal

While an alarm is hidden from the operator (shelved, suppressed, out of service), a condition
that clears needs no acknowledgement: nobody was shown it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ioc.events import Alarm, AlarmAction, AlarmState, Severity

ALARM_NAMESPACE = uuid.UUID("3a8e5f0c-2b7d-4c61-9e4a-7d15b0c2f9a3")
SEVERITY_ORDER = (Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)
# What the operator still has to look at; NORMAL is done with.
STANDING = frozenset(AlarmState) - {AlarmState.NORMAL}
FLOOD_WINDOW = timedelta(minutes=10)


class InvalidAlarmAction(ValueError):
    """An action the alarm's state does not allow; the message says why."""


@dataclass(frozen=True)
class AlarmRecord:
    """One alarm, folded from its events."""

    alarm_id: uuid.UUID
    source_id: str
    source_kind: str
    alarm_type: str
    severity: Severity
    raised_at: datetime
    annunciated_at: datetime  # when it last became unacknowledged: escalation counts from here
    updated_at: datetime
    active: bool = True
    acked: bool = False
    shelved_until: datetime | None = None
    shelved_by: str | None = None
    suppressed: bool = False
    out_of_service: bool = False
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    cleared_at: datetime | None = None
    closed_at: datetime | None = None
    value: float | None = None
    threshold: float | None = None
    message: str = ""
    evidence_ref: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.source_id, self.alarm_type


def rank(severity: Severity) -> int:
    return SEVERITY_ORDER.index(severity)


def shelved_at(a: AlarmRecord, now: datetime) -> bool:
    return a.shelved_until is not None and now < a.shelved_until


def hidden_at(a: AlarmRecord, now: datetime) -> bool:
    """Not shown to the operator as needing action: shelved, suppressed or out of service."""
    return a.out_of_service or a.suppressed or shelved_at(a, now)


def state_at(a: AlarmRecord, now: datetime) -> AlarmState:
    if a.out_of_service:
        return AlarmState.OUT_OF_SERVICE
    if a.suppressed:
        return AlarmState.SUPPRESSED
    if shelved_at(a, now):
        return AlarmState.SHELVED
    if a.active:
        return AlarmState.ACKED if a.acked else AlarmState.UNACK
    return AlarmState.NORMAL if a.acked else AlarmState.RTN_UNACK


def is_open(a: AlarmRecord, now: datetime) -> bool:
    """Open until it is back to normal: a closed alarm never opens again."""
    return a.closed_at is None and state_at(a, now) is not AlarmState.NORMAL


def closed_since(a: AlarmRecord) -> datetime:
    """When an alarm that is no longer open became normal: a shelf that ran out counts."""
    if a.closed_at is not None:
        return a.closed_at
    return max(t for t in (a.updated_at, a.shelved_until) if t is not None)


def severity_at(a: AlarmRecord, now: datetime, escalate_after: timedelta) -> Severity:
    """An alarm nobody acknowledges rises one severity per `escalate_after`, up to critical."""
    if state_at(a, now) is not AlarmState.UNACK:
        return a.severity
    steps = int((now - a.annunciated_at) / escalate_after)
    return SEVERITY_ORDER[min(len(SEVERITY_ORDER) - 1, rank(a.severity) + max(0, steps))]


def alarm_id_for(raise_event: Alarm) -> uuid.UUID:
    """An alarm's id comes from the event that opened it, so a replay opens the same alarm."""
    return uuid.uuid5(ALARM_NAMESPACE, str(raise_event.event_id))


def opened_by(event: Alarm) -> AlarmRecord:
    if event.action is not AlarmAction.RAISE:
        raise InvalidAlarmAction(
            f"there is no open {event.alarm_type} alarm on {event.source_id} to "
            f"{event.action.value.replace('_', ' ')}")
    return AlarmRecord(
        alarm_id=alarm_id_for(event), source_id=event.source_id, source_kind=event.source_kind,
        alarm_type=event.alarm_type, severity=event.severity, raised_at=event.ts,
        annunciated_at=event.ts, updated_at=event.ts, value=event.value,
        threshold=event.threshold, message=event.message, evidence_ref=event.evidence_ref)


def apply(a: AlarmRecord | None, event: Alarm) -> AlarmRecord:
    """The alarm after `event`: the open one it belongs to, or a new one when none is open.
    Raises InvalidAlarmAction for what the state does not allow."""
    if a is None or not is_open(a, event.ts):
        return opened_by(event)
    t = event.ts
    match event.action:
        case AlarmAction.RAISE:
            # Back from clear, or worse than before: the operator must see it again.
            again = not a.active or rank(event.severity) > rank(a.severity)
            a = replace(a, active=True, cleared_at=None, severity=event.severity,
                        value=event.value, threshold=event.threshold,
                        message=event.message or a.message,
                        evidence_ref=event.evidence_ref or a.evidence_ref)
            if again and not hidden_at(a, t):
                a = replace(a, acked=False, acknowledged_at=None, acknowledged_by=None,
                            annunciated_at=t)
            elif again:
                a = replace(a, acked=False, annunciated_at=t)
        case AlarmAction.CLEAR:
            if not a.active:
                return a  # the detector said it twice
            a = replace(a, active=False, cleared_at=t, value=event.value)
            if hidden_at(a, t):
                a = replace(a, acked=True)  # never shown, so nothing to acknowledge
        case AlarmAction.ACKNOWLEDGE:
            if a.acked:
                raise InvalidAlarmAction(
                    f"already acknowledged by {a.acknowledged_by} at {a.acknowledged_at:%H:%M:%S}"
                    " UTC" if a.acknowledged_by else "already acknowledged")
            a = replace(a, acked=True, acknowledged_at=t, acknowledged_by=event.actor)
        case AlarmAction.SHELVE:
            if a.out_of_service:
                raise InvalidAlarmAction("it is out of service; return it to service first")
            if event.shelved_until <= t:
                raise InvalidAlarmAction("shelved_until must be in the future")
            a = replace(a, shelved_until=event.shelved_until, shelved_by=event.actor)
        case AlarmAction.UNSHELVE:
            if not shelved_at(a, t):
                raise InvalidAlarmAction("it is not shelved")
            a = replace(a, shelved_until=t, shelved_by=None)
        case AlarmAction.SUPPRESS:
            a = replace(a, suppressed=True)
        case AlarmAction.UNSUPPRESS:
            a = replace(a, suppressed=False)
        case AlarmAction.REMOVE_FROM_SERVICE:
            if a.out_of_service:
                raise InvalidAlarmAction("it is already out of service")
            a = replace(a, out_of_service=True)
        case AlarmAction.RETURN_TO_SERVICE:
            if not a.out_of_service:
                raise InvalidAlarmAction("it is in service")
            a = replace(a, out_of_service=False)
    a = replace(a, updated_at=t)
    if state_at(a, t) is AlarmState.NORMAL:
        a = replace(a, closed_at=t)
    return a


@dataclass(frozen=True)
class FloodLevel:
    """New alarms per 10 minutes per operator against what one operator can handle."""

    per_10min_per_operator: float
    limit: float

    @property
    def flooding(self) -> bool:
        return self.per_10min_per_operator > self.limit


def flood_level(raised: Iterable[datetime], now: datetime, operators: int,
                limit: float) -> FloodLevel:
    recent = sum(1 for t in raised if now - FLOOD_WINDOW < t <= now)
    return FloodLevel(round(recent / max(1, operators), 2), limit)
