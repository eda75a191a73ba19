"""The one consumer loop every worker runs: poll, decode, sink, commit, dead-letter.

Order matters: a batch's dead letters are flushed to the broker and its good messages made
durable by the sink *before* the offsets are committed. A crash anywhere before the commit
replays the batch, which the idempotent sinks absorb, so nothing is lost or doubled.
"""

from __future__ import annotations

import base64
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kafka.errors import CommitFailedError

from ioc import events as ev
from ioc import topics as tp
from ioc.config import Settings
from ioc.kafka import Publisher, Undecodable, decode, make_consumer

logger = logging.getLogger(__name__)

DEADLETTER_RAW_MAX = 512 * 1024
DEADLETTER_NAMESPACE = uuid.UUID("9d0f3a52-7c1e-4b8a-a2f4-61e0c3d5b7a8")


@dataclass(frozen=True)
class Message:
    topic: tp.Topic
    event: ev.Event
    value: bytes  # the raw value: the JPEG for camera frames
    partition: int
    offset: int
    produced_ms: int  # the record's broker timestamp


Sink = Callable[[list[Message]], None]
"""Handles a batch and returns only once its effects are durable; raises on infrastructure faults."""

Tick = Callable[[bool], None]
"""Called after every poll with whether it came back empty (everything there was is handled):
for rules about what did *not* arrive (a sensor gone silent), which no message can trigger."""


@dataclass
class WorkerStats:
    started_at: float = field(default_factory=time.time)
    processed: int = 0
    dead_lettered: int = 0
    lag_s: float = 0.0
    caught_up: bool = True


def dead_letter(worker: str, reason: str, record) -> ev.DeadLetter:
    value = record.value or b""
    return ev.DeadLetter(
        # The same bad record replayed after a crash is the same dead letter.
        event_id=uuid.uuid5(DEADLETTER_NAMESPACE,
                            f"{record.topic}|{record.partition}|{record.offset}"),
        ts=ev.utcnow(),
        reason=reason,
        source_topic=record.topic,
        source_partition=record.partition,
        source_offset=record.offset,
        key=record.key.decode(errors="replace") if record.key else None,
        raw_b64=base64.b64encode(value[:DEADLETTER_RAW_MAX]).decode(),
        raw_bytes=len(value),
        worker=worker,
    )


class Worker:
    def __init__(
        self,
        settings: Settings,
        name: str,
        topics: Iterable[tp.Topic],
        sink: Sink,
        *,
        group: str | None = None,
        publisher: Publisher | None = None,
        tick: Tick | None = None,
    ) -> None:
        self.settings = settings
        self.tick = tick
        self.name = name
        self.topics = {settings.topic(t.name): t for t in topics}
        self.sink = sink
        # The prefix that isolates topics (tests, side-by-side cities) isolates groups too.
        self.group = group or f"{settings.topic_prefix}{name}"
        self.publisher = publisher or Publisher(settings)
        self.stats = WorkerStats()
        self.instance = f"{socket.gethostname()}:{os.getpid()}"
        self._last_heartbeat = 0.0
        self.assigned = threading.Event()  # set once the group gave it its partitions

    def handle(self, records: Iterable) -> None:
        """Decode a polled batch, dead-letter the bad, sink the good. Commit is the caller's."""
        good: list[Message] = []
        dead = 0
        for record in records:
            topic = self.topics[record.topic]
            try:
                event = decode(topic, record.value, record.headers)
            except Undecodable as exc:
                if topic is tp.DEADLETTER:  # never letter a letter: that would loop forever
                    logger.error("an unreadable dead letter was skipped", extra={
                        "partition": record.partition, "offset": record.offset,
                        "reason": str(exc)})
                    dead += 1
                    continue
                letter = dead_letter(self.name, str(exc), record)
                self.publisher.publish(tp.DEADLETTER, letter)
                logger.warning(
                    "dead-lettered a message",
                    extra={"topic": record.topic, "partition": record.partition,
                           "offset": record.offset, "reason": letter.reason},
                )
                dead += 1
                continue
            good.append(Message(topic, event, record.value, record.partition, record.offset,
                                record.timestamp))
        if dead:
            self.publisher.flush()
        if good:
            self.sink(good)
        self.stats.processed += len(good)
        self.stats.dead_lettered += dead

    def run(self, stop: threading.Event) -> None:
        consumer = make_consumer(self.settings, self.group)
        consumer.subscribe(list(self.topics))
        logger.info("worker started", extra={"worker": self.name, "topics": list(self.topics)})
        try:
            while not stop.is_set():
                polled = consumer.poll(self.settings.poll_timeout_ms,
                                       max_records=self.settings.batch_max)
                records = [r for batch in polled.values() for r in batch]
                if records:
                    self.handle(records)
                    try:
                        consumer.commit()
                    except CommitFailedError:
                        # The group rebalanced: the new owner replays these; sinks are idempotent.
                        logger.warning("commit refused after a rebalance", extra={"worker": self.name})
                    newest_ms = max(r.timestamp for r in records)
                    self.stats.lag_s = max(0.0, time.time() - newest_ms / 1000)
                    self.stats.caught_up = len(records) < self.settings.batch_max
                else:
                    self.stats.lag_s, self.stats.caught_up = 0.0, True
                mine = bool(consumer.assignment())
                if mine:
                    self.assigned.set()
                if self.tick is not None:  # idle only once partitions are ours and read
                    self.tick(not records and mine)
                self._maybe_heartbeat()
        finally:
            consumer.close(autocommit=False)
            self.publisher.close()
            logger.info("worker stopped", extra={"worker": self.name,
                                                 "processed": self.stats.processed})

    def _maybe_heartbeat(self) -> None:
        now = time.monotonic()
        if now - self._last_heartbeat < self.settings.heartbeat_interval_s:
            return
        self._last_heartbeat = now
        self.publisher.publish(tp.HEARTBEATS, heartbeat(self.name, self.instance, self.stats))


def heartbeat(worker: str, instance: str, stats: WorkerStats) -> ev.Heartbeat:
    return ev.Heartbeat(
        ts=ev.utcnow(),
        worker=worker,
        instance=instance,
        started_at=datetime.fromtimestamp(stats.started_at, UTC),
        processed=stats.processed,
        dead_lettered=stats.dead_lettered,
        lag_s=round(stats.lag_s, 3),
        caught_up=stats.caught_up,
    )


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT, for a graceful stop at the next poll."""
    stop = threading.Event()

    def _handler(signum, _frame):
        logger.info("stopping on signal", extra={"signal": signal.Signals(signum).name})
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    return stop
