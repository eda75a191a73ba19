"""Alarms from sensors, cameras and the system: the standing ones, one with its history, and the
operator's actions on them (acknowledge, shelve, unshelve, out of service and back).

An action is an event on `ioc.alerts`, judged where the alarm's events are folded (in their
order), like a report's actions; the answer waits for that verdict.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from functools import lru_cache
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from ioc import alarms as al
from ioc import events as ev
from ioc import topics as tp
from ioc.api import models
from ioc.api.deps import ClockDep, DbDep, OperatorDep, PublisherDep, ViewClockDep, ViewDbDep
from ioc.city import load_city
from ioc.db import alarm_queries
from ioc.policy import load_policy

router = APIRouter(prefix="/api/alarms", tags=["alarms"])
VERDICT_WAIT_S = 10.0
CLOSED_SHOWN = timedelta(hours=24)  # ?state=normal lists alarms closed this recently
STATE_ORDER = [ev.AlarmState.UNACK, ev.AlarmState.RTN_UNACK, ev.AlarmState.ACKED,
               ev.AlarmState.SHELVED, ev.AlarmState.SUPPRESSED, ev.AlarmState.OUT_OF_SERVICE,
               ev.AlarmState.NORMAL]


def present(record: al.AlarmRecord, row: dict, now) -> dict:
    escalate = timedelta(seconds=load_policy().alarms.escalate_after_s)
    severity = al.severity_at(record, now, escalate)
    if row.get("source_kind") == "camera" and row.get("lat") is None:
        row = {**row, **_camera_places().get(row["source_id"], {})}  # cameras: the city model
    return {**row, "state": al.state_at(record, now), "severity": severity,
            "base_severity": record.severity, "escalated": severity != record.severity}


@lru_cache(maxsize=1)
def _camera_places() -> dict[str, dict]:
    return {c.id: {"ward": c.ward, "lat": c.lat, "lon": c.lon} for c in load_city().cameras}


def _urgency(alarm: dict) -> tuple:
    """Most pressing first: state (unacknowledged first), then severity, then the oldest."""
    return (STATE_ORDER.index(alarm["state"]), -al.rank(alarm["severity"]), alarm["raised_at"])


@router.get("", response_model=models.AlarmList,
            summary="Standing alarms, the most pressing first, with counts and the flood rate")
def list_alarms(
        db: ViewDbDep, clock: ViewClockDep,
        state: Annotated[list[ev.AlarmState] | None, Query(
            description="Only these ISA-18.2 states (repeat for several); 'normal' lists the "
                        "alarms closed in the last 24 h")] = None,
        source_kind: Annotated[Literal["sensor", "camera", "system"] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500):
    now = clock.now()
    standing = [present(r, row, now) for r, row in alarm_queries.standing(db)]
    # A shelf that ran out on an alarm that had cleared leaves it normal: it is closed now.
    shown = [a for a in standing if a["state"] is not ev.AlarmState.NORMAL]
    counts = {s.value: sum(a["state"] is s for a in shown) for s in STATE_ORDER[:-1]}
    if state and ev.AlarmState.NORMAL in state:
        shown += [a for a in standing if a["state"] is ev.AlarmState.NORMAL]
        shown += [present(r, row, now) for r, row in
                  alarm_queries.closed_since(db, now - CLOSED_SHOWN, limit)]
    if state:
        shown = [a for a in shown if a["state"] in state]
    if source_kind:
        shown = [a for a in shown if a["source_kind"] == source_kind]
    policy = load_policy().alarms
    flood = al.flood_level(alarm_queries.raised_since(db, now - al.FLOOD_WINDOW), now,
                           policy.operators_on_shift, policy.flood_per_10min_per_operator)
    return {"now": now, "alarms": sorted(shown, key=_urgency)[:limit], "counts": counts,
            "flood": {"per_10min_per_operator": flood.per_10min_per_operator,
                      "limit": flood.limit, "flooding": flood.flooding,
                      "operators": policy.operators_on_shift}}


def _alarm_or_404(db, alarm_id: uuid.UUID) -> tuple[al.AlarmRecord, dict]:
    found = alarm_queries.one(db, alarm_id)
    if found is None:
        raise HTTPException(404, f"no alarm {alarm_id}; GET /api/alarms lists the standing ones")
    return found


@router.get("/{alarm_id}", response_model=models.AlarmDetail,
            summary="One alarm with its history (every event, who and when)")
def alarm_detail(alarm_id: uuid.UUID, db: DbDep, clock: ClockDep):
    record, row = _alarm_or_404(db, alarm_id)
    return {**present(record, row, clock.now()), "history": alarm_queries.history(db, alarm_id)}


class AlarmActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["acknowledge", "shelve", "unshelve", "remove_from_service",
                    "return_to_service"]
    shelve_minutes: float | None = Field(None, gt=0, description="For shelve: how long")
    note: str | None = Field(None, max_length=1000)


@router.post("/{alarm_id}/actions", response_model=models.AlarmActionAnswer,
             responses={202: {"description": "Not judged yet; it is pending"},
                        409: {"description": "The alarm's state does not allow it"}},
             summary="Acknowledge, shelve, unshelve, or take out of service and back")
def act(alarm_id: uuid.UUID, body: AlarmActionIn, db: DbDep, clock: ClockDep,
        user: OperatorDep, publisher: PublisherDep, response: Response):
    record, _row = _alarm_or_404(db, alarm_id)
    now = clock.now()
    if not al.is_open(record, now):
        raise HTTPException(409, f"this alarm is closed (back to normal at "
                                 f"{al.closed_since(record):%Y-%m-%d %H:%M} UTC); nothing to do")
    shelved_until = None
    if body.action == "shelve":
        longest = load_policy().alarms.max_shelve_s / 60
        if body.shelve_minutes is None or body.shelve_minutes > longest:
            raise HTTPException(422, f"shelving needs shelve_minutes, at most {longest:g} (one "
                                     "shift); it comes back by itself after that")
        shelved_until = now + timedelta(minutes=body.shelve_minutes)
    event = ev.Alarm(ts=now, source_id=record.source_id, source_kind=record.source_kind,
                     alarm_type=record.alarm_type, action=ev.AlarmAction(body.action),
                     actor=user.username, shelved_until=shelved_until, note=body.note)
    try:
        al.apply(record, event)  # what the state refuses now: 409 at once
    except al.InvalidAlarmAction as refused:
        raise HTTPException(409, f"cannot {body.action.replace('_', ' ')}: {refused}") from None
    publisher.publish_durably(tp.ALERTS, event)
    verdict = _verdict(db, event.event_id)
    if verdict is None:
        response.status_code = 202
        return {"event_id": event.event_id, "action": body.action, "outcome": "pending"}
    outcome, refusal, state = verdict
    if outcome == "refused":
        raise HTTPException(409, f"cannot {body.action.replace('_', ' ')}: {refusal}")
    return {"event_id": event.event_id, "action": body.action, "outcome": "applied",
            "state": state}


def _verdict(db, event_id):
    deadline = time.monotonic() + VERDICT_WAIT_S
    while True:
        db.rollback()  # a fresh snapshot each time
        found = alarm_queries.verdict(db, event_id)
        if found is not None or time.monotonic() >= deadline:
            return found
        time.sleep(0.05)
