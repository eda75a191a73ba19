"""The frame archive's rules and the camera side of a replay's clock, without a broker or a
database: one frame per camera per slot (the earliest, whatever the order it came in), pruned
hours behind the camera's own newest frame; silence judged by every enlisted rule at the end,
behind a lateness before it; a gap in a camera's frames raises and clears the same alarms
whether a tick saw it or the next frame showed it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import cv2
import numpy as np
import pytest
from fakes import FakePublisher, StubDetector
from hypothesis import given
from hypothesis import strategies as st

from analytics.vision.worker import VisionSink
from ioc import events as ev
from ioc import topics as tp
from ioc.config import Settings
from ioc.persistence import FrameArchive, archive_sample, frame_bucket, prune_before
from ioc.replay import Pacer, StreamClock
from ioc.worker import Message

T0 = datetime(2026, 9, 12, 3, 0, tzinfo=UTC)


def camera_frame(camera_id: str, seq: int, at: datetime) -> ev.CameraFrame:
    return ev.CameraFrame(event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{camera_id}/{seq}"), ts=at,
                          camera_id=camera_id, seq=seq, width=640, height=360)


@pytest.mark.parametrize(("offset_s", "every_s", "slot_s"), [
    (0, 5, 0), (4.999999, 5, 0), (5, 5, 5), (7.5, 5, 5), (59.9, 60, 0), (61, 60, 60),
    (0.3, 0.25, 0.25), (3601, 3600, 3600),
])
def test_a_frame_falls_in_the_slot_of_its_event_time(offset_s, every_s, slot_s):
    at = T0 + timedelta(seconds=offset_s)  # T0 is on every slot boundary used here
    assert frame_bucket(at, every_s) == T0 + timedelta(seconds=slot_s)


def test_the_slot_does_not_depend_on_the_time_zone_the_frame_was_stamped_in():
    vn = datetime(2026, 9, 12, 17, 0, 3, tzinfo=timezone(timedelta(hours=7)))
    assert frame_bucket(vn, 5) == datetime(2026, 9, 12, 10, 0, 0, tzinfo=UTC)


@given(st.permutations(range(12)))
def test_each_camera_keeps_the_earliest_frame_of_each_slot_in_any_order(order):
    frames = [camera_frame(cam, k, T0 + timedelta(seconds=2 * k))
              for k in range(6) for cam in ("cam-01", "cam-02")]
    kept = archive_sample([frames[i] for i in order], every_s=5)
    assert {(cam, slot): f.seq for (cam, slot), f in kept.items()} == {
        (cam, T0 + timedelta(seconds=s)): k for cam in ("cam-01", "cam-02")
        for s, k in ((0, 0), (5, 3), (10, 5))}  # frames at 0,2,4 | 6,8 | 10 s


def test_a_tie_on_time_goes_to_the_lower_sequence_number():
    a, b = camera_frame("cam-01", 8, T0), camera_frame("cam-01", 7, T0)
    assert archive_sample([a, b], 5)[("cam-01", T0)].seq == 7


def test_old_frames_are_pruned_hours_behind_the_newest_and_not_on_every_batch():
    cut = prune_before(T0, None, hours=6)
    assert cut == T0 - timedelta(hours=6)  # the first batch of a run prunes
    assert prune_before(T0 + timedelta(minutes=9), cut, hours=6) is None  # not yet worth it
    assert prune_before(T0 + timedelta(minutes=10), cut, hours=6) == \
        T0 + timedelta(minutes=10) - timedelta(hours=6)
    assert prune_before(T0 - timedelta(hours=1), cut, hours=6) is None  # never backwards


def test_a_short_span_is_pruned_in_steps_of_a_tenth_of_it():
    cut = prune_before(T0, None, hours=0.5)
    assert prune_before(T0 + timedelta(minutes=2), cut, hours=0.5) is None
    assert prune_before(T0 + timedelta(minutes=3), cut, hours=0.5) == \
        T0 + timedelta(minutes=3) - timedelta(minutes=30)


@pytest.mark.parametrize(("every_s", "hours", "on"), [
    (5, 6, True), (0, 6, False), (5, 0, False), (0.5, 0.1, True)])
def test_either_setting_at_zero_turns_the_archive_off(every_s, hours, on):
    archive = FrameArchive.from_settings(Settings(frame_archive_every_s=every_s,
                                                  frame_archive_hours=hours))
    assert (archive is not None) is on


class Conn:
    """Records what the archive sends: upserted (camera, seq) and deletes."""

    def __init__(self) -> None:
        self.upserted: list[tuple[str, int]] = []
        self.deleted: list[tuple] = []

    def cursor(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def executemany(self, _query, rows) -> None:
        self.upserted += [(r[0], r[3]) for r in rows]

    def execute(self, _query, args) -> None:
        self.deleted.append(args)


def batch(*frames: ev.CameraFrame) -> list[Message]:
    return [Message(tp.CAMERA_FRAMES, f, b"jpeg", 0, f.seq, 0) for f in frames]


def test_frames_that_cannot_win_their_slot_are_not_sent_once_the_slot_is_committed():
    archive, conn = FrameArchive(5, 6), Conn()
    first = [camera_frame("cam-01", k, T0 + timedelta(seconds=k)) for k in range(8)]
    archive.store(conn, batch(*first[:2]))
    assert conn.upserted == [("cam-01", 0)] and len(conn.deleted) == 1
    archive.store(conn, batch(*first[2:4]))  # the first batch's transaction rolled back
    assert conn.upserted[1:] == [("cam-01", 2)]  # so nothing is known yet
    archive.committed()
    archive.store(conn, batch(*first[4:8]))  # slot 0 (0-4 s) is known: only slot 5 s goes
    assert conn.upserted[2:] == [("cam-01", 5)]
    # Pruned by the first two (neither committed when the next came), not by the third: the
    # camera moved on seconds since the committed cut, not minutes.
    assert len(conn.deleted) == 2


# -- the replay's clock ---------------------------------------------------------------------------

def test_the_replay_waits_for_every_rule_that_judges_the_end():
    clock = StreamClock(T0, Pacer(T0, None))
    sensors, cameras = clock.judge("sensors"), clock.judge("vision")
    with pytest.raises(ValueError, match="already judges"):
        clock.judge("vision")
    sensors()
    assert clock.wait_judged(0.01) == ["vision"]
    cameras()
    assert clock.wait_judged(0.01) == []


@pytest.mark.parametrize(("speed", "behind_s"), [(1, 30), (10, 50), (60, 300), (None, None)])
def test_silence_is_judged_behind_the_stream_until_it_is_final(speed, behind_s):
    clock = StreamClock(T0, Pacer(T0, speed))
    clock.advance(T0 + timedelta(hours=1))
    horizon = clock.silence_horizon()
    if behind_s is None:
        assert horizon is None  # as fast as it goes: only the end, or the next frame, tells
    else:
        assert horizon == T0 + timedelta(hours=1, seconds=-behind_s)
    clock.final = True
    assert clock.silence_horizon() == T0 + timedelta(hours=1)


# -- a camera's silence in a replay -------------------------------------------------------------

JPEG = cv2.imencode(".jpg", np.full((360, 640, 3), 120, np.uint8))[1].tobytes()


def message(camera_id: str, seq: int, at: datetime) -> Message:
    return Message(tp.CAMERA_FRAMES, camera_frame(camera_id, seq, at), JPEG, 0, seq, 0)


def replayed(speed: float | None, stream: list[Message], end: datetime) -> list[tuple]:
    """The camera alarms of a replay of `stream` at `speed`, a tick after every frame."""
    clock = StreamClock(T0, Pacer(T0, speed))
    publisher = FakePublisher()
    intervals = {"cam-01": 5.0, "cam-02": 30.0, "cam-03": 5.0}  # as recorded; live fps is 1
    # As make_worker builds it for a replay: no camera watched before its first frame.
    sink = VisionSink(Settings(camera_fps=1.0), StubDetector(), publisher, clock,
                      cameras=[], intervals=intervals)
    for m in stream:
        clock.advance(m.event.ts)
        sink([m])
        sink.tick(True)
    clock.advance(end)
    clock.final = True
    sink.tick(True)
    assert clock.wait_judged(0) == []  # the vision rule enlisted and judged the end
    return [(e.event_id, e.ts, e.source_id, e.action.value) for t, e in publisher.sent
            if t is tp.ALERTS]


def test_a_gap_in_a_cameras_frames_gives_the_same_alarms_at_every_speed():
    stream = sorted([message("cam-01", k, T0 + timedelta(seconds=5 * k))
                     for k in range(60) if not 10 <= k < 30]  # silent from 50 s to 150 s
                    + [message("cam-02", k, T0 + timedelta(seconds=30 * k)) for k in range(8)]
                    + [message("cam-03", k, T0 + timedelta(seconds=5 * k))  # from 200 s on:
                       for k in range(40, 66)],  # not silent before its first frame
                    key=lambda m: m.event.ts)  # cam-02 stops after 210 s
    end = T0 + timedelta(seconds=330)  # cam-01 last sent at 295 s: not silent yet
    fastest = replayed(None, stream, end)
    assert fastest == replayed(1, stream, end) == replayed(10, stream, end)
    assert [(ts - T0, cam, action) for _, ts, cam, action in fastest] == [
        (timedelta(seconds=45 + 60), "cam-01", "raise"),  # stale after the policy's 60 s
        (timedelta(seconds=150), "cam-01", "clear"),
        # cam-02 was recorded every 30 s: stale after 3 of its intervals, 90 s, not 60
        (timedelta(seconds=210 + 90), "cam-02", "raise"),
    ]
