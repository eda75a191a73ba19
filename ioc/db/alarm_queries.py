"""Reading alarms for the API: the open ones, recent closed ones, one alarm's history."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ioc import alarms as al
from ioc import events as ev
from ioc.db.alarm_state import COLUMNS

_PLACE = ("SELECT a.*, s.ward, s.lat, s.lon, s.kind AS sensor_kind FROM alarms a "
          "LEFT JOIN sensors s ON s.sensor_id = a.source_id ")


def _record(row: dict) -> al.AlarmRecord:
    values = {k: row[k] for k in COLUMNS}
    values["severity"] = ev.Severity(values["severity"])
    return al.AlarmRecord(**values)


def standing(conn: sa.Connection) -> list[tuple[al.AlarmRecord, dict]]:
    """Alarms not closed yet, each with where its source is."""
    rows = conn.execute(sa.text(_PLACE + "WHERE a.closed_at IS NULL")).mappings()
    return [(_record(r), dict(r)) for r in rows]


def closed_since(conn: sa.Connection, since: datetime,
                 limit: int) -> list[tuple[al.AlarmRecord, dict]]:
    rows = conn.execute(sa.text(_PLACE + "WHERE a.closed_at >= :since ORDER BY a.closed_at DESC "
                                "LIMIT :limit"), {"since": since, "limit": limit}).mappings()
    return [(_record(r), dict(r)) for r in rows]


def one(conn: sa.Connection, alarm_id) -> tuple[al.AlarmRecord, dict] | None:
    row = conn.execute(sa.text(_PLACE + "WHERE a.alarm_id = :id"),
                       {"id": alarm_id}).mappings().first()
    return (_record(row), dict(row)) if row else None


def history(conn: sa.Connection, alarm_id) -> list[dict]:
    return [dict(r) for r in conn.execute(sa.text(
        "SELECT event_id, ts, action, actor, severity, value, threshold, message, shelved_until, "
        "note, state, outcome, refusal FROM alarm_events WHERE alarm_id = :id ORDER BY ts, "
        "event_id"), {"id": alarm_id}).mappings()]


def raised_since(conn: sa.Connection, since: datetime) -> list[datetime]:
    """When each alarm raised after `since` opened: the alarm-flood rate counts these."""
    return list(conn.execute(sa.text("SELECT raised_at FROM alarms WHERE raised_at > :since"),
                             {"since": since}).scalars())


def verdict(conn: sa.Connection, event_id) -> tuple[str, str | None, str | None] | None:
    row = conn.execute(sa.text("SELECT outcome, refusal, state FROM alarm_events "
                               "WHERE event_id = :id"), {"id": event_id}).first()
    return (row[0], row[1], row[2]) if row and row[0] else None
