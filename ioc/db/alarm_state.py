"""The alarms table: each alarm's current flags, folded from its events by `ioc.alarms`, written
by persistence in the same transaction as the events. Each event gets its verdict beside it
(the alarm it went to and the state it left, or why it was refused), which the API waits for.

Only newly stored events are folded, so a replayed batch changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import fields, replace

import psycopg
from psycopg.rows import dict_row

from ioc import alarms as al
from ioc import events as ev

logger = logging.getLogger(__name__)

COLUMNS = tuple(f.name for f in fields(al.AlarmRecord))


def _from_row(row: dict) -> al.AlarmRecord:
    values = {k: row[k] for k in COLUMNS}
    values["severity"] = ev.Severity(values["severity"])
    return al.AlarmRecord(**values)


def _to_row(a: al.AlarmRecord) -> tuple:
    return tuple(getattr(a, c).value if c == "severity" else getattr(a, c) for c in COLUMNS)


def open_alarms(conn: psycopg.Connection, keys: list[tuple[str, str]],
                lock: bool = False) -> dict[tuple[str, str], al.AlarmRecord]:
    if not keys:
        return {}
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT * FROM alarms WHERE closed_at IS NULL AND (source_id, alarm_type) "
                    "IN (SELECT * FROM unnest(%s::text[], %s::text[]))"
                    + (" FOR UPDATE" if lock else ""),
                    ([k[0] for k in keys], [k[1] for k in keys]))
        return {(r["source_id"], r["alarm_type"]): _from_row(r) for r in cur}


def fold(conn: psycopg.Connection, new_events: list[ev.Alarm]) -> int:
    """Fold newly stored alarm events into `alarms`. Caller holds the transaction."""
    events = sorted(new_events, key=lambda e: e.ts)
    current = open_alarms(conn, sorted({(e.source_id, e.alarm_type) for e in events}),
                          lock=True)
    touched: dict = {}
    verdicts = []  # (alarm_id, state, outcome, refusal, event_id, ts)
    for event in events:
        key = (event.source_id, event.alarm_type)
        before = current.get(key)
        try:
            after = al.apply(before, event)
        except al.InvalidAlarmAction as refused:
            verdicts.append((before.alarm_id if before else None, None, "refused", str(refused),
                             event.event_id, event.ts))
            logger.info("alarm event refused", extra={
                "source_id": event.source_id, "alarm_type": event.alarm_type,
                "action": event.action.value, "reason": str(refused)})
            continue
        if before is not None and after.alarm_id != before.alarm_id and before.closed_at is None:
            # Its shelf ran out while it was clear: it closed then, and this is a new alarm.
            touched[before.alarm_id] = replace(before, closed_at=al.closed_since(before))
        current[key] = touched[after.alarm_id] = after
        verdicts.append((after.alarm_id, al.state_at(after, event.ts).value, "applied", None,
                         event.event_id, event.ts))
    if touched:
        cols = ", ".join(COLUMNS)
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS if c != "alarm_id")
        with conn.cursor() as cur:
            # Closing ones first, so the one-open-alarm index never sees two at once.
            rows = sorted(touched.values(), key=lambda a: a.closed_at is None)
            cur.executemany(f"INSERT INTO alarms ({cols}) VALUES ({placeholders}) "
                            f"ON CONFLICT (alarm_id) DO UPDATE SET {updates}",
                            [_to_row(a) for a in rows])
    if verdicts:
        with conn.cursor() as cur:
            cur.executemany("UPDATE alarm_events SET alarm_id = %s, state = %s, outcome = %s, "
                            "refusal = %s WHERE event_id = %s AND ts = %s", verdicts)
    return len(touched)
