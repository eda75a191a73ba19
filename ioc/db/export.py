"""The stored input streams of a time range, as recording entries (`ioc record`): citizen reports,
their lifecycle events (of the reports received in the range), sensor readings, the alarm
actions people took, and camera frames, each rebuilt into its event with its original id and
time.

The frames are the frame archive's (camera_frames, kept by persistence): one per camera every
IOC_FRAME_ARCHIVE_EVERY_S seconds of event time, for the last IOC_FRAME_ARCHIVE_HOURS, with
their JPEG bytes; a range older than that, or a city with the archive off, records no frames.
(camera_snapshots keeps only each camera's newest frame.) The streams are merged in event-time
order as they are read, so a recording's frames are never all held in memory at once.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from ioc import events as ev
from ioc import recording
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
    tp.CAMERA_FRAMES: (
        "SELECT event_id, ts, camera_id, seq, width, height, jpeg FROM camera_frames "
        "WHERE ts >= %(since)s AND ts < %(until)s ORDER BY ts, camera_id"),
}
# Rows fetched per round trip: frames are ~12 KB each, the rest a few hundred bytes.
BATCH = {tp.CAMERA_FRAMES: 200}


def _entry(topic: tp.Topic, row: dict) -> Entry:
    if topic is tp.REPORT_EVENTS:
        details = row.pop("details") or {}
        return Entry(topic, ev.ReportEvent(**row, **details))
    if topic is tp.CAMERA_FRAMES:
        jpeg = bytes(row.pop("jpeg"))
        return Entry(topic, ev.CameraFrame(**row), jpeg)
    return Entry(topic, topic.model(**{k: v for k, v in row.items()
                                       if v is not None or k == "value"}))


def counts(conn: psycopg.Connection, since: datetime, until: datetime) -> dict[tp.Topic, int]:
    """How many events each topic has in the range (for the progress bar)."""
    found = {}
    for topic, query in QUERIES.items():
        table_part = query.split(" FROM ", 1)[1].split(" ORDER BY ", 1)[0]
        found[topic] = conn.execute(f"SELECT count(*) FROM {table_part}",
                                    {"since": since, "until": until}).fetchone()[0]
    return found


def _rows(conn: psycopg.Connection, topic: tp.Topic, since: datetime, until: datetime,
          batch: int) -> Iterator[Entry]:
    with conn.cursor(name=f"export_{topic.name.replace('.', '_')}",
                     row_factory=dict_row) as cur:
        cur.itersize = BATCH.get(topic, batch)
        cur.execute(QUERIES[topic], {"since": since, "until": until})
        for row in cur:
            yield _entry(topic, dict(row))


def entries(conn: psycopg.Connection, since: datetime, until: datetime,
            batch: int = 5000) -> Iterator[Entry]:
    """Every topic's events in one event-time order (ties in the order of QUERIES, as a stable
    sort of them all would have it): ready for `recording.write(..., ordered=True)`."""
    return heapq.merge(*(_rows(conn, topic, since, until, batch) for topic in QUERIES),
                       key=lambda e: e.event.ts)


def record(conn: psycopg.Connection, path: Path, since: datetime, until: datetime, *,
           frames_every_s: float | None = None,
           advance: Callable[[], None] | None = None) -> recording.Manifest:
    """Write the range's streams to the recording at `path` (what `ioc record` does), calling
    `advance` as each event is written (`counts` gives the total for a bar). `frames_every_s`:
    the archive's slot (settings.frame_archive_every_s), noted in the manifest with frames."""
    def counted() -> Iterator[Entry]:
        for entry in entries(conn, since, until):
            if advance is not None:
                advance()
            yield entry

    return recording.write(path, counted(), source="record", ordered=True,
                           frames_every_s=frames_every_s)
