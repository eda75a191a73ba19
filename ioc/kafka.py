"""Kafka plumbing: producer and consumer factories, topic creation, and the serde.

The topic owns the serde: every topic's value is its event model as JSON, except the JPEG topics
(camera frames, vision snapshots), whose value is the JPEG and whose event rides in the
`ioc-meta` header.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import (
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    TopicAlreadyExistsError,
)
from pydantic import ValidationError

from ioc import events as ev
from ioc import topics as tp
from ioc.config import Settings

logger = logging.getLogger(__name__)

META_HEADER = "ioc-meta"
# What kafka-python raises when no broker answers at bootstrap.
NoBrokersAvailable = (KafkaTimeoutError, KafkaConnectionError)


class BrokerUnavailable(RuntimeError):
    """The broker cannot be reached; the message says where we looked and what to do."""


class Undecodable(ValueError):
    """A message that cannot be parsed or validated: its reason goes to the dead-letter topic."""


@dataclass(frozen=True)
class Encoded:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def encode(topic: tp.Topic, event: ev.Event, payload: bytes | None = None) -> Encoded:
    key = topic.key_of(event).encode()
    if topic.jpeg:
        if payload is None:
            raise ValueError(f"a {topic.name} message needs its JPEG bytes as payload")
        return Encoded(key, payload, [(META_HEADER, event.model_dump_json().encode())])
    return Encoded(key, event.model_dump_json().encode(), [])


def decode(topic: tp.Topic, value: bytes | None, headers: list[tuple[str, bytes]]) -> ev.Event:
    """Parse and validate one message, or raise Undecodable with a reason a person can read."""
    if value is None:
        raise Undecodable("empty message (no value)")
    if len(value) > ev.MAX_MESSAGE_BYTES:
        raise Undecodable(f"message is {len(value)} bytes, over the {ev.MAX_MESSAGE_BYTES} limit")
    raw = value
    if topic.jpeg:
        what = "camera frame" if topic is tp.CAMERA_FRAMES else "snapshot"
        meta = dict(headers or []).get(META_HEADER)
        if meta is None:
            raise Undecodable(f"{what} without its '{META_HEADER}' header")
        if not value.startswith(b"\xff\xd8"):
            raise Undecodable(f"{what} value is not a JPEG (missing FF D8 start marker)")
        raw = meta
    # PostgreSQL text cannot hold NUL: refuse it here, not in the writer. The byte test is a
    # cheap filter; only a decoded string tells a NUL from the six characters "\\u0000".
    if b"\\u0000" in raw and _holds_nul(raw):
        raise Undecodable("contains a NUL character (U+0000), which cannot be stored")
    try:
        return topic.model.model_validate_json(raw)
    except ValidationError as exc:
        raise Undecodable(describe_validation_error(exc)) from None


def _holds_nul(raw: bytes) -> bool:
    def walk(value) -> bool:
        if isinstance(value, str):
            return "\x00" in value
        if isinstance(value, dict):
            return any(walk(k) or walk(v) for k, v in value.items())
        if isinstance(value, list):
            return any(walk(v) for v in value)
        return False

    try:
        return walk(json.loads(raw))
    except ValueError:
        return False  # not JSON: validation says so with its own reason


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "message"
        if err["type"] == "json_invalid":
            parts.append(f"malformed JSON: {err['msg']}")
        elif err["type"] == "literal_error" and where == "schema_version":
            parts.append(
                f"schema_version {err.get('input')!r} is not supported (this worker reads "
                f"version {ev.SCHEMA_VERSION})"
            )
        elif err["type"] == "timezone_aware":
            parts.append(f"{where}: timestamp {err.get('input')!r} has no time zone; send UTC")
        else:
            parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def _bootstrap(settings: Settings) -> list[str]:
    if not settings.kafka_bootstrap:
        raise BrokerUnavailable("IOC_KAFKA_BOOTSTRAP is empty; run `ioc up` or set it")
    return settings.kafka_bootstrap.split(",")


def make_producer(settings: Settings, **overrides) -> KafkaProducer:
    options = dict(
        bootstrap_servers=_bootstrap(settings),
        acks="all",
        linger_ms=5,
        batch_size=256 * 1024,
        max_request_size=2 * 1024 * 1024,
        retries=5,
        # One request in flight per broker: a retried batch cannot overtake the next one, so a
        # report's "respond" never lands after its "resolve".
        max_in_flight_requests_per_connection=1,
        client_id="ioc",
    )
    options.update(overrides)
    try:
        return KafkaProducer(**options)
    except NoBrokersAvailable:
        raise BrokerUnavailable(_unreachable(settings)) from None


def make_consumer(settings: Settings, group: str, **overrides) -> KafkaConsumer:
    options = dict(
        bootstrap_servers=_bootstrap(settings),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        # The embedded broker makes a first join wait about session_timeout/2 (DESIGN).
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
        max_poll_interval_ms=300_000,
        fetch_max_bytes=16 * 1024 * 1024,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        client_id=group,
    )
    options.update(overrides)
    try:
        return KafkaConsumer(**options)
    except NoBrokersAvailable:
        raise BrokerUnavailable(_unreachable(settings)) from None


def _unreachable(settings: Settings) -> str:
    return (
        f"no Kafka broker answers at {settings.kafka_bootstrap!r}. Start it, or unset "
        "IOC_KAFKA_BOOTSTRAP so `ioc up` starts the embedded broker."
    )


def ensure_topics(settings: Settings, topics: tuple[tp.Topic, ...] = tp.ALL) -> None:
    """Create the registry's topics with their partitions; existing ones are left alone."""
    try:
        admin = KafkaAdminClient(bootstrap_servers=_bootstrap(settings), client_id="ioc-admin")
    except NoBrokersAvailable:
        raise BrokerUnavailable(_unreachable(settings)) from None
    try:
        existing = set(admin.list_topics())
        for topic in topics:
            name = settings.topic(topic.name)
            if name in existing:
                continue
            try:
                admin.create_topics([NewTopic(name, topic.partitions, 1)])
                logger.info("created topic", extra={"topic": name, "partitions": topic.partitions})
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()


class Publisher:
    """Publishes typed events to their topics (with the configured prefix).

    `flush()` returns only when every message published since the last flush is on the broker,
    and raises if any of them failed: after it, a caller may commit or answer "accepted".
    """

    PRUNE_AT = 10_000

    def __init__(self, settings: Settings, producer: KafkaProducer | None = None) -> None:
        self.settings = settings
        self.producer = producer or make_producer(settings)
        self._pending: list = []
        self._lock = threading.Lock()  # API routes share one Publisher across threads

    def publish(self, topic: tp.Topic, event: ev.Event, payload: bytes | None = None):
        if not isinstance(event, topic.model):
            raise TypeError(f"{topic.name} carries {topic.model.__name__}, not {type(event).__name__}")
        msg = encode(topic, event, payload)
        future = self.producer.send(
            self.settings.topic(topic.name), key=msg.key, value=msg.value, headers=msg.headers)
        done: list = []
        with self._lock:
            self._pending.append(future)
            if len(self._pending) >= self.PRUNE_AT:  # producers that never flush stay bounded
                done = [f for f in self._pending if f.is_done]
                self._pending = [f for f in self._pending if not f.is_done]
        for f in done:
            f.get(timeout=0)  # raises a failed send's error
        return future

    def publish_durably(self, topic: tp.Topic, event: ev.Event, timeout_s: float = 30.0) -> None:
        """Publish one event and return only once the broker has it (or raise)."""
        self.publish(topic, event).get(timeout=timeout_s)

    def flush(self, timeout_s: float = 30.0) -> None:
        self.producer.flush(timeout=timeout_s)
        with self._lock:
            pending, self._pending = self._pending, []
        errors = []
        for future in pending:  # check every one, then raise the first failure
            try:
                future.get(timeout=timeout_s)
            except KafkaError as exc:
                errors.append(exc)
        if errors:
            raise errors[0]

    def close(self) -> None:
        try:
            self.flush(timeout_s=10)
        except KafkaError:
            logger.warning("could not flush producer on close")
        self.producer.close(timeout=5)
