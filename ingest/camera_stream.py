"""Real cameras: an RTSP or HTTP MJPEG stream, or a video file, onto `ioc.camera.frames`.

OpenCV's FFmpeg backend reads the source. Frames are sampled down to `fps` (by the wall clock
for a live stream, by the file's own timestamps for a file), re-encoded as JPEG, shrunk when too
large, and published the way the camera simulator publishes them: the JPEG is the value,
CameraFrame rides in the `ioc-meta` header, and the camera id is the key.

A live stream that cannot be opened, drops, or stalls (no frame within `read_timeout_s`) is
opened again with exponential backoff, for as long as the ingest runs. Every try logs the URL,
without its password. A video file that cannot be read raises StreamUnreadable, because waiting
will not fix it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import cv2
import numpy as np
from kafka.errors import KafkaError
from pydantic import BaseModel, ConfigDict, Field

from ioc import events as ev
from ioc import topics as tp
from ioc.clock import Clock, WallClock
from ioc.config import Settings
from ioc.kafka import Publisher

logger = logging.getLogger(__name__)

NAMESPACE = uuid.UUID("0c5e2f7a-3b8d-4e61-9f0a-7d2c4b6e8a13")  # of real frames' event ids
LIVE_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "srt"})
# Room left under the 1 MB message limit for the key and the metadata header.
MAX_JPEG_BYTES = ev.MAX_MESSAGE_BYTES - 20_000
MIN_SIDE_PX = 16
SAME_INSTANT_S = 1e-3  # frame timestamps in floating point: 0.3 may read as 0.29999
STATUS_LOG_S = 60.0
DROP_LOG_S = 10.0


class StreamUnreadable(RuntimeError):
    """A video file that cannot be read; the message names it and says what to check."""


class StreamOptions(BaseModel):
    """How a source is sampled, encoded and retried."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fps: float = Field(2.0, gt=0, le=30, description="Frames per second published")
    jpeg_quality: int = Field(80, ge=1, le=100)
    max_side_px: int = Field(1920, ge=MIN_SIDE_PX, le=8192,
                             description="A longer frame is shrunk to this, keeping its aspect")
    max_jpeg_bytes: int = Field(900_000, ge=10_000, le=MAX_JPEG_BYTES,
                                description="A bigger JPEG is shrunk until it fits")
    backoff_s: float = Field(1.0, gt=0, description="First wait before opening a stream again")
    max_backoff_s: float = Field(30.0, gt=0, description="Longest wait between tries")
    open_timeout_s: float = Field(10.0, gt=0)
    read_timeout_s: float = Field(10.0, gt=0,
                                  description="No frame for this long: the stream is stale")
    pace: bool = Field(True, description="Play a file at its own rate, as a camera would")
    loop: bool = Field(False, description="Start a file again at its end")
    publish_timeout_s: float = Field(10.0, gt=0)


@dataclass
class StreamCounters:
    frames_read: int = 0  # frames grabbed from the source, kept or not
    frames_published: int = 0  # on the broker
    frames_dropped: int = 0  # kept, but the broker did not take them
    connects: int = 0  # times the source was opened
    failures: int = 0  # opens that failed, drops and stalls
    last_frame_at: datetime | None = None


# -- pure pieces ------------------------------------------------------------------------------


class Sampler:
    """Keeps at most `fps` frames per second of source time. A frame is kept once the time
    since the last kept frame is at least 1/fps. After a gap the sampler starts again from that
    frame and sends no burst. When time goes back (a new file loop, or the clock was set back),
    it starts again too."""

    def __init__(self, fps: float) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        self.period_s = 1.0 / fps
        self._next: float | None = None
        self._last: float | None = None

    def keep(self, t_s: float) -> bool:
        went_back = self._last is not None and t_s < self._last
        self._last = t_s
        if self._next is None or went_back:
            self._next = t_s + self.period_s
            return True
        if t_s < self._next - SAME_INSTANT_S:
            return False
        self._next += self.period_s
        if self._next <= t_s:  # behind by more than a period: no catching up
            self._next = t_s + self.period_s
        return True


def shrink(image: np.ndarray, max_side_px: int) -> np.ndarray:
    """The image, scaled down so its longest side is at most `max_side_px`, aspect kept."""
    height, width = image.shape[:2]
    longest = max(height, width)
    if longest <= max_side_px:
        return image
    return _scaled(image, max_side_px / longest)


def _scaled(image: np.ndarray, factor: float) -> np.ndarray:
    height, width = image.shape[:2]
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def encode_jpeg(image: np.ndarray, quality: int, max_side_px: int,
                max_bytes: int) -> tuple[bytes, int, int]:
    """(JPEG bytes, width, height) of the image. The image is shrunk to at most `max_side_px`
    on its longest side, and shrunk further, aspect kept, until the JPEG fits in `max_bytes`."""
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    image = shrink(image, max_side_px)
    while True:
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise ValueError(f"OpenCV could not encode a {image.shape} frame as JPEG")
        height, width = image.shape[:2]
        if buf.size <= max_bytes:
            return buf.tobytes(), width, height
        if max(height, width) <= MIN_SIDE_PX:
            raise ValueError(f"a {width}x{height} JPEG is still {buf.size} bytes, over "
                             f"{max_bytes}; lower jpeg_quality")
        # JPEG size grows about with the area: aim a little under the limit.
        image = _scaled(image, min(0.9, 0.95 * math.sqrt(max_bytes / buf.size)))


def frame_event_id(camera_id: str, at: datetime) -> uuid.UUID:
    """A frame's id: one camera's frame at one instant is one frame, even when published
    twice."""
    return uuid.uuid5(NAMESPACE, f"{camera_id}|{at.isoformat()}")


def is_live(url: str) -> bool:
    """True for a network stream. False for a video file, given as a path or a file:// URL."""
    return urlsplit(url).scheme.lower() in LIVE_SCHEMES


def shown_url(url: str) -> str:
    """The URL as it may appear in logs: with its password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _file_path(url: str) -> Path:
    parts = urlsplit(url)
    return Path(parts.path) if parts.scheme.lower() == "file" else Path(url)


# -- the stream -------------------------------------------------------------------------------


class CameraStream:
    """One source published as one camera, until `run`'s stop event is set (see the module)."""

    def __init__(self, publisher: Publisher, url: str, camera_id: str,
                 options: StreamOptions | None = None, clock: Clock | None = None) -> None:
        if not 1 <= len(camera_id) <= 64:  # CameraFrame's rule, told before the first frame
            raise ValueError(f"camera_id {camera_id!r} must be 1 to 64 characters")
        self.publisher = publisher
        self.url = url
        self.camera_id = camera_id
        self.options = options or StreamOptions()
        self.clock = clock or WallClock()
        self.live = is_live(url)
        self.counters = StreamCounters()
        self.seq = 0
        self._shown = shown_url(url)
        self._drop_log_at = -math.inf
        self._dropped_since_log = 0
        self._status_at = time.monotonic()

    def _context(self, **more) -> dict:
        return {"camera_id": self.camera_id, "url": self._shown, **more}

    def run(self, stop: threading.Event) -> StreamCounters:
        """Publish until `stop` is set. A file that has been read to its end also stops the
        run, unless `loop` is set. Raises StreamUnreadable for a file that cannot be read."""
        backoff_s = self.options.backoff_s
        while not stop.is_set():
            capture = self._open()
            if capture is None:
                self.counters.failures += 1
                self._log_unavailable("cannot open the camera stream", backoff_s)
                if stop.wait(backoff_s):
                    break
                backoff_s = min(backoff_s * 2, self.options.max_backoff_s)
                continue
            self.counters.connects += 1
            logger.info("camera stream opened", extra=self._context(
                backend=capture.getBackendName(), connects=self.counters.connects))
            try:
                if self.live:
                    reason, frames = self._read_live(capture, stop)
                else:
                    reason, frames = self._read_file(capture, stop)
            finally:
                capture.release()
            if stop.is_set():
                break
            if not self.live:
                if self.options.loop and frames:
                    continue
                break
            self.counters.failures += 1
            if frames:
                backoff_s = self.options.backoff_s  # it worked: try again soon
            self._log_unavailable(reason, backoff_s, opened=True)
            if stop.wait(backoff_s):
                break
            if not frames:
                backoff_s = min(backoff_s * 2, self.options.max_backoff_s)
        logger.info("camera stream stopped", extra=self._context(**self._counts()))
        return self.counters

    def _counts(self) -> dict:
        c = self.counters
        return {"frames_read": c.frames_read, "frames_published": c.frames_published,
                "frames_dropped": c.frames_dropped, "connects": c.connects,
                "failures": c.failures}

    def _log_unavailable(self, what: str, retry_in_s: float, opened: bool = False) -> None:
        last = self.counters.last_frame_at
        stale_s = round((self.clock.now() - last).total_seconds(), 1) if last else None
        advice = ("Is the camera or the network down?" if opened else "Check the URL, that the "
                  "camera is on and reachable from this machine, and its user and password.")
        logger.log(logging.WARNING if opened else logging.ERROR,
                   f"{what}: {self._shown}; retrying in {retry_in_s:g} s. {advice}",
                   extra=self._context(retry_in_s=retry_in_s, last_frame_at=last,
                                       stale_s=stale_s, failures=self.counters.failures))

    def _open(self) -> cv2.VideoCapture | None:
        """The opened capture; None when a live stream cannot be opened now."""
        if self.live:
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(self.options.open_timeout_s * 1000),
                      cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(self.options.read_timeout_s * 1000)]
            capture = cv2.VideoCapture(self.url, cv2.CAP_FFMPEG, params)
            if capture.isOpened():
                return capture
            capture.release()
            return None
        path = _file_path(self.url)
        if not path.is_file():
            raise self._unreadable(f"video file {str(path)!r} does not exist; give a path to a "
                                   "video file, or an rtsp:// or http:// URL")
        capture = cv2.VideoCapture(str(path))
        if not capture.isOpened():
            capture.release()
            raise self._unreadable(f"OpenCV cannot read {str(path)!r} as a video: the file is "
                                   "corrupt or its format is not supported; try an MP4 (H.264) "
                                   "or AVI (MJPEG) file")
        return capture

    def _unreadable(self, reason: str) -> StreamUnreadable:
        logger.error(reason, extra=self._context())
        return StreamUnreadable(reason)

    def _read_live(self, capture: cv2.VideoCapture, stop: threading.Event) -> tuple[str, int]:
        """Publish sampled frames until the stream fails; (why it ended, frames read)."""
        sampler = Sampler(self.options.fps)
        frames = 0
        while not stop.is_set():
            asked = time.monotonic()
            # Grab every frame, so what is kept is the newest one; decode only what is kept.
            if not capture.grab():
                waited_s = time.monotonic() - asked
                if waited_s >= 0.9 * self.options.read_timeout_s:
                    return f"the camera stream is stale (no frame for {waited_s:.0f} s)", frames
                return "the camera stream dropped", frames
            at = self.clock.now()
            frames += 1
            self._read_one(at)
            if sampler.keep(at.timestamp()):
                ok, image = capture.retrieve()
                if not ok or image is None:
                    return "the camera stream sent a frame that cannot be decoded", frames
                self._publish(image, at)
        return "stopped", frames

    def _read_file(self, capture: cv2.VideoCapture, stop: threading.Event) -> tuple[str, int]:
        """Publish the file's sampled frames with ts = start + their time in the file."""
        sampler = Sampler(self.options.fps)
        started_at, started = self.clock.now(), time.monotonic()
        source_fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
        expected = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        frames = 0
        while not stop.is_set():
            if not capture.grab():
                break
            t_s = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000
            if frames and t_s <= 0 and source_fps > 0:  # a container without timestamps
                t_s = frames / source_fps
            frames += 1
            at = started_at + timedelta(seconds=t_s)
            self._read_one(at)
            if not sampler.keep(t_s):
                continue
            if self.options.pace and stop.wait(max(0.0, started + t_s - time.monotonic())):
                break
            ok, image = capture.retrieve()
            if not ok or image is None:
                break
            self._publish(image, at)
        if stop.is_set():
            return "stopped", frames
        if frames == 0:
            raise self._unreadable(f"no frame of {self._shown!r} could be decoded: the file is "
                                   "corrupt or its codec is not supported")
        if expected and frames < expected:
            logger.warning("the video file ended early: it is truncated or corrupt",
                           extra=self._context(frames=frames, frames_expected=expected))
        else:
            logger.info("the video file ended", extra=self._context(frames=frames))
        return "ended", frames

    def _read_one(self, at: datetime) -> None:
        self.counters.frames_read += 1
        self.counters.last_frame_at = at
        if time.monotonic() - self._status_at >= STATUS_LOG_S:
            self._status_at = time.monotonic()
            logger.info("camera stream status", extra=self._context(**self._counts()))

    def _publish(self, image: np.ndarray, at: datetime) -> None:
        o = self.options
        jpeg, width, height = encode_jpeg(image, o.jpeg_quality, o.max_side_px, o.max_jpeg_bytes)
        frame = ev.CameraFrame(event_id=frame_event_id(self.camera_id, at), ts=at,
                               camera_id=self.camera_id, seq=self.seq, width=width,
                               height=height)
        self.seq += 1  # a gap in seq tells a reader that a frame was lost
        try:
            self.publisher.publish(tp.CAMERA_FRAMES, frame, payload=jpeg)
            # One frame at a time: a live frame that could not be sent in time is stale.
            # Sending it again later would only delay the newer frames.
            self.publisher.flush(timeout_s=o.publish_timeout_s)
        except KafkaError as exc:
            self.counters.frames_dropped += 1
            self._dropped_since_log += 1
            if time.monotonic() - self._drop_log_at >= DROP_LOG_S:
                logger.error("Kafka did not take camera frames; dropping them",
                             extra=self._context(dropped=self._dropped_since_log,
                                                 error=str(exc)[:300]))
                self._drop_log_at, self._dropped_since_log = time.monotonic(), 0
            return
        self.counters.frames_published += 1


def run(settings: Settings, url: str, camera_id: str, stop: threading.Event, *,
        fps: float = 2.0, jpeg_quality: int = 80, max_side_px: int = 1920,
        loop: bool = False, publisher: Publisher | None = None,
        clock: Clock | None = None, **options) -> StreamCounters:
    """`ioc camera-ingest URL --camera-id ID --fps N`: publish the source as camera `camera_id`
    until `stop` is set, or until a video file ends (unless `loop`). Other StreamOptions can be
    given by name. Raises StreamUnreadable for a file that cannot be read, pydantic's
    ValidationError for bad options, and BrokerUnavailable when no broker answers."""
    stream_options = StreamOptions(fps=fps, jpeg_quality=jpeg_quality, max_side_px=max_side_px,
                                   loop=loop, **options)
    own_publisher = publisher is None
    publisher = publisher or Publisher(settings)
    try:
        return CameraStream(publisher, url, camera_id, stream_options, clock).run(stop)
    finally:
        if own_publisher:
            publisher.close()
