"""The vision worker: camera frames in; detections, traffic metrics and incident alarms out.

A poll's frames from every camera go through the detector as one batch, then each camera's own
pipeline (tracker, line counter, windows, incidents) in frame order. The sink publishes what
the batch produced and waits for the broker before it returns, so the loop commits the frames'
offsets only once their results are durable. Every event id is derived from what it describes
(camera and frame, camera and window, incident), so a batch replayed after a crash publishes the
same events again, which persistence stores once.

A frame that cannot be used (corrupt or cut-short JPEG, pixels that do not match its header) is
dead-lettered with the reason and the other frames go on. A camera silent for longer than the
policy allows raises a `camera_offline` alarm, cleared by its next frame; a silence no one saw
while it lasted (the worker was down, or a replay ran faster than any tick could look) raises
and clears the same two alarms when the next frame shows the gap, so every speed of a replay
gives the same alarms. Each incident alarm carries an annotated snapshot of the frame that
raised it (`ioc.vision.snapshots`).

In a replay (`cameras` given) only the recording's cameras are watched, each from its first
frame in the recording (what came before is not known) and at the pace its frames were recorded
(a frame archive keeps one every few seconds, whatever the live fps); silence is judged on the
stream's clock: behind it by a lateness while it plays, and over the whole stream once it is
all in, which the replay waits for (`StreamClock.judge`).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from analytics.vision.detector import CLASSES, Detector, decode_jpeg
from analytics.vision.incidents import IncidentChange, IncidentKind
from analytics.vision.pipeline import CameraPipeline
from analytics.vision.tracking import TrackedBox
from ioc import events as ev
from ioc import road_users, status
from ioc import topics as tp
from ioc.camera_views import CameraView
from ioc.clock import Clock
from ioc.config import Settings
from ioc.kafka import Publisher
from ioc.policy import load_policy
from ioc.worker import Message, Worker, dead_letter

logger = logging.getLogger(__name__)

WORKER_NAME = "vision"
PUBLISH_TIMEOUT_S = 30.0
MAX_BATCH = 16  # frames per model call: a poll's frames go in chunks of this many
DETECTIONS_NAMESPACE = uuid.UUID("3c8e5b1a-9f42-4d67-b0e3-7a1d2c6f4e85")
ALARM_NAMESPACE = uuid.UUID("b6a4d2e8-1c3f-4a5b-9e7d-0f2c8a4b6d13")

SEVERITY = {IncidentKind.CRASH: ev.Severity.HIGH, IncidentKind.STALLED: ev.Severity.MEDIUM,
            IncidentKind.WRONG_WAY: ev.Severity.MEDIUM, IncidentKind.CONGESTION: ev.Severity.LOW}
WORDS = {IncidentKind.CRASH: "Nghi va chạm: hai xe dừng đột ngột / Crash-like stop of two vehicles",
         IncidentKind.STALLED: "Xe chết máy trên làn / Stalled vehicle in a lane",
         IncidentKind.WRONG_WAY: "Xe đi ngược chiều / Wrong-way vehicle",
         IncidentKind.CONGESTION: "Ùn tắc bắt đầu / Congestion building up"}
OFFLINE = "camera_offline"


@dataclass
class _Frame:
    message: Message
    image: np.ndarray  # decoded as small as the model allows: `scale` times smaller
    scale: int


class VisionSink:
    def __init__(self, settings: Settings, detector: Detector, publisher: Publisher,
                 clock: Clock, views: dict[str, CameraView] | None = None,
                 cameras: list[str] | None = None,
                 last_seen: dict[str, datetime] | None = None,
                 offline: set[str] | None = None,
                 intervals: Mapping[str, float | None] | None = None) -> None:
        """`intervals`: seconds between a camera's frames where they are not the live
        camera_fps (a replay's recording); its staleness and its tracker go by them."""
        self.settings = settings
        self.detector = detector
        self.publisher = publisher
        self.clock = clock
        self.views = views or {}
        self.pipelines: dict[str, CameraPipeline] = {}
        policy = load_policy()
        self.stale_after = status.camera_stale_after(policy, settings.camera_fps,
                                                     settings.scenario_speed)
        self.fps = {cid: 1 / gap for cid, gap in (intervals or {}).items() if gap and gap > 0}
        self.stale = {cid: status.camera_stale_after(policy, fps, 1.0)
                      for cid, fps in self.fps.items()}
        # Cameras watched for silence: the city's, and any that ever sent a frame.
        self.last_seen: dict[str, datetime | None] = dict.fromkeys(cameras or [])
        self.last_seen.update(last_seen or {})
        self.offline: set[str] = set(offline or ())
        self.started = clock.now()
        self.published: Counter = Counter()  # by topic name, once on the broker (a replay waits)
        enlist = getattr(clock, "judge", None)  # a replay's clock: the end is judged, waited for
        self._judged = enlist(WORKER_NAME) if enlist is not None else None

    # -- frames ------------------------------------------------------------------------------

    def __call__(self, batch: list[Message]) -> None:
        frames: list[_Frame] = []
        for m in batch:
            if not isinstance(m.event, ev.CameraFrame):
                continue
            e = m.event
            scale = self.detector.reduction(e.width, e.height)
            try:
                image = decode_jpeg(m.value, reduce=scale)
                if image.shape[:2] != (-(-e.height // scale), -(-e.width // scale)):
                    full = decode_jpeg(m.value)
                    raise ValueError(f"frame is {full.shape[1]}x{full.shape[0]} pixels but its "
                                     f"header says {e.width}x{e.height}")
            except ValueError as exc:
                self._dead_letter(m, str(exc))
                continue
            frames.append(_Frame(m, image, scale))
        frames.sort(key=lambda f: (f.message.event.camera_id, f.message.event.ts,
                                   f.message.event.seq))
        found = []
        for start in range(0, len(frames), MAX_BATCH):
            part = frames[start:start + MAX_BATCH]
            found += self.detector.detect([f.image for f in part], [f.scale for f in part])
        out: list[tuple[tp.Topic, ev.Event, bytes | None]] = []
        for f, detections in zip(frames, found, strict=True):
            out += self._frame(f, detections)
        for topic, event, payload in out:
            self.publisher.publish(topic, event, payload=payload)
        self.publisher.flush(PUBLISH_TIMEOUT_S)  # raises if a send failed: nothing committed
        self.published.update(topic.name for topic, _, _ in out)

    def _frame(self, f: _Frame, detections) -> list[tuple[tp.Topic, ev.Event, bytes | None]]:
        e: ev.CameraFrame = f.message.event
        pipe = self.pipelines.get(e.camera_id)
        if pipe is None or (pipe.width, pipe.height) != (e.width, e.height):
            pipe = self.pipelines[e.camera_id] = CameraPipeline(
                e.camera_id, e.width, e.height, self.views.get(e.camera_id),
                window_s=self.settings.vision_window_s,
                fps_hint=self.fps.get(e.camera_id, self.settings.camera_fps) or None)
        if pipe.last_ts is not None and e.ts <= pipe.last_ts:
            return []  # a frame replayed after a restart, or out of order: already counted
        result = pipe.frame(e.ts, detections)
        out: list[tuple[tp.Topic, ev.Event, bytes | None]] = [(tp.VISION_DETECTIONS, ev.Detections(
            event_id=uuid.uuid5(DETECTIONS_NAMESPACE, f"{e.camera_id}|{e.seq}|{e.ts.isoformat()}"),
            ts=e.ts, camera_id=e.camera_id, frame_seq=e.seq, model=self.detector.label,
            boxes=[ev.Box(cls=b.cls, conf=round(b.conf, 4), xyxy=b.xyxy, track_id=b.track_id)
                   for b in result.boxes]), None)]
        out += [(tp.TRAFFIC_METRICS, metric, None) for metric in result.metrics]
        for change in result.changes:
            out += self._incident(change, f, result.boxes)
        return out + [(tp.ALERTS, alarm, None) for alarm in self._seen(e.camera_id, e.ts)]

    def _seen(self, camera_id: str, ts: datetime) -> list[ev.Alarm]:
        """A frame at `ts`: the camera is live. A gap past its stale limit that no tick saw
        while it lasted raises now what the tick would have raised, then clears it."""
        out = []
        if camera_id in self.last_seen and camera_id not in self.offline:
            since = self.last_seen[camera_id] or self.started
            if ts - since > self._stale_after(camera_id):
                self.offline.add(camera_id)
                out.append(self._offline(camera_id, since))
        self.last_seen[camera_id] = max(ts, self.last_seen.get(camera_id) or ts)
        if camera_id in self.offline:
            self.offline.discard(camera_id)
            out.append(self._alarm(camera_id, OFFLINE, ev.AlarmAction.CLEAR, ts,
                                   f"{camera_id}|offline|clear|{ts}",
                                   "Camera gửi hình trở lại / Frames again"))
        return out

    def _stale_after(self, camera_id: str) -> timedelta:
        return self.stale.get(camera_id, self.stale_after)

    def _offline(self, camera_id: str, since: datetime) -> ev.Alarm:
        """The offline alarm of a camera silent since `since`, stamped when it became overdue;
        its id is the camera and `since`, so the tick and `_seen` raise the same event."""
        return self._alarm(
            camera_id, OFFLINE, ev.AlarmAction.RAISE, since + self._stale_after(camera_id),
            f"{camera_id}|offline|{since.isoformat()}",
            f"Camera không gửi hình từ {since:%H:%M:%S} UTC / No frames since then",
            severity=ev.Severity.MEDIUM)

    def _incident(self, change: IncidentChange, f: _Frame, boxes: list[TrackedBox]):
        i = change.incident
        key = f"{i.incident_id}|{change.action.value}"
        if change.action is not ev.AlarmAction.RAISE:
            return [(tp.ALERTS, self._alarm(i.camera_id, i.kind.value, change.action, change.at,
                                            key, i.note or WORDS[i.kind]), None)]
        e: ev.CameraFrame = f.message.event
        snapshot = ev.Snapshot(event_id=uuid.uuid5(ALARM_NAMESPACE, f"{key}|snapshot"), ts=e.ts,
                               camera_id=e.camera_id, frame_seq=e.seq, width=e.width,
                               height=e.height, caption=WORDS[i.kind])
        full = decode_jpeg(f.message.value)  # the evidence at the frame's own resolution
        image = road_users.draw(full, boxes, self.views.get(e.camera_id), evidence=i.boxes,
                                caption=f"{e.camera_id.upper()}  {WORDS[i.kind]}")
        evidence = road_users.encode_jpeg(image, quality=80)
        if evidence is None:
            raise RuntimeError("OpenCV could not encode a snapshot")
        alarm = self._alarm(i.camera_id, i.kind.value, ev.AlarmAction.RAISE, change.at, key,
                            f"{WORDS[i.kind]}: {i.note}" if i.note else WORDS[i.kind],
                            severity=SEVERITY[i.kind],
                            evidence=f"/api/snapshots/{snapshot.event_id}.jpg")
        logger.info("incident raised", extra={"camera_id": i.camera_id, "kind": i.kind.value,
                                               "tracks": list(i.track_ids)})
        return [(tp.VISION_SNAPSHOTS, snapshot, evidence), (tp.ALERTS, alarm, None)]

    @staticmethod
    def _alarm(camera_id: str, alarm_type: str, action: ev.AlarmAction, at: datetime, key: str,
               message: str, severity: ev.Severity | None = None,
               evidence: str | None = None) -> ev.Alarm:
        return ev.Alarm(event_id=uuid.uuid5(ALARM_NAMESPACE, key), ts=at, source_id=camera_id,
                        source_kind="camera", alarm_type=alarm_type, action=action,
                        severity=severity, message=message[:500], evidence_ref=evidence)

    def _dead_letter(self, m: Message, reason: str) -> None:
        record = _Record(self.settings.topic(m.topic.name), m.partition, m.offset,
                         m.event.camera_id.encode(), m.value)
        self.publisher.publish(tp.DEADLETTER, dead_letter(WORKER_NAME, reason, record))
        logger.warning("dead-lettered a camera frame", extra={
            "camera_id": m.event.camera_id, "seq": m.event.seq, "reason": reason})

    # -- silence -----------------------------------------------------------------------------

    def tick(self, idle: bool) -> None:
        """Once caught up: cameras silent for longer than the policy allows are offline. On a
        replay's clock, up to where it lets silence be judged (`silence_horizon`), and once
        the stream is final the end is judged and the replay told so."""
        if not idle:
            return
        final = self._judged is not None and getattr(self.clock, "final", False)
        horizon = getattr(self.clock, "silence_horizon", None)
        now = horizon() if horizon is not None else self.clock.now()
        if now is not None:
            self._judge(now)
        if final:
            self._judged()  # its alarms are on the broker

    def _judge(self, now: datetime) -> None:
        alarms = []
        for camera_id, seen in self.last_seen.items():
            since = seen or self.started
            if camera_id in self.offline or now - since <= self._stale_after(camera_id):
                continue
            self.offline.add(camera_id)
            alarms.append(self._offline(camera_id, since))
        for alarm in alarms:
            self.publisher.publish(tp.ALERTS, alarm)
        if alarms:
            self.publisher.flush(PUBLISH_TIMEOUT_S)
            self.published.update(tp.ALERTS.name for _ in alarms)
            logger.warning("cameras offline", extra={"cameras": [a.source_id for a in alarms]})


@dataclass(frozen=True)
class _Record:
    """The shape of a consumer record that `ioc.worker.dead_letter` reads."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes


def restore(settings: Settings) -> tuple[dict[str, datetime], set[str]]:
    """Each camera's newest frame time and the cameras with an open offline alarm."""
    from ioc.db.session import connect

    with connect(settings) as conn:
        seen = dict(conn.execute("SELECT camera_id, ts FROM camera_snapshots").fetchall())
        offline = {r[0] for r in conn.execute(
            "SELECT source_id FROM alarms WHERE closed_at IS NULL AND source_kind = 'camera' "
            "AND alarm_type = %s AND active", (OFFLINE,))}
    return seen, offline


def make_worker(settings: Settings, publisher: Publisher | None = None,
                clock: Clock | None = None, detector: Detector | None = None,
                cameras: Mapping[str, float | None] | None = None) -> Worker:
    """`cameras`: a replay's, each with the seconds between its recorded frames (None:
    unknown); each is watched for silence from its first frame, and no other camera is.
    Live: the simulated city's cameras, from the start, and any that sends a frame."""
    from analytics.vision.cli import load_detector
    from ioc.camera_views import load_views
    from ioc.city import load_city

    detector = detector or load_detector(settings)  # ModelError names the file, before polling
    seen, offline = restore(settings)
    watched = ([c.id for c in load_city().cameras[:settings.cameras]]
               if settings.simulate and cameras is None else [])
    publisher = publisher or Publisher(settings)
    sink = VisionSink(settings, detector, publisher, clock or settings.clock(), load_views(),
                      watched, seen, offline, intervals=cameras)
    logger.info("vision worker ready", extra={"model": detector.label, "classes": CLASSES,
                                              "cameras": len(sink.last_seen)})
    return Worker(settings, WORKER_NAME, [tp.CAMERA_FRAMES], sink, publisher=publisher,
                  tick=sink.tick)

