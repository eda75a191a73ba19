"""The vision sink without a broker or a model: bad frames are dead-lettered and the rest go
on; a silent camera raises camera_offline once, cleared by its next frame; every event id is
the same when a batch is replayed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
from fakes import FakePublisher, StubDetector

from analytics.vision.worker import VisionSink
from ioc import events as ev
from ioc import topics as tp
from ioc.clock import FakeClock
from ioc.config import Settings
from ioc.worker import Message

T0 = datetime(2026, 9, 12, 3, 0, tzinfo=UTC)


def frame(camera_id: str, seq: int, at: datetime, jpeg: bytes | None = None) -> Message:
    if jpeg is None:
        ok, buf = cv2.imencode(".jpg", np.full((360, 640, 3), 120, np.uint8))
        jpeg = buf.tobytes()
    event = ev.CameraFrame(ts=at, camera_id=camera_id, seq=seq, width=640, height=360)
    return Message(tp.CAMERA_FRAMES, event, jpeg, 0, seq, 0)


def sink(clock: FakeClock) -> tuple[VisionSink, FakePublisher]:
    publisher = FakePublisher()
    return VisionSink(Settings(camera_fps=1.0), StubDetector(), publisher, clock,
                      cameras=["cam-01", "cam-02"]), publisher


def test_bad_frames_are_dead_lettered_and_the_others_go_on():
    s, publisher = sink(FakeClock(T0))
    good = frame("cam-01", 1, T0)
    s([frame("cam-02", 1, T0, good.value[:300]), good,
       frame("cam-02", 2, T0, b"\xff\xd8 not really \xff\xd9")])
    letters = [e for t, e in publisher.sent if t is tp.DEADLETTER]
    assert sorted(e.reason.split(" (")[0] for e in letters) == \
        ["JPEG cut short", "corrupt JPEG: OpenCV could not decode it"]
    assert [e.camera_id for t, e in publisher.sent if t is tp.VISION_DETECTIONS] == ["cam-01"]


def test_a_silent_camera_is_offline_once_and_back_with_its_next_frame():
    clock = FakeClock(T0)
    s, publisher = sink(clock)
    s([frame("cam-01", 1, T0)])
    clock.set(T0 + timedelta(seconds=30))
    s.tick(True)
    assert not [e for t, e in publisher.sent if t is tp.ALERTS]
    clock.set(T0 + timedelta(seconds=61))
    s.tick(True)
    s.tick(True)  # once, not every tick
    raised = [e for t, e in publisher.sent if t is tp.ALERTS]
    assert sorted((a.source_id, a.alarm_type, a.action) for a in raised) == [
        ("cam-01", "camera_offline", "raise"), ("cam-02", "camera_offline", "raise")]
    s([frame("cam-01", 2, T0 + timedelta(seconds=62))])
    cleared = [e for t, e in publisher.sent if t is tp.ALERTS][len(raised):]
    assert [(a.source_id, a.action) for a in cleared] == [("cam-01", "clear")]


def test_a_replayed_batch_gives_the_same_event_ids():
    batch = [frame("cam-01", k, T0 + timedelta(seconds=k)) for k in range(5)]
    ids = []
    for _ in range(2):  # a fresh worker after a crash, given the same frames
        s, publisher = sink(FakeClock(T0))
        s(batch)
        ids.append([e.event_id for _, e in publisher.sent])
    assert ids[0] == ids[1] and len(ids[0]) == 5
