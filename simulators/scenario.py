"""The scenario: every simulator driven by one scenario clock, publishing to the topics.

`schedule` is the pure part: the sensor readings and citizen reports due in a window of scenario
time, the same for the same seed and window (replay and tests rely on it). `run` is the edge:
it walks the clock forward, publishes what `schedule` yields, and renders camera frames at
`camera_fps` per wall second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from ioc import topics
from ioc.city import load_city
from ioc.clock import ScenarioClock
from ioc.config import Settings
from ioc.events import CitizenReport, SensorReading
from ioc.kafka import Publisher
from ioc.taxonomy import load_taxonomy
from simulators.cameras import CameraSim
from simulators.reports import reports_between
from simulators.sensors import reading_at

logger = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
MIN_SLEEP_S = 0.005  # never spin, even when a reading is due every millisecond of wall time
READING_BACKFILL = timedelta(minutes=2)
MAX_SLEEP_S = 0.5  # wake at least this often: reports due in between are not late by more
PROGRESS_LOG_S = 60.0


def reading_times(start: datetime, end: datetime, interval_s: float) -> Iterator[datetime]:
    """Instants in [start, end) on a grid of interval_s from the Unix epoch.

    A fixed grid (integer microseconds, no float drift) lets any window be cut anywhere and
    still produce the same instants as one long window.
    """
    step = max(1, round(interval_s * 1_000_000))
    t = -(-((start - _EPOCH) // _US) // step) * step  # ceiling to the grid
    end_us = (end - _EPOCH) // _US
    while t < end_us:
        yield _EPOCH + timedelta(microseconds=t)
        t += step


def schedule(settings: Settings, start: datetime, end: datetime, seed: int | None = None
             ) -> Iterator[SensorReading | CitizenReport]:
    """Sensor readings and citizen reports with `ts` in [start, end), in time order."""
    city, taxonomy = load_city(), load_taxonomy()
    seed = settings.seed if seed is None else seed
    reports = [r for r, _ in reports_between(city, taxonomy, seed, start, end,
                                             settings.report_rate_per_h)]
    i = 0
    for at in reading_times(start, end, settings.sensor_interval_s):
        while i < len(reports) and reports[i].ts < at:
            yield reports[i]
            i += 1
        for site in city.sensors:
            reading = reading_at(city, site, at, seed)
            if reading is not None:  # None: the sensor is silent (a drop-out)
                yield reading
    yield from reports[i:]


def run(settings: Settings, publisher: Publisher, clock: ScenarioClock,
        stop: threading.Event) -> None:
    """Publish the city's events until `stop` is set."""
    city = load_city()
    cameras = [CameraSim(c, settings.seed, settings.camera_fps)
               for c in city.cameras[:settings.cameras]]
    frame_period_s = 1 / settings.camera_fps if cameras and settings.camera_fps > 0 else None
    counts: Counter[str] = Counter()
    window_start = clock.now()
    next_frame = time.monotonic()
    next_log = time.monotonic() + PROGRESS_LOG_S
    backlog = [r for r, _ in reports_between(
        city, load_taxonomy(), settings.seed,
        window_start - timedelta(hours=settings.report_backlog_h), window_start,
        settings.report_rate_per_h)]
    for report in backlog:  # the same ids as a run that was live then: never stored twice
        publisher.publish(topics.CITIZEN_REPORTS, report)
    # The sensors' last readings before the start, as a gateway sends what it buffered while
    # the city was down: no one reads a start as a city-wide outage. (The same ids as live.)
    quiet = settings.model_copy(update={"report_rate_per_h": 0.0})
    for reading in schedule(quiet, window_start - READING_BACKFILL, window_start):
        publisher.publish(topics.SENSOR_READINGS, reading)
    counts[topics.CITIZEN_REPORTS.name] += len(backlog)
    logger.info("scenario started", extra={
        "scenario_start": window_start.isoformat(), "speed": clock.speed, "seed": settings.seed,
        "sensors": len(city.sensors), "cameras": len(cameras), "report_backlog": len(backlog)})

    while not stop.is_set():
        now = clock.now()
        for event in schedule(settings, window_start, now):
            is_reading = isinstance(event, SensorReading)
            topic = topics.SENSOR_READINGS if is_reading else topics.CITIZEN_REPORTS
            publisher.publish(topic, event)
            counts[topic.name] += 1
            if stop.is_set():
                break
        window_start = now

        if frame_period_s is not None and time.monotonic() >= next_frame:
            at = clock.now()
            for camera in cameras:
                frame, jpeg, _ = camera.next_frame(at)
                publisher.publish(topics.CAMERA_FRAMES, frame, payload=jpeg)
                counts[topics.CAMERA_FRAMES.name] += 1
            # Behind schedule (a slow machine): skip frames rather than send a burst.
            next_frame = max(next_frame + frame_period_s, time.monotonic())

        if time.monotonic() >= next_log:
            logger.info("scenario progress", extra={"scenario_now": now.isoformat(), **counts})
            next_log += PROGRESS_LOG_S

        wake = [MAX_SLEEP_S, clock.wall_seconds_until(_next_reading(settings, now))]
        if frame_period_s is not None:
            wake.append(next_frame - time.monotonic())
        stop.wait(max(MIN_SLEEP_S, min(wake)))
    logger.info("scenario stopped", extra=dict(counts))


def _next_reading(settings: Settings, now: datetime) -> datetime:
    """The first grid instant at or after `now`: the next window to emit starts there."""
    interval = timedelta(seconds=settings.sensor_interval_s)
    return next(reading_times(now, now + interval, settings.sensor_interval_s))
