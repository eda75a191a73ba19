"""The camera ingest end to end: a local HTTP MJPEG camera serving numbered test frames, the
ingest's `run` (what `ioc camera-ingest` calls), and the real broker. Frames arrive in order,
sampled down, with their metadata and valid JPEGs. The ingest reconnects when the camera goes
away and comes back, and when the camera freezes."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np
import pytest
from kafka import TopicPartition
from waiting import wait_until

from ingest.camera_stream import run
from ioc import events as ev
from ioc import topics as tp
from ioc.config import Settings
from ioc.embedded import free_port
from ioc.kafka import decode, make_consumer

pytestmark = pytest.mark.integration

WIDTH, HEIGHT = 320, 240
BITS, BIT_PX = 16, 20  # the frame number as 16 white-or-black squares along the top
SOURCE_FPS = 25
CAMERA_ID = "cam-real-01"
FAST_RETRY = {"backoff_s": 0.2, "max_backoff_s": 0.5, "open_timeout_s": 3, "read_timeout_s": 2}


def numbered_jpeg(number: int) -> bytes:
    image = np.full((HEIGHT, WIDTH, 3), 60, np.uint8)
    for bit in range(BITS):
        if number >> bit & 1:
            image[:BIT_PX, bit * BIT_PX:(bit + 1) * BIT_PX] = 255
    cv2.putText(image, f"#{number}", (40, 160), cv2.FONT_HERSHEY_SIMPLEX, 2, (0, 220, 255), 3)
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


def number_in(image: np.ndarray) -> int:
    inner = slice(5, BIT_PX - 5)
    return sum(1 << bit for bit in range(BITS)
               if image[inner, bit * BIT_PX + 5:(bit + 1) * BIT_PX - 5].mean() > 128)


class MjpegCamera:
    """A camera's HTTP MJPEG stream (multipart/x-mixed-replace) on 127.0.0.1, numbering its
    frames from `first`. `stop()` ends every open stream; `frozen` holds the frames back while
    keeping the connections open."""

    def __init__(self, port: int, first: int = 0) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/video.mjpg"
        self.frozen = threading.Event()
        self._next = first
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                try:
                    while not camera._stopping.wait(1 / SOURCE_FPS):
                        if camera.frozen.is_set():
                            continue
                        jpeg = numbered_jpeg(camera.take_number())
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\n"
                                         b"Content-Length: %d\r\n\r\n" % len(jpeg) + jpeg
                                         + b"\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the ingest hung up

            def log_message(self, *_args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = False  # so server_close() waits for every stream to end
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def take_number(self) -> int:
        with self._lock:
            self._next += 1
            return self._next - 1

    def start(self) -> MjpegCamera:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()


class FrameTail:
    """Every camera frame of this test, read without a consumer group (no join wait)."""

    def __init__(self, settings: Settings) -> None:
        self.consumer = make_consumer(settings, f"tail-{uuid.uuid4().hex[:6]}", group_id=None)
        name = settings.topic(tp.CAMERA_FRAMES.name)
        self.consumer.assign([TopicPartition(name, p)
                              for p in range(tp.CAMERA_FRAMES.partitions)])
        self.frames: list[tuple[ev.CameraFrame, np.ndarray]] = []

    def read(self) -> list[tuple[ev.CameraFrame, np.ndarray]]:
        for batch in self.consumer.poll(200).values():
            for record in batch:
                assert record.key == CAMERA_ID.encode()
                frame = decode(tp.CAMERA_FRAMES, record.value, record.headers)
                image = cv2.imdecode(np.frombuffer(record.value, np.uint8), cv2.IMREAD_COLOR)
                assert image is not None, f"frame {frame.seq} is not a valid JPEG"
                self.frames.append((frame, image))
        return self.frames

    def numbers(self) -> list[int]:
        return [number_in(image) for _, image in self.read()]


@pytest.fixture
def ingest(settings: Settings) -> Iterator:
    """Starts `run` against a URL in a thread; stops it at the end of the test."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(url: str, **options) -> None:
        thread = threading.Thread(target=run, args=(settings, url, CAMERA_ID, stop),
                                  kwargs=options, name="camera-ingest")
        thread.start()
        threads.append(thread)

    yield start
    stop.set()
    for thread in threads:
        thread.join(15)
        assert not thread.is_alive(), "the ingest stops when told to"


def test_frames_arrive_in_order_and_the_ingest_survives_the_camera_restarting(
        settings: Settings, ingest, caplog):
    caplog.set_level(logging.INFO, "ingest.camera_stream")
    port = free_port()
    camera = MjpegCamera(port, first=0).start()
    tail = FrameTail(settings)
    try:
        ingest(camera.url, fps=4, **FAST_RETRY)
        wait_until(lambda: len(tail.read()) >= 6, 20, "six frames of the stream are on Kafka")

        camera.stop()  # the camera goes away mid-stream
        wait_until(lambda: "cannot open the camera stream" in caplog.text, 10,
                   "the ingest notices the camera is gone and fails to reopen it")
        before = len(tail.read())
        camera = MjpegCamera(port, first=1000).start()  # and comes back
        wait_until(lambda: sum(n >= 1000 for n in tail.numbers()) >= 3, 15,
                   "frames of the restarted camera are on Kafka")
        frames = [frame for frame, _ in tail.read()]
        numbers = tail.numbers()
    finally:
        camera.stop()
        tail.consumer.close()

    assert [f.seq for f in frames] == list(range(len(frames))), "seq rises through the restart"
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), "in order, once"
    first_run = [n for n in numbers[:before] if n < 1000]
    assert len(first_run) == before, "nothing of the second camera before it came back"
    assert np.diff(first_run).mean() >= 2, f"sampled down from {SOURCE_FPS} fps: {first_run}"
    assert all((f.width, f.height) == (WIDTH, HEIGHT) for f in frames)
    assert all(f.camera_id == CAMERA_ID for f in frames)
    assert len({f.event_id for f in frames}) == len(frames)
    ts = [f.ts for f in frames]
    assert ts == sorted(ts) and all(t.tzinfo == UTC for t in ts)
    assert abs(ts[-1] - datetime.now(UTC)) < timedelta(minutes=1), "stamped when captured"
    assert "camera stream dropped" in caplog.text


def test_a_frozen_camera_is_reported_stale_and_read_again_when_it_recovers(
        settings: Settings, ingest, caplog):
    caplog.set_level(logging.INFO, "ingest.camera_stream")
    camera = MjpegCamera(free_port()).start()
    tail = FrameTail(settings)
    try:
        ingest(camera.url, fps=5, **FAST_RETRY)
        wait_until(lambda: len(tail.read()) >= 2, 20, "frames of the stream are on Kafka")
        camera.frozen.set()
        wait_until(lambda: "camera stream is stale" in caplog.text, 10,
                   "the ingest reports the frozen stream as stale")
        seen = len(tail.read())
        camera.frozen.clear()
        wait_until(lambda: len(tail.read()) >= seen + 2, 15,
                   "frames flow again once the camera recovers")
    finally:
        camera.stop()
        tail.consumer.close()
    assert [f.seq for f, _ in tail.frames] == list(range(len(tail.frames)))
