"""Topics -> PostgreSQL: the only writer of stream data.

Each topic maps to a table (and some to a latest-value table). A polled batch is written in one
transaction; the consumer loop commits offsets only after that transaction commits.

Camera frames also feed a sampled archive (camera_frames, for `ioc record`): the first frame of
each camera in each slot of `frame_archive_every_s` event-time seconds, written in the same
transaction as the camera's newest-frame snapshot and pruned `frame_archive_hours` behind the
camera's own newest frame, so what is kept depends on event time only, never the wall.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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

# -- the frame archive ---------------------------------------------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PRUNE_STEP = timedelta(minutes=10)  # a camera's old frames are pruned at most this often
_US = timedelta(microseconds=1)


def frame_bucket(ts: datetime, every_s: float) -> datetime:
    """The start of the archive slot `ts` falls in: slots of `every_s` seconds from the epoch,
    in whole microseconds, so the same frame lands in the same slot on every machine."""
    step = max(1, round(every_s * 1_000_000))
    return EPOCH + _US * ((ts - EPOCH) // _US // step * step)


def archive_sample(frames: Iterable[ev.CameraFrame], every_s: float
                   ) -> dict[tuple[str, datetime], ev.CameraFrame]:
    """The frame each (camera, slot) keeps: its earliest by (ts, seq, event_id), whatever order
    the frames came in; the database applies the same rule across batches."""
    kept: dict[tuple[str, datetime], ev.CameraFrame] = {}
    for f in frames:
        slot = (f.camera_id, frame_bucket(f.ts, every_s))
        best = kept.get(slot)
        if best is None or (f.ts, f.seq, f.event_id) < (best.ts, best.seq, best.event_id):
            kept[slot] = f
    return kept


def prune_before(newest: datetime, pruned_at: datetime | None, hours: float) -> datetime | None:
    """Where a camera's archive is cut, now that its newest frame is at `newest`: `hours`
    behind it, once the camera's event time has moved `PRUNE_STEP` (or a tenth of the span,
    if less) past the last cut; None while it has not (a delete per batch would cost more than
    the rows it frees). A camera's frames age on its own clock: one with a wrong clock prunes
    only its own, and a camera that falls silent keeps its last hours, the evidence of why."""
    step = min(PRUNE_STEP, timedelta(hours=hours) / 10)
    cut = newest - timedelta(hours=hours)
    if pruned_at is not None and cut - pruned_at < step:
        return None
    return cut


class FrameArchive:
    """Samples a batch's frames into camera_frames and prunes each camera's old ones. What it
    remembers (each camera's stored slot, its last cut) spares the database frames that cannot
    win their slot and deletes that free nothing; it is taken up only once the batch's
    transaction committed (`committed`), so a batch rolled back and written again is whole."""

    UPSERT = (
        "INSERT INTO camera_frames AS f (camera_id, bucket, ts, seq, width, height, event_id, "
        "jpeg) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (camera_id, bucket) DO UPDATE "
        "SET ts = EXCLUDED.ts, seq = EXCLUDED.seq, width = EXCLUDED.width, "
        "height = EXCLUDED.height, event_id = EXCLUDED.event_id, jpeg = EXCLUDED.jpeg "
        "WHERE (EXCLUDED.ts, EXCLUDED.seq, EXCLUDED.event_id) < (f.ts, f.seq, f.event_id)")

    def __init__(self, every_s: float, hours: float) -> None:
        self.every_s, self.hours = every_s, hours
        self.stored: dict[str, tuple[datetime, ev.CameraFrame]] = {}  # camera -> newest slot
        self.pruned_at: dict[str, datetime] = {}  # camera -> its last cut
        self._pending: tuple[dict, dict] = ({}, {})

    @classmethod
    def from_settings(cls, settings: Settings) -> FrameArchive | None:
        """None when either setting is 0: the archive is off."""
        if not (settings.frame_archive_every_s > 0 and settings.frame_archive_hours > 0):
            return None
        return cls(settings.frame_archive_every_s, settings.frame_archive_hours)

    def _known_loser(self, bucket: datetime, f: ev.CameraFrame) -> bool:
        bucket_at, best = self.stored.get(f.camera_id, (None, None))
        return bucket_at == bucket and (f.ts, f.seq, f.event_id) >= (best.ts, best.seq,
                                                                     best.event_id)

    def store(self, conn, messages: list[Message]) -> None:
        """Within the caller's transaction; call `committed` once it is."""
        payload = {m.event.event_id: m.value for m in messages}
        kept = sorted((slot, f) for slot, f in archive_sample(
            (m.event for m in messages), self.every_s).items()
            if not self._known_loser(slot[1], f))
        with conn.cursor() as cur:
            cur.executemany(self.UPSERT, [
                (f.camera_id, bucket, f.ts, f.seq, f.width, f.height, f.event_id,
                 payload[f.event_id]) for (_, bucket), f in kept])
        stored = {}
        for (camera_id, bucket), f in kept:  # sorted: each camera's newest slot comes last
            if camera_id not in self.stored or bucket >= self.stored[camera_id][0]:
                stored[camera_id] = (bucket, f)
        newest: dict[str, datetime] = {}
        for m in messages:
            e = m.event
            newest[e.camera_id] = max(newest.get(e.camera_id, e.ts), e.ts)
        cuts = {}
        for camera_id, ts in sorted(newest.items()):
            cut = prune_before(ts, self.pruned_at.get(camera_id), self.hours)
            if cut is not None:
                conn.execute("DELETE FROM camera_frames WHERE camera_id = %s AND bucket < %s",
                             (camera_id, cut))
                cuts[camera_id] = cut
        self._pending = (stored, cuts)

    def committed(self) -> None:
        stored, cuts = self._pending
        self.stored.update(stored)
        self.pruned_at.update(cuts)
        self._pending = ({}, {})


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
        self.archive = FrameArchive.from_settings(settings)

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
                if name == tp.CAMERA_FRAMES.name and self.archive is not None:
                    self.archive.store(conn, messages)
            if new_report_events:
                days = report_state.fold(
                    conn, [e for e in new_report_events if isinstance(e, ev.CitizenReport)],
                    [e for e in new_report_events if not isinstance(e, ev.CitizenReport)])
                rollups.recount_report_days(conn, days)
            if new_alarm_events:
                alarm_state.fold(conn, new_alarm_events)
        if self.archive is not None and tp.CAMERA_FRAMES.name in by_topic:
            self.archive.committed()

    def close(self) -> None:
        self.conn.close()


def make_worker(settings: Settings, sink: PersistenceSink | None = None) -> Worker:
    return Worker(settings, "persistence", PERSISTED_TOPICS, sink or PersistenceSink(settings))
