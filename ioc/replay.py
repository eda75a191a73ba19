"""Replay: a recording fed back through the real pipeline, in its own namespace, on the stream's
own clock, and a digest of what the pipeline made of it.

The replay's clock is the stream's position (`StreamClock`): the event time of the last message
published, never the wall clock. At speed N the publisher only paces itself to the wall; every
rule that turns on time (SLA, silence, shelving, windows) reads the stream clock, so a replay at
1x, 10x or as fast as it goes raises the same alarms at the same instants, and the digest over
triage results, alarms, SLA outcomes, KPIs and what the cameras' frames became (each frame's
boxes, each traffic window) is the same. (The detector gives a frame the same boxes whatever
batch it runs in, measured bit for bit; so a replay's batches may differ with its speed.)

A replay runs in an isolated namespace: topics prefixed `replay-<tag>.` and its own database
schema `replay_<tag>`, so it never mixes with live data. The workers are injected (the CLI, the
composition root, builds them), so this module imports no stage; each is built from what the
recording holds (`Stream`), and one with nothing to read in it (the vision worker, for a
recording without frames) is not built at all.

The end of the stream is judged by every rule that watches for silence (sensors, cameras):
each enlists with the clock (`StreamClock.judge`), and the outputs are read only once all have
judged the whole stream and published what they found.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from ioc import alarms as al
from ioc import recording
from ioc import topics as tp
from ioc.clock import lateness
from ioc.config import Settings
from ioc.kafka import Publisher
from ioc.worker import Worker

logger = logging.getLogger(__name__)

SETTLE_S = 1.5  # outputs unchanged this long (wall) after the last input: the pipeline is done
DRAIN_TIMEOUT_S = 300
# Before the end, silence is judged only this far behind the stream: 30 s, or 5 s of wall time
# at the replay's pace (what is published is not read at once; at 60x a second is a minute).
# What the vision worker makes, and the tables persistence stores it in.
VISION_TABLES = {tp.VISION_DETECTIONS.name: "detections",
                 tp.TRAFFIC_METRICS.name: "traffic_metrics",
                 tp.VISION_SNAPSHOTS.name: "vision_snapshots"}


class ReplayError(RuntimeError):
    """A replay that cannot start or finish; the message says why and what to do."""


class Pacer:
    """When each event is due on the wall. Stream time runs at `speed` (None: as fast as it
    goes) from an anchor, holds still while paused, and jumps on a seek forward; the
    engineer at /replay changes all three while the replay runs. It only decides when events
    are published, never what the rules make of them, so the outputs do not depend on it."""

    def __init__(self, start: datetime, speed: float | None) -> None:
        self._cond = threading.Condition()
        self._pos, self._wall = start, time.monotonic()
        self._speed, self._paused = speed, False
        # After a seek, what lies between goes out as fast as it goes, and the readers must
        # have read it all before the pace resumes (see `wait_for`): meanwhile the stream is
        # as fast as it goes, so no rule takes the burst's lag for a silence.
        self.catching_up = False

    @property
    def speed(self) -> float | None:
        return self._speed

    @property
    def paused(self) -> bool:
        return self._paused

    def position(self) -> datetime:
        """The stream's "now" as screens show it: start + elapsed x speed."""
        with self._cond:
            return self._position()

    def _position(self) -> datetime:
        if self._paused or self._speed is None:
            return self._pos
        return self._pos + timedelta(seconds=(time.monotonic() - self._wall) * self._speed)

    def _change(self, **fields) -> None:
        with self._cond:
            self._pos, self._wall = self._position(), time.monotonic()
            for name, value in fields.items():
                setattr(self, f"_{name}", value)
            self._cond.notify_all()

    def begin(self) -> None:
        """The stream starts now: the wait for the readers to join does not count."""
        with self._cond:
            self._wall = time.monotonic()

    def set_speed(self, speed: float | None) -> None:
        self._change(speed=speed)

    def pause(self) -> None:
        self._change(paused=True)

    def resume(self) -> None:
        self._change(paused=False)

    def seek(self, to: datetime) -> None:
        """Forward only: what lies between is published at once, in order. (Back means a fresh
        replay up to `to`; see ioc.replay_session.)"""
        with self._cond:
            if to > self._position():
                self.catching_up = True
            self._pos, self._wall = max(self._position(), to), time.monotonic()
            self._cond.notify_all()

    def wait_for(self, at: datetime, stop: threading.Event, before_wait=None,
                 caught_up=None) -> None:
        """Until the stream reaches `at` (or `stop`); `before_wait` runs before each pause, and
        `caught_up` (which waits until the readers have read what was published) before the
        first pause after a seek."""
        while not stop.is_set():
            with self._cond:
                if self._speed is None and not self._paused:
                    self._pos = max(self._pos, at)
                    return
                ahead = (at - self._position()).total_seconds()
                if ahead <= 0:  # due (paused, only what a seek passed over still is)
                    return
                wait = 0.25 if self._paused else min(0.25, ahead / self._speed)
            if before_wait is not None:
                before_wait()
            if self.catching_up:
                if caught_up is not None:
                    caught_up()
                self.catching_up = False
                continue  # the drain took time: look again
            with self._cond:
                self._cond.wait(wait)


class StreamClock:
    """The replay's clock: where the stream is (the newest event time published), moved only
    forward. `speed` is the replay's pace (infinite: as fast as it goes), for the rules that
    allow a lateness in wall time: what is published is not yet read, and at 3600x a tenth of
    a second is six minutes of stream."""

    def __init__(self, start: datetime, pacer: Pacer) -> None:
        self._now = start
        self.pacer = pacer
        self.final = False  # the whole stream is in and read: judge silence up to `now`
        self._judges: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def judge(self, name: str) -> Callable[[], None]:
        """Enlist a rule that judges silence at the end of the stream. Once `final` is set, the
        replay waits until each enlisted rule has called what this returns, after publishing
        what it judged. Enlist when the worker is built, before the stream starts."""
        done = threading.Event()
        with self._lock:
            if name in self._judges:
                raise ValueError(f"{name} already judges this stream")
            self._judges[name] = done
        return done.set

    def wait_judged(self, timeout_s: float) -> list[str]:
        """Until every enlisted rule has judged the end; the names of those that did not."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            judges = dict(self._judges)
        return sorted(name for name, done in judges.items()
                      if not done.wait(max(0.0, deadline - time.monotonic())))

    def silence_horizon(self) -> datetime | None:
        """Up to when a rule may take a missing event for silence now: the whole stream once it
        is final; before that the stream less a lateness, or nothing at all when it runs as
        fast as it goes (a gap is then judged when the next event shows it, or at the end)."""
        if self.final:
            return self.now()
        speed = self.speed
        if speed == float("inf"):
            return None
        return self.now() - lateness(speed)

    @property
    def speed(self) -> float:
        speed = self.pacer.speed
        return float("inf") if speed is None or self.pacer.catching_up else speed

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, to: datetime) -> None:
        with self._lock:
            self._now = max(self._now, to)


@dataclass
class Namespace:
    tag: str
    settings: Settings

    @classmethod
    def for_replay(cls, base: Settings, tag: str) -> Namespace:
        return cls(tag, base.model_copy(update={"topic_prefix": f"replay-{tag}.",
                                                "db_schema": f"replay_{tag}"}))


@dataclass
class ReplayResult:
    digest: str
    events: int
    speed: float | None
    namespace: Namespace
    outputs: dict = field(default_factory=dict)
    wall_s: float = 0.0
    streaming_s: float = 0.0  # of which: from the first event published until all were read


def parse_speed(text: str) -> float | None:
    """'max' (as fast as it goes) or a number above 0."""
    if text.strip().lower() in ("max", "inf", "fastest"):
        return None
    try:
        speed = float(text)
    except ValueError:
        raise ReplayError(f"--speed {text!r} is not a number; use e.g. 1, 10, 60 or max") from None
    if not speed > 0 or speed != speed:
        raise ReplayError(f"--speed must be above 0 (1 = as it happened, 60 = an hour a "
                          f"minute, max = as fast as it goes); got {text}")
    return speed


class ReplayLock:
    """One replay at a time per data folder: a second is refused, naming the first."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "replay.lock"

    def __enter__(self) -> ReplayLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pid = self.path.read_text().strip() or "?"
            if pid.isdigit() and not process_alive(int(pid)):
                self.path.unlink(missing_ok=True)  # left by a crash
                return self.__enter__()
            raise ReplayError(f"another replay is running (pid {pid}); wait for it, or stop "
                              f"it, before starting one (lock {self.path})") from None
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        return self

    def __exit__(self, *_exc) -> None:
        self.path.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def publish(entries, publisher: Publisher, clock: StreamClock, pacer: Pacer,
            stop: threading.Event, progress=None,
            caught_up: Callable[[dict[str, int]], None] | None = None) -> int:
    """Publish in event-time order as `pacer` lets each event fall due, moving the stream
    clock to each event's time as it goes out. `caught_up(published)` waits until the readers
    have read what was published by topic (after a seek's burst)."""
    sent, published = 0, Counter()
    for entry in entries:
        if stop.is_set():
            break
        pacer.wait_for(entry.event.ts, stop, before_wait=publisher.flush,  # due: out now
                       caught_up=caught_up and (lambda: caught_up(dict(published))))
        if stop.is_set():
            break
        clock.advance(entry.event.ts)
        publisher.publish(entry.topic, entry.event, payload=entry.jpeg)
        published[entry.topic.name] += 1
        sent += 1
        if progress is not None and sent % 500 == 0:
            progress(sent)
    publisher.flush()
    return sent


@dataclass(frozen=True)
class Stream:
    """What a replay's workers are built from: the recording, read once before it is played.
    `reading_intervals`: each sensor's usual gap between readings (the median), so the replay
    judges silence by how that sensor really reported, whatever the registry says today.
    `frame_intervals`: each camera with frames in it, and its usual gap between them (the
    median; the manifest's `frames_every_s` for a camera with one frame, or None)."""

    manifest: recording.Manifest
    reading_intervals: dict[str, float] = field(default_factory=dict)
    frame_intervals: dict[str, float | None] = field(default_factory=dict)


WorkerFactory = Callable[[Settings, StreamClock, Stream], Worker | None]
"""Builds one worker of a replay, or None when the stream gives it nothing to do."""


def stream_of(path: Path, manifest: recording.Manifest) -> Stream:
    """The recording's sensors and cameras with their usual intervals, in one read of it."""
    import statistics

    last: dict[tuple[str, str], datetime] = {}
    gaps: dict[tuple[str, str], list[float]] = {}
    cameras: set[str] = set()
    for entry in recording.read(path):
        if entry.topic is tp.SENSOR_READINGS:
            key = ("sensor", entry.event.sensor_id)
        elif entry.topic is tp.CAMERA_FRAMES:
            key = ("camera", entry.event.camera_id)
            cameras.add(entry.event.camera_id)
        else:
            continue
        if key in last:
            gaps.setdefault(key, []).append((entry.event.ts - last[key]).total_seconds())
        last[key] = entry.event.ts
    median = {key: statistics.median(g) for key, g in gaps.items() if g}
    return Stream(manifest,
                  {sid: gap for (kind, sid), gap in median.items() if kind == "sensor"},
                  {cid: median.get(("camera", cid), manifest.frames_every_s)
                   for cid in sorted(cameras)})


def _wait_read(workers: list[Worker], settings: Settings, published: dict[str, int],
               timeout_s: float = DRAIN_TIMEOUT_S) -> None:
    """Until each worker has handled every message of the inputs it reads: only then is the
    end of the stream judged, so no reading still in flight can look like a silence."""
    deadline = time.monotonic() + timeout_s
    for w in workers:
        wanted = sum(n for name, n in published.items()
                     if settings.topic(name) in w.topics)
        while w.stats.processed + w.stats.dead_lettered < wanted:
            if time.monotonic() > deadline:
                raise ReplayError(f"the {w.name} worker read {w.stats.processed} of {wanted} "
                                  f"messages within {timeout_s:.0f} s; see its log")
            time.sleep(0.05)


SETTLED_TABLES = ("citizen_reports", "report_triage", "report_events", "sensor_readings",
                  "alarm_events", *VISION_TABLES.values())


def _snapshot(conn: psycopg.Connection) -> tuple:
    return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in SETTLED_TABLES)


def made_by(workers: list[Worker]) -> Counter:
    """What the workers' sinks say they published, by topic (a sink may keep a `published`
    Counter, as the vision worker's does), for `wait_settled` to wait for its storage."""
    made = Counter()
    for w in workers:
        made.update(getattr(w.sink, "published", None) or {})
    return made


def wait_settled(settings: Settings, expected: dict[str, int],
                 timeout_s: float = DRAIN_TIMEOUT_S, made: dict[str, int] | None = None) -> None:
    """Until every input is stored, every report triaged, every vision output the workers
    `made` stored, and nothing changed for SETTLE_S."""
    from ioc.db.session import connect

    made = made or {}
    deadline = time.monotonic() + timeout_s
    last, since = None, time.monotonic()
    with connect(settings, autocommit=True) as conn:
        while time.monotonic() < deadline:
            snap = _snapshot(conn)
            stored = dict(zip(SETTLED_TABLES, snap, strict=True))
            stored_all = (snap[0] >= expected.get(tp.CITIZEN_REPORTS.name, 0)
                          and snap[1] >= snap[0]
                          and snap[3] >= expected.get(tp.SENSOR_READINGS.name, 0)
                          and all(stored[table] >= made.get(topic, 0)
                                  for topic, table in VISION_TABLES.items()))
            if snap != last:
                last, since = snap, time.monotonic()
            elif stored_all and time.monotonic() - since >= SETTLE_S:
                return
            time.sleep(0.1)
    raise ReplayError(f"the pipeline did not finish within {timeout_s:.0f} s "
                      f"(stored counts {last}); see the workers' logs")


def outputs(conn: psycopg.Connection, end: datetime, kpis: dict) -> dict:
    """What the pipeline made of the stream, in a canonical form: nothing about when (on the
    wall) it was made, so two replays of one recording compare equal."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT report_id, urgency, category, department, needs_review, "
                    "model_version FROM report_triage ORDER BY report_id, model_version")
        triage = [dict(r) for r in cur]
        cur.execute("SELECT event_id::text, ts, source_id, alarm_type, action, severity, value, "
                    "outcome FROM alarm_events WHERE actor = 'system' ORDER BY ts, event_id")
        alarm_events = [dict(r) for r in cur]
        cur.execute("SELECT * FROM alarms ORDER BY raised_at, alarm_id")
        rows = [dict(r) for r in cur]
        cur.execute("SELECT report_id, status, urgency, received_at, due_at, first_response_at, "
                    "resolved_at FROM report_state ORDER BY report_id")
        reports = [dict(r) for r in cur]
        # Every frame's boxes, folded per camera into a count and a hash (thousands of rows).
        cur.execute("SELECT camera_id, model, count(*) AS frames, sum(n_boxes) AS boxes, "
                    "md5(string_agg(frame_seq || '|' || extract(epoch FROM ts) || '|' "
                    "|| boxes::text, ';' ORDER BY ts, frame_seq, event_id)) AS boxes_md5 "
                    "FROM detections "
                    "GROUP BY camera_id, model ORDER BY camera_id, model")
        detections = [dict(r) for r in cur]
        cur.execute("SELECT camera_id, window_start, ts, counts, crossings, occupancy, "
                    "congestion_index, average_speed_kmh FROM traffic_metrics "
                    "ORDER BY camera_id, window_start, ts")
        traffic = [dict(r) for r in cur]
    from ioc.db.alarm_state import _from_row

    alarm_states = []
    for row in rows:
        record = _from_row(row)
        alarm_states.append({"alarm_id": str(record.alarm_id), "source_id": record.source_id,
                             "alarm_type": record.alarm_type,
                             "raised_at": record.raised_at,
                             "state": al.state_at(record, end).value,
                             "severity": record.severity.value})
    breaches = [{"report_id": r["report_id"], "due_at": r["due_at"],
                 "answered_at": r["first_response_at"]} for r in reports
                if (r["first_response_at"] or end) > r["due_at"]]
    return {"triage": triage, "alarm_events": alarm_events, "alarms": alarm_states,
            "reports": reports, "breaches": breaches, "kpis": kpis,
            "detections": detections, "traffic": traffic}


def stream_end(manifest: recording.Manifest) -> datetime:
    """Where the stream ends: a scenario's declared end (it may run on after its last event,
    so that a breach two hours later is seen), else the last event."""
    declared = manifest.scenario.get("end")
    return max(manifest.end, datetime.fromisoformat(declared)) if declared else manifest.end


def digest_of(result: dict) -> str:
    text = json.dumps(result, sort_keys=True, default=str, ensure_ascii=False,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def run(path: Path, base: Settings, workers: list[WorkerFactory], speed: float | None, *,
        tag: str, prepare: Callable[[Settings, dict[str, float]], None],
        kpis_at: Callable[[Settings, datetime], dict],
        stop: threading.Event | None = None, progress=None,
        pacer: Pacer | None = None, pace_to_end: bool = False) -> ReplayResult:
    """Replay the recording at `path` into namespace `tag` and return the digest of its outputs.
    `prepare` readies the namespace (schema, topics, sensors with their reporting intervals);
    `kpis_at` reads the KPIs there at an instant (the API's own computation). `pacer`, when
    given, paces it instead of `speed` (the /replay page pauses, seeks and changes speed);
    `pace_to_end` lets the stream run on to a scenario's declared end at that pace, as a
    screen watching it should see, instead of jumping there after the last event."""
    from ioc.db.session import connect

    manifest = recording.verify(path)
    end = stream_end(manifest)
    stop = stop or threading.Event()
    ns = Namespace.for_replay(base, tag)
    stream = stream_of(path, manifest)
    prepare(ns.settings, stream.reading_intervals)
    pacer = pacer or Pacer(manifest.start, speed)
    clock = StreamClock(manifest.start, pacer)
    built = (factory(ns.settings, clock, stream) for factory in workers)
    running = [w for w in built if w is not None]
    halt = threading.Event()
    threads = [threading.Thread(target=w.run, args=(halt,), name=f"replay-{w.name}",
                                daemon=True) for w in running]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    publisher = Publisher(ns.settings)
    streaming_s = 0.0
    try:
        for w in running:  # the group's join takes seconds; the stream is timed from here
            w.assigned.wait(DRAIN_TIMEOUT_S)
        pacer.begin()
        streaming_from = time.monotonic()
        sent = publish(recording.read(path), publisher, clock, pacer, stop, progress,
                       caught_up=lambda published: _wait_read(running, ns.settings, published))
        if stop.is_set():
            raise ReplayError("the replay was stopped before its end")
        if pace_to_end:
            pacer.wait_for(end, stop, caught_up=lambda: _wait_read(running, ns.settings,
                                                                    manifest.topics))
        clock.advance(end)  # the end of the stream: silence and SLAs are judged up to it
        _wait_read(running, ns.settings, manifest.topics)
        streaming_s = time.monotonic() - streaming_from
        clock.final = True
        unjudged = clock.wait_judged(DRAIN_TIMEOUT_S)
        if unjudged:
            raise ReplayError(f"the {' and '.join(unjudged)} worker never judged the end of "
                              f"the stream within {DRAIN_TIMEOUT_S} s; see its log")
        wait_settled(ns.settings, manifest.topics, made=made_by(running))
        with connect(ns.settings) as conn:
            made = outputs(conn, end, kpis_at(ns.settings, end))
    finally:
        publisher.close()
        halt.set()
        for thread in threads:
            thread.join(30)
    return ReplayResult(digest_of(made), sent, pacer.speed, ns, made, time.monotonic() - started,
                        streaming_s)

