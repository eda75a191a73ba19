"""Replay: a recording fed back through the real pipeline, in its own namespace, on the stream's
own clock, and a digest of what the pipeline made of it.

The replay's clock is the stream's position (`StreamClock`): the event time of the last message
published, never the wall clock. At speed N the publisher only paces itself to the wall; every
rule that turns on time (SLA, silence, shelving, windows) reads the stream clock, so a replay at
1x, 10x or as fast as it goes raises the same alarms at the same instants, and the digest over
triage results, alarms, SLA outcomes and KPIs is the same.

A replay runs in an isolated namespace: topics prefixed `replay-<tag>.` and its own database
schema `replay_<tag>`, so it never mixes with live data. The workers are injected (the CLI, the
composition root, builds them), so this module imports no stage.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from ioc import alarms as al
from ioc import recording
from ioc import topics as tp
from ioc.clock import Clock
from ioc.config import Settings
from ioc.kafka import Publisher
from ioc.worker import Worker

logger = logging.getLogger(__name__)

WorkerFactory = Callable[[Settings, Clock], Worker]
SETTLE_S = 1.5  # outputs unchanged this long (wall) after the last input: the pipeline is done
DRAIN_TIMEOUT_S = 300


class ReplayError(RuntimeError):
    """A replay that cannot start or finish; the message says why and what to do."""


class StreamClock:
    """The replay's clock: where the stream is (the newest event time published), moved only
    forward. `speed` is the replay's pace (infinite: as fast as it goes), for the rules that
    allow a lateness in wall time: what is published is not yet read, and at 3600x a tenth of
    a second is six minutes of stream."""

    def __init__(self, start: datetime, speed: float | None = None) -> None:
        self._now = start
        self.speed = speed if speed is not None else float("inf")
        self.final = False  # the whole stream is in and read: judge silence up to `now`
        self.judged = threading.Event()  # set by the rule that judged the end (and published)
        self._lock = threading.Lock()

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
            if pid.isdigit() and not _alive(int(pid)):
                self.path.unlink(missing_ok=True)  # left by a crash
                return self.__enter__()
            raise ReplayError(f"another replay is running (pid {pid}); wait for it, or stop "
                              f"it, before starting one (lock {self.path})") from None
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        return self

    def __exit__(self, *_exc) -> None:
        self.path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def publish(entries, publisher: Publisher, clock: StreamClock, start: datetime,
            speed: float | None, stop: threading.Event, progress=None) -> int:
    """Publish in event-time order, paced to the wall at `speed` (None: no pacing), moving the
    stream clock to each event's time as it goes out."""
    wall0, sent = time.monotonic(), 0
    for entry in entries:
        if stop.is_set():
            break
        if speed is not None:
            due = wall0 + (entry.event.ts - start).total_seconds() / speed
            while (wait := due - time.monotonic()) > 0 and not stop.is_set():
                publisher.flush()  # what is due goes out before the pause
                stop.wait(min(wait, 0.25))
        clock.advance(entry.event.ts)
        publisher.publish(entry.topic, entry.event, payload=entry.jpeg)
        sent += 1
        if progress is not None and sent % 500 == 0:
            progress(sent)
    publisher.flush()
    return sent


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


def _snapshot(conn: psycopg.Connection) -> tuple:
    return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (
        "citizen_reports", "report_triage", "report_events", "sensor_readings", "alarm_events"))


def wait_settled(settings: Settings, expected: dict[str, int],
                 timeout_s: float = DRAIN_TIMEOUT_S) -> None:
    """Until every input is stored, every report triaged, and nothing changed for SETTLE_S."""
    from ioc.db.session import connect

    deadline = time.monotonic() + timeout_s
    last, since = None, time.monotonic()
    with connect(settings, autocommit=True) as conn:
        while time.monotonic() < deadline:
            snap = _snapshot(conn)
            stored_all = (snap[0] >= expected.get(tp.CITIZEN_REPORTS.name, 0)
                          and snap[1] >= snap[0]
                          and snap[3] >= expected.get(tp.SENSOR_READINGS.name, 0))
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
            "reports": reports, "breaches": breaches, "kpis": kpis}


def stream_end(manifest: recording.Manifest) -> datetime:
    """Where the stream ends: a scenario's declared end (it may run on after its last event,
    so that a breach two hours later is seen), else the last event."""
    declared = manifest.scenario.get("end")
    return max(manifest.end, datetime.fromisoformat(declared)) if declared else manifest.end


def reading_intervals(path: Path) -> dict[str, float]:
    """Each sensor's usual gap between readings in the recording (the median), so the replay
    judges silence by how that sensor really reported, whatever the registry says today."""
    import statistics

    last: dict[str, datetime] = {}
    gaps: dict[str, list[float]] = {}
    for entry in recording.read(path):
        if entry.topic is tp.SENSOR_READINGS:
            sid = entry.event.sensor_id
            if sid in last:
                gaps.setdefault(sid, []).append((entry.event.ts - last[sid]).total_seconds())
            last[sid] = entry.event.ts
    return {sid: statistics.median(g) for sid, g in gaps.items() if g}


def digest_of(result: dict) -> str:
    text = json.dumps(result, sort_keys=True, default=str, ensure_ascii=False,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def run(path: Path, base: Settings, workers: list[WorkerFactory], speed: float | None, *,
        tag: str, prepare: Callable[[Settings, dict[str, float]], None],
        kpis_at: Callable[[Settings, datetime], dict],
        stop: threading.Event | None = None, progress=None) -> ReplayResult:
    """Replay the recording at `path` into namespace `tag` and return the digest of its outputs.
    `prepare` readies the namespace (schema, topics, sensors with their reporting intervals);
    `kpis_at` reads the KPIs there at an instant (the API's own computation)."""
    from ioc.db.session import connect

    manifest = recording.verify(path)
    end = stream_end(manifest)
    stop = stop or threading.Event()
    ns = Namespace.for_replay(base, tag)
    prepare(ns.settings, reading_intervals(path))
    clock = StreamClock(manifest.start, speed)
    running = [factory(ns.settings, clock) for factory in workers]
    halt = threading.Event()
    threads = [threading.Thread(target=w.run, args=(halt,), name=f"replay-{w.name}",
                                daemon=True) for w in running]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    publisher = Publisher(ns.settings)
    try:
        sent = publish(recording.read(path), publisher, clock, manifest.start, speed, stop,
                       progress)
        if stop.is_set():
            raise ReplayError("the replay was stopped before its end")
        clock.advance(end)  # the end of the stream: silence and SLAs are judged up to it
        _wait_read(running, ns.settings, manifest.topics)
        clock.final = True
        if not clock.judged.wait(DRAIN_TIMEOUT_S):
            raise ReplayError("the sensors worker never judged the end of the stream")
        wait_settled(ns.settings, manifest.topics)
        with connect(ns.settings) as conn:
            made = outputs(conn, end, kpis_at(ns.settings, end))
    finally:
        publisher.close()
        halt.set()
        for thread in threads:
            thread.join(30)
    return ReplayResult(digest_of(made), sent, speed, ns, made, time.monotonic() - started)

