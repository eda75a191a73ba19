"""The stored input streams of a time range, as recording entries (`ioc record`): citizen reports,
their lifecycle events (of the reports received in the range), sensor readings and the alarm
actions people took, each rebuilt into its event with its original id and time.

Camera frames are not kept historically (the database holds each camera's newest frame only),
so a recording made from the database has no frames.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import psycopg
from psycopg.rows import dict_row

from ioc import events as ev
from ioc import topics as tp
from ioc.recording import Entry

QUERIES = {
    tp.CITIZEN_REPORTS: (
        "SELECT event_id, ts, report_id, text, lang, lat, lon, ward, address, category_hint, "
        "source, contact, photo_url, client_key FROM citizen_reports "
        "WHERE ts >= %(since)s AND ts < %(until)s ORDER BY ts, event_id"),
    # Only the steps of reports received in the range: a replay is self-contained.
    tp.REPORT_EVENTS: (
        "SELECT e.event_id, e.ts, e.report_id, e.action, e.actor, e.note, e.details "
        "FROM report_events e JOIN citizen_reports r USING (report_id) "
        "WHERE e.ts >= %(since)s AND e.ts < %(until)s AND r.ts >= %(since)s "
        "ORDER BY e.ts, e.event_id"),
    tp.SENSOR_READINGS: (
        "SELECT event_id, ts, sensor_id, kind, value, unit FROM sensor_readings "
        "WHERE ts >= %(since)s AND ts < %(until)s ORDER BY ts, event_id"),
    tp.ALERTS: (
        "SELECT event_id, ts, source_id, source_kind, alarm_type, action, actor, severity, "
        "value, threshold, message, evidence_ref, shelved_until, note FROM alarm_events "
        "WHERE actor <> 'system' AND ts >= %(since)s AND ts < %(until)s ORDER BY ts, event_id"),
}


def _event(topic: tp.Topic, row: dict) -> ev.Event:
    if topic is tp.REPORT_EVENTS:
        details = row.pop("details") or {}
        return ev.ReportEvent(**row, **details)
    return topic.model(**{k: v for k, v in row.items() if v is not None or k == "value"})


def counts(conn: psycopg.Connection, since: datetime, until: datetime) -> dict[tp.Topic, int]:
    """How many events each topic has in the range (for the progress bar)."""
    found = {}
    for topic, query in QUERIES.items():
        table_part = query.split(" FROM ", 1)[1].split(" ORDER BY ", 1)[0]
        found[topic] = conn.execute(f"SELECT count(*) FROM {table_part}",
                                    {"since": since, "until": until}).fetchone()[0]
    return found


def entries(conn: psycopg.Connection, since: datetime, until: datetime,
            batch: int = 5000) -> Iterator[Entry]:
    for topic, query in QUERIES.items():
        with conn.cursor(name=f"export_{topic.name.replace('.', '_')}",
                         row_factory=dict_row) as cur:
            cur.itersize = batch
            cur.execute(query, {"since": since, "until": until})
            for row in cur:
                yield Entry(topic, _event(topic, dict(row)))
