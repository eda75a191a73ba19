"""The camera ingest without a broker: sampling, shrinking, the JPEG size limit, the frames'
metadata from video files written here, unreadable sources and unreachable streams."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from fakes import FakePublisher
from kafka.errors import KafkaTimeoutError
from pydantic import ValidationError
from waiting import wait_until

from ingest.camera_stream import (
    CameraStream,
    Sampler,
    StreamOptions,
    StreamUnreadable,
    encode_jpeg,
    frame_event_id,
    is_live,
    shown_url,
    shrink,
)
from ioc import topics as tp
from ioc.clock import FakeClock
from ioc.embedded import free_port
from ioc.kafka import decode, encode

START = datetime(2026, 7, 1, 1, 30, tzinfo=UTC)
GREY_STEP = 8  # frame i of a test video is grey level i * GREY_STEP


class RecordingPublisher(FakePublisher):
    """Keeps the payloads too."""

    def __init__(self) -> None:
        super().__init__()
        self.payloads: list[bytes] = []

    def publish(self, topic, event, payload=None):
        super().publish(topic, event, payload)
        self.payloads.append(payload)


def write_video(path: Path, frames: int, fps: float = 10.0, size: tuple[int, int] = (320, 240),
                noise: bool = False) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened()
    rng = np.random.default_rng(7)
    for i in range(frames):
        if noise:
            image = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
        else:
            image = np.full((size[1], size[0], 3), i * GREY_STEP, np.uint8)
        writer.write(image)
    writer.release()
    return path


def ingest_file(path: Path | str, **options) -> tuple[RecordingPublisher, CameraStream]:
    publisher = RecordingPublisher()
    stream = CameraStream(publisher, str(path), "cam-01",
                          StreamOptions(**{"pace": False, **options}), FakeClock(START))
    stream.run(threading.Event())
    return publisher, stream


def decoded(jpeg: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "a valid JPEG"
    return image


# -- sampling ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("source_fps", "fps", "kept"), [
    (25, 2, 20),  # 10 s of a 25 fps camera at 2 fps
    (25, 5, 50),
    (10, 5, 50),  # an exact divisor: every other frame, despite float timestamps
    (30, 1, 10),
    (2, 5, 20),  # a source slower than asked: every frame
])
def test_the_sampler_keeps_at_most_fps_frames_per_second(source_fps, fps, kept):
    sampler = Sampler(fps)
    times = [i / source_fps for i in range(10 * source_fps)]
    kept_times = [t for t in times if sampler.keep(t)]
    assert len(kept_times) == kept
    gaps = np.diff(kept_times)
    assert gaps.min() >= min(1 / fps, 1 / source_fps) - 1e-3


def test_after_a_gap_the_sampler_sends_no_burst_and_time_going_back_restarts_it():
    sampler = Sampler(2)
    assert [sampler.keep(t) for t in (0.0, 0.2, 0.5)] == [True, False, True]
    assert sampler.keep(60.0)  # a minute without frames
    assert [sampler.keep(t) for t in (60.1, 60.3, 60.5)] == [False, False, True]
    assert sampler.keep(0.0) and not sampler.keep(0.2)  # a loop of a file starts again


def test_the_sampler_refuses_a_rate_of_zero():
    with pytest.raises(ValueError, match="fps must be > 0"):
        Sampler(0)


# -- size -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("shape", "max_side", "expected"), [
    ((3000, 4000, 3), 1920, (1440, 1920)),
    ((4000, 3000, 3), 1920, (1920, 1440)),  # portrait
    ((1080, 1920, 3), 1920, (1080, 1920)),  # exactly at the limit: untouched
    ((240, 320, 3), 1920, (240, 320)),
    ((100, 5000), 1000, (20, 1000)),  # a panorama, grey
])
def test_shrink_keeps_the_aspect_ratio(shape, max_side, expected):
    image = np.zeros(shape, np.uint8)
    assert shrink(image, max_side).shape[:2] == expected


def test_a_jpeg_over_the_byte_limit_is_shrunk_until_it_fits():
    noise = np.random.default_rng(1).integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    big, width, height = encode_jpeg(noise, 95, 1920, 10_000_000)
    assert (width, height) == (1920, 1080) and len(big) > 1_000_000, "noise makes a big JPEG"
    jpeg, width, height = encode_jpeg(noise, 95, 1920, 300_000)
    assert len(jpeg) <= 300_000
    assert decoded(jpeg).shape == (height, width, 3)
    assert abs(width / height - 16 / 9) < 0.01 and width < 1920


def test_a_frame_with_alpha_is_encoded_without_it():
    jpeg, width, height = encode_jpeg(np.zeros((60, 80, 4), np.uint8), 80, 1920, 900_000)
    assert decoded(jpeg).shape == (60, 80, 3) and (width, height) == (80, 60)


# -- frames from files ------------------------------------------------------------------------


def test_a_video_file_is_published_as_the_simulator_publishes_frames(tmp_path: Path):
    clip = write_video(tmp_path / "clip.avi", frames=30, fps=10)
    publisher, stream = ingest_file(clip, fps=2)

    frames = [event for _topic, event in publisher.sent]
    assert {topic for topic, _ in publisher.sent} == {tp.CAMERA_FRAMES}
    assert [f.seq for f in frames] == [0, 1, 2, 3, 4, 5]
    assert [f.ts for f in frames] == [START + timedelta(seconds=0.5 * i) for i in range(6)]
    assert all(f.camera_id == "cam-01" and (f.width, f.height) == (320, 240) for f in frames)
    assert [f.event_id for f in frames] == [frame_event_id("cam-01", f.ts) for f in frames]
    # Which source frames were kept: 0, 5, 10, ... (frame i is grey i * GREY_STEP).
    greys = [decoded(jpeg).mean() / GREY_STEP for jpeg in publisher.payloads]
    assert [round(g) for g in greys] == [0, 5, 10, 15, 20, 25]
    # On the wire it is what the simulator's frames are: the JPEG, the metadata as a header.
    msg = encode(tp.CAMERA_FRAMES, frames[1], publisher.payloads[1])
    assert msg.key == b"cam-01" and msg.value.startswith(b"\xff\xd8")
    assert decode(tp.CAMERA_FRAMES, msg.value, msg.headers) == frames[1]
    assert stream.counters.frames_read == 30 and stream.counters.frames_published == 6
    assert publisher.flushes == 6

    again, _ = ingest_file(clip, fps=2)
    assert [e.event_id for _, e in again.sent] == [f.event_id for f in frames], "same clip, " \
        "same start: the same frames"


def test_frames_larger_than_the_limit_are_shrunk_in_their_metadata_too(tmp_path: Path):
    clip = write_video(tmp_path / "wide.avi", frames=3, fps=5, size=(1600, 400))
    publisher, _ = ingest_file(clip, fps=5, max_side_px=800)
    for (_topic, frame), jpeg in zip(publisher.sent, publisher.payloads, strict=True):
        assert (frame.width, frame.height) == (800, 200)
        assert decoded(jpeg).shape == (200, 800, 3)


def test_every_frame_stays_under_the_byte_limit(tmp_path: Path):
    clip = write_video(tmp_path / "noisy.avi", frames=2, fps=5, size=(1280, 720), noise=True)
    publisher, _ = ingest_file(clip, fps=5, jpeg_quality=95, max_jpeg_bytes=150_000)
    assert len(publisher.payloads) == 2
    for (_topic, frame), jpeg in zip(publisher.sent, publisher.payloads, strict=True):
        assert len(jpeg) <= 150_000
        assert abs(frame.width / frame.height - 16 / 9) < 0.02


def test_a_looped_file_starts_again_and_seq_keeps_rising(tmp_path: Path):
    clip = write_video(tmp_path / "short.avi", frames=5, fps=5)
    publisher = RecordingPublisher()
    stream = CameraStream(publisher, f"file://{clip}", "cam-01",
                          StreamOptions(fps=5, pace=False, loop=True), FakeClock(START))
    stop = threading.Event()
    runner = threading.Thread(target=stream.run, args=(stop,))
    runner.start()
    try:
        wait_until(lambda: len(publisher.sent) >= 12, 10, "the file has played more than twice")
    finally:
        stop.set()
        runner.join(10)
    seqs = [e.seq for _, e in publisher.sent]
    assert seqs == list(range(len(seqs)))


# -- sources that cannot be read --------------------------------------------------------------


def test_a_missing_file_is_a_clear_error(tmp_path: Path, caplog):
    with pytest.raises(StreamUnreadable, match="does not exist; give a path to a video file"):
        ingest_file(tmp_path / "nowhere.avi")
    assert "nowhere.avi" in caplog.text


def test_a_corrupt_file_is_a_clear_error(tmp_path: Path, caplog):
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"RIFF" + bytes(range(256)) * 40)
    with pytest.raises(StreamUnreadable, match="cannot read .*junk.avi.* as a video"):
        ingest_file(junk)
    assert any(r.levelno == logging.ERROR and "junk.avi" in r.getMessage()
               for r in caplog.records)


def test_a_truncated_file_gives_what_it_has_and_says_so(tmp_path: Path, caplog):
    clip = write_video(tmp_path / "whole.avi", frames=20, fps=10)
    cut = tmp_path / "cut.avi"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    caplog.set_level(logging.INFO, "ingest.camera_stream")
    publisher, stream = ingest_file(cut, fps=10)
    assert 0 < len(publisher.sent) < 20
    assert [e.seq for _, e in publisher.sent] == list(range(len(publisher.sent)))
    assert "ended early: it is truncated or corrupt" in caplog.text


@pytest.mark.parametrize("url", [
    "http://viewer:s3cret@127.0.0.1:{port}/video.mjpg",
    "rtsp://admin:s3cret@127.0.0.1:{port}/stream1",
])
def test_a_stream_that_never_opens_is_retried_with_backoff_and_logged_without_password(
        url, caplog):
    url = url.format(port=free_port())
    caplog.set_level(logging.INFO, "ingest.camera_stream")
    stream = CameraStream(FakePublisher(), url, "cam-01",
                          StreamOptions(backoff_s=0.05, max_backoff_s=0.2, open_timeout_s=2))
    stop = threading.Event()
    runner = threading.Thread(target=stream.run, args=(stop,))
    runner.start()
    try:
        wait_until(lambda: stream.counters.failures >= 4, 20, "four tries have failed")
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive()
    tries = [r for r in caplog.records if r.getMessage().startswith("cannot open")]
    assert len(tries) >= 4, "one error per try"
    shown = url.replace("s3cret", "***")
    assert all(shown in r.getMessage() and r.url == shown for r in tries)
    assert [r.retry_in_s for r in tries[:4]] == [0.05, 0.1, 0.2, 0.2]
    assert "s3cret" not in caplog.text
    assert stream.counters.connects == 0 and stream.counters.frames_read == 0


class RefusingPublisher(RecordingPublisher):
    """A broker that times out on the second frame."""

    def flush(self, timeout_s: float = 30) -> None:
        super().flush(timeout_s)
        if self.flushes == 2:
            raise KafkaTimeoutError("no broker took the frame")


def test_a_frame_the_broker_refuses_is_dropped_and_the_next_ones_go(tmp_path: Path, caplog):
    clip = write_video(tmp_path / "clip.avi", frames=10, fps=5)
    publisher = RefusingPublisher()
    stream = CameraStream(publisher, str(clip), "cam-01", StreamOptions(fps=5, pace=False),
                          FakeClock(START))
    counters = stream.run(threading.Event())
    assert counters.frames_published == 9 and counters.frames_dropped == 1
    assert [e.seq for _, e in publisher.sent] == list(range(10)), "the lost seq stays a gap"
    assert "Kafka did not take camera frames" in caplog.text


# -- options and names ------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [
    ("fps", 0), ("fps", 60), ("jpeg_quality", 0), ("max_side_px", 10_000),
    ("max_jpeg_bytes", 2_000_000), ("colour", "red"),
])
def test_bad_options_are_refused_by_name(field, value):
    with pytest.raises(ValidationError, match=field):
        StreamOptions(**{field: value})


def test_a_camera_id_the_frames_could_not_carry_is_refused():
    with pytest.raises(ValueError, match="1 to 64 characters"):
        CameraStream(FakePublisher(), "clip.avi", "")


@pytest.mark.parametrize(("url", "live"), [
    ("rtsp://10.0.0.5:554/stream1", True), ("http://cam.local/video.mjpg", True),
    ("HTTPS://cam.local/mjpg", True), ("/data/clips/junction.mp4", False),
    ("clips/junction.avi", False), ("file:///data/clips/junction.mp4", False),
])
def test_live_streams_are_told_from_files(url, live):
    assert is_live(url) is live


@pytest.mark.parametrize(("url", "shown"), [
    ("rtsp://admin:pw@10.0.0.5:554/s1", "rtsp://admin:***@10.0.0.5:554/s1"),
    ("http://u:p@[::1]/v.mjpg?x=1", "http://u:***@[::1]/v.mjpg?x=1"),
    ("rtsp://10.0.0.5/s1", "rtsp://10.0.0.5/s1"),
    ("/data/a.mp4", "/data/a.mp4"),
])
def test_passwords_never_reach_the_logs(url, shown):
    assert shown_url(url) == shown
