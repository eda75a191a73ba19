"""Topics -> PostgreSQL: the only writer of stream data.

Each topic maps to a table (and some to a latest-value table). A polled batch is written in one
transaction; the consumer loop commits offsets only after that transaction commits.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ioc import events as ev
from ioc import topics as tp
from ioc.config import Settings
from ioc.db import alarm_state, report_state, rollups, writes
from ioc.db.session import connect
from ioc.db.storage import Partitions, day_of, timescale_in_use
from ioc.worker import Message, Worker

logger = logging.getLogger(__name__)

Row = Callable[[Message], tuple]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    row: Row
    partitioned: bool = False
    latest_key: tuple[str, ...] = ()  # set: keep only the newest row per key (upsert)


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _sensor(m: Message) -> tuple:
    e: ev.SensorReading = m.event
    return (e.event_id, e.ts, e.sensor_id, e.kind.value, e.value, e.unit)


def _sensor_latest(m: Message) -> tuple:
    e: ev.SensorReading = m.event
    return (e.sensor_id, e.event_id, e.ts, e.kind.value, e.value, e.unit)


def _frame(m: Message) -> tuple:
    e: ev.CameraFrame = m.event
    return (e.camera_id, e.event_id, e.ts, e.seq, e.width, e.height, m.value)


def _snapshot(m: Message) -> tuple:
    e: ev.Snapshot = m.event
    return (e.event_id, e.ts, e.camera_id, e.frame_seq, e.width, e.height, e.caption, m.value)


def _report(m: Message) -> tuple:
    e: ev.CitizenReport = m.event
    return (e.report_id, e.event_id, e.ts, e.text, e.lang, e.lat, e.lon, e.ward, e.address,
            e.category_hint, e.source.value, e.contact, e.photo_url, e.client_key)


def _triage(m: Message) -> tuple:
    e: ev.ReportTriaged = m.event
    return (e.event_id, e.ts, e.report_id, e.urgency.value, e.category, e.department,
            e.confidence, _json(e.cues), e.needs_review, e.model_version)


def _report_event(m: Message) -> tuple:
    e: ev.ReportEvent = m.event
    details = e.model_dump(mode="json", exclude_none=True, exclude={
        "event_id", "ts", "schema_version", "report_id", "action", "actor", "note"})
    return (e.event_id, e.ts, e.report_id, e.action.value, e.actor, e.note, _json(details))


def _detections(m: Message) -> tuple:
    e: ev.Detections = m.event
    boxes = [b.model_dump(mode="json") for b in e.boxes]
    return (e.event_id, e.ts, e.camera_id, e.frame_seq, e.model, _json(boxes), len(boxes))


def _traffic(m: Message) -> tuple:
    e: ev.TrafficMetric = m.event
    return (e.event_id, e.ts, e.camera_id, e.window_start, _json(e.counts), _json(e.crossings),
            e.occupancy, e.congestion_index, e.average_speed_kmh)


def _alarm(m: Message) -> tuple:
    e: ev.Alarm = m.event
    return (e.event_id, e.ts, e.source_id, e.source_kind, e.alarm_type, e.action.value, e.actor,
            e.severity.value if e.severity else None, e.value, e.threshold, e.message,
            e.evidence_ref, e.shelved_until, e.note)


def _deadletter(m: Message) -> tuple:
    e: ev.DeadLetter = m.event
    return (e.event_id, e.ts, e.reason, e.source_topic, e.source_partition, e.source_offset,
            e.key, e.raw_b64, e.raw_bytes, e.worker)


def _heartbeat(m: Message) -> tuple:
    e: ev.Heartbeat = m.event
    return (e.worker, e.instance, e.event_id, e.ts, e.started_at, e.processed, e.dead_lettered,
            e.lag_s, e.caught_up)


TABLES: dict[str, list[Table]] = {
    tp.SENSOR_READINGS.name: [
        Table("sensor_readings", ("event_id", "ts", "sensor_id", "kind", "value", "unit"),
              _sensor, partitioned=True),
        Table("sensor_latest", ("sensor_id", "event_id", "ts", "kind", "value", "unit"),
              _sensor_latest, latest_key=("sensor_id",)),
    ],
    tp.CAMERA_FRAMES.name: [
        Table("camera_snapshots", ("camera_id", "event_id", "ts", "seq", "width", "height",
                                   "jpeg"), _frame, latest_key=("camera_id",)),
    ],
    tp.CITIZEN_REPORTS.name: [
        Table("citizen_reports", ("report_id", "event_id", "ts", "text", "lang", "lat", "lon",
                                  "ward", "address", "category_hint", "source", "contact",
                                  "photo_url", "client_key"), _report),
    ],
    tp.REPORTS_TRIAGED.name: [
        Table("report_triage", ("event_id", "ts", "report_id", "urgency", "category",
                                "department", "confidence", "cues", "needs_review",
                                "model_version"), _triage),
    ],
    tp.REPORT_EVENTS.name: [
        Table("report_events", ("event_id", "ts", "report_id", "action", "actor", "note",
                                "details"), _report_event),
    ],
    tp.VISION_DETECTIONS.name: [
        Table("detections", ("event_id", "ts", "camera_id", "frame_seq", "model", "boxes",
                             "n_boxes"), _detections, partitioned=True),
    ],
    tp.TRAFFIC_METRICS.name: [
        Table("traffic_metrics", ("event_id", "ts", "camera_id", "window_start", "counts",
                                  "crossings", "occupancy", "congestion_index",
                                  "average_speed_kmh"), _traffic, partitioned=True),
    ],
    tp.VISION_SNAPSHOTS.name: [
        Table("vision_snapshots", ("event_id", "ts", "camera_id", "frame_seq", "width", "height",
                                   "caption", "jpeg"), _snapshot),
    ],
    tp.ALERTS.name: [
        Table("alarm_events", ("event_id", "ts", "source_id", "source_kind", "alarm_type",
                               "action", "actor", "severity", "value", "threshold", "message",
                               "evidence_ref", "shelved_until", "note"), _alarm,
              partitioned=True),
    ],
    tp.DEADLETTER.name: [
        Table("deadletters", ("event_id", "ts", "reason", "source_topic", "source_partition",
                              "source_offset", "key", "raw_b64", "raw_bytes", "worker"),
              _deadletter),
    ],
    tp.HEARTBEATS.name: [
        Table("worker_status", ("worker", "instance", "event_id", "ts", "started_at",
                                "processed", "dead_lettered", "lag_s", "caught_up"),
              _heartbeat, latest_key=("worker", "instance")),
    ],
}

PERSISTED_TOPICS = tuple(tp.BY_NAME[name] for name in TABLES)
# Their new rows are folded into report_state (the operator queue) in the same transaction.
REPORT_TOPICS = {tp.CITIZEN_REPORTS.name, tp.REPORTS_TRIAGED.name, tp.REPORT_EVENTS.name}


def _first_receipts(messages: list[Message]) -> list[Message]:
    """A report submitted twice (same idempotency key, so same report_id) keeps its first
    receipt time: within a batch, the earliest wins; across batches, the one already stored."""
    first: dict[str, Message] = {}
    for m in sorted(messages, key=lambda m: m.event.ts):
        first.setdefault(m.event.report_id, m)
    return list(first.values())


class PersistenceSink:
    """Writes a batch of messages to their tables in one transaction."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.conn = connect(settings, autocommit=True)
        self.partitions = Partitions()
        # On TimescaleDB the hourly rollup is a continuous aggregate: Timescale keeps it.
        self.keep_rollups = not timescale_in_use(lambda q: self.conn.execute(q).fetchone()[0])

    def __call__(self, batch: list[Message]) -> None:
        by_topic: dict[str, list[Message]] = defaultdict(list)
        for m in batch:
            by_topic[m.topic.name].append(m)
        conn = self.conn
        for name, messages in by_topic.items():
            for table in TABLES[name]:
                if table.partitioned:
                    self.partitions.ensure(conn, table.name, {day_of(m.event.ts)
                                                              for m in messages})
        new_report_events: list[ev.Event] = []
        new_alarm_events: list[ev.Alarm] = []
        with conn.transaction():
            for name in TABLES:  # registry order: reports before the events that refer to them
                messages = by_topic.get(name)
                if not messages:
                    continue
                if name == tp.CITIZEN_REPORTS.name:
                    messages = _first_receipts(messages)
                for table in TABLES[name]:
                    rows = [table.row(m) for m in messages]
                    if table.latest_key:
                        writes.upsert_latest(conn, table.name, table.latest_key, table.columns,
                                             rows)
                    elif name in REPORT_TOPICS:
                        new = writes.insert_new(conn, table.name, table.columns, rows,
                                                returning="event_id")
                        new_report_events += [m.event for m in messages if m.event.event_id in new]
                    elif name == tp.SENSOR_READINGS.name and self.keep_rollups:
                        new = writes.insert_new(conn, table.name, table.columns, rows,
                                                returning="event_id")
                        # Once per stored reading, even if a batch carried it twice.
                        rollups.add_readings(conn, {m.event.event_id: m.event for m in messages
                                                    if m.event.event_id in new}.values())
                    elif name == tp.ALERTS.name:
                        new = writes.insert_new(conn, table.name, table.columns, rows,
                                                returning="event_id")
                        new_alarm_events += [m.event for m in messages if m.event.event_id in new]
                    else:
                        writes.insert_new(conn, table.name, table.columns, rows)
            if new_report_events:
                days = report_state.fold(
                    conn, [e for e in new_report_events if isinstance(e, ev.CitizenReport)],
                    [e for e in new_report_events if not isinstance(e, ev.CitizenReport)])
                rollups.recount_report_days(conn, days)
            if new_alarm_events:
                alarm_state.fold(conn, new_alarm_events)

    def close(self) -> None:
        self.conn.close()


def make_worker(settings: Settings, sink: PersistenceSink | None = None) -> Worker:
    return Worker(settings, "persistence", PERSISTED_TOPICS, sink or PersistenceSink(settings))
