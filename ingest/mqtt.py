"""MQTT door for sensor gateways: the bridge from `ioc/readings/<sensor_id>` to Kafka.

A gateway publishes one reading per message on `ioc/readings/<sensor_id>`, payload JSON
`{"ts", "kind", "value", "unit"}` (`event_id` optional). The bridge subscribes with QoS 1,
checks each message as the HTTP door does (ingest.readings) and publishes the reading to
`ioc.sensor.readings`, or a dead letter with the reason to `ioc.deadletter`.

Delivery: paho's network thread only queues what arrives; one worker thread checks, publishes
and flushes the Kafka producer every FLUSH_INTERVAL_S (or FLUSH_EVERY messages), and only then
acknowledges the messages to the MQTT broker (manual PUBACK). A broker that keeps the bridge's
session (mosquitto: fixed client id, clean_session off) redelivers what was never acknowledged;
the derived ids make a redelivered reading the same reading.

Each device (topic) has a token bucket: beyond IOC_MQTT_DEVICE_RATE_PER_S its messages are
dead-lettered as a flood before any parsing, so a flooding device costs little and its
readings never stand in for anyone else's.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
import psycopg
from kafka.errors import KafkaError

from ingest.mqtt_broker import EmbeddedMqttBroker
from ingest.readings import ReadingCheck, Refused, dead_letter, registry_from_db
from ioc import events as ev
from ioc import topics as tp
from ioc.clock import Clock
from ioc.config import Settings
from ioc.db.session import DatabaseUnavailable
from ioc.kafka import Publisher
from ioc.sensors import Registry

logger = logging.getLogger(__name__)

TOPIC_FILTER = "ioc/readings/+"
SOURCE_PREFIX = "mqtt:"  # the dead letters' source_topic is this + the MQTT topic
FLUSH_INTERVAL_S = 0.2  # a reading is on Kafka this soon after it arrives
FLUSH_EVERY = 1000
QUEUE_MAX = 10_000  # received, not yet checked; when full, paho stops reading the socket
BURST_S = 2.0  # a device may send this many seconds' worth of its rate at once
KEEPALIVE_S = 30
RETRY_S = 1.0
FLOOD_LOG_EVERY_S = 10.0
SHOWN_MAX = 64  # characters of what a device sent that a reason echoes


class MqttUnavailable(RuntimeError):
    """The MQTT broker cannot be reached; the message says where we looked and what to do."""


def _shown(text: str) -> str:
    return repr(text if len(text) <= SHOWN_MAX else text[:SHOWN_MAX] + "…")


def sensor_id_of(topic: str) -> str:
    """The sensor id in `ioc/readings/<sensor_id>`, or Refused."""
    parts = topic.split("/")
    if len(parts) != 3 or parts[:2] != ["ioc", "readings"] or not parts[2]:
        raise Refused(f"topic {_shown(topic)} is not ioc/readings/<sensor_id>; publish each "
                      "reading on ioc/readings/ followed by its sensor id, nothing after it")
    return parts[2]


_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number",
               bool: "a boolean", type(None): "null"}


def reading_fields(sensor_id: str, payload: bytes) -> dict:
    """The payload as the fields of a reading of `sensor_id`, or Refused."""
    if len(payload) > ev.MAX_MESSAGE_BYTES:
        raise Refused(f"payload is {len(payload)} bytes, over the {ev.MAX_MESSAGE_BYTES} limit")
    try:
        fields = json.loads(payload)
    except UnicodeDecodeError:
        raise Refused("payload is not UTF-8 text; send the reading as JSON") from None
    except ValueError as exc:
        raise Refused(f"malformed JSON: {exc}") from None
    if not isinstance(fields, dict):
        raise Refused(f"payload is {_JSON_TYPES.get(type(fields), 'not an object')}, not a "
                      'JSON object; send {"ts", "kind", "value", "unit"}')
    given = fields.get("sensor_id", sensor_id)
    if given != sensor_id:
        shown = _shown(given) if isinstance(given, str) else repr(given)[:SHOWN_MAX]
        raise Refused(f"payload sensor_id {shown} does not match the topic's {_shown(sensor_id)}"
                      "; publish on ioc/readings/<its sensor_id>, or leave sensor_id out")
    return {**fields, "sensor_id": sensor_id}


class RateLimiter:
    """A token bucket per device: `rate_per_s` on average, up to `burst` at once."""

    def __init__(self, rate_per_s: float, burst: float,
                 now: Callable[[], float] = time.monotonic, max_devices: int = 100_000) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError(f"need rate_per_s > 0 and burst >= 1, got {rate_per_s}, {burst}")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_devices = max_devices
        self._now = now
        self._buckets: dict[str, tuple[float, float]] = {}  # device -> (tokens, at)

    def allow(self, device: str) -> bool:
        at = self._now()
        tokens, last = self._buckets.get(device, (self.burst, at))
        tokens = min(self.burst, tokens + (at - last) * self.rate_per_s)
        allowed = tokens >= 1
        self._buckets[device] = (tokens - 1 if allowed else tokens, at)
        if len(self._buckets) > self.max_devices:
            self._forget_idle(at)
        return allowed

    def _forget_idle(self, at: float) -> None:
        # A bucket that has refilled is the same as no bucket: drop it, so devices that come
        # and go (or made-up ids) cannot grow this without bound.
        full_after = self.burst / self.rate_per_s
        self._buckets = {d: b for d, b in self._buckets.items() if at - b[1] < full_after}


@dataclass
class BridgeCounters:
    received: int = 0  # messages from the MQTT broker
    published: int = 0  # readings on Kafka
    dead_lettered: int = 0  # dead letters on Kafka, rate-limited ones included
    rate_limited: int = 0  # messages refused as a device's flood


@dataclass(frozen=True)
class _Arrived:
    topic: str
    payload: bytes
    mid: int
    qos: int
    connection: int  # which MQTT connection it came on: an ack is only valid on that one


def broker_address(settings: Settings) -> tuple[str, int, str | None, str | None]:
    """(host, port, username, password) of the broker the bridge subscribes to."""
    if settings.embedded_mqtt:
        host = settings.host if settings.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        return host, settings.mqtt_port, None, None
    url = urlsplit(settings.mqtt_url)
    if url.scheme != "mqtt" or not url.hostname:
        raise ValueError(f"IOC_MQTT_URL={settings.mqtt_url!r} is not mqtt://host:port; set it "
                         "like mqtt://127.0.0.1:1883, or leave it empty for the embedded broker")
    return (url.hostname, url.port or 1883, unquote(url.username) if url.username else None,
            unquote(url.password) if url.password else None)


class MqttBridge:
    """Subscribes to `ioc/readings/+` and publishes what arrives to Kafka (see the module)."""

    def __init__(self, settings: Settings, publisher: Publisher, registry: Registry,
                 clock: Clock, *, limiter: RateLimiter | None = None,
                 flush_interval_s: float = FLUSH_INTERVAL_S) -> None:
        self.host, self.port, username, password = broker_address(settings)
        self.embedded = settings.embedded_mqtt
        self.publisher = publisher
        self.check = ReadingCheck(registry, clock)
        rate = settings.mqtt_device_rate_per_s
        self.limiter = limiter or RateLimiter(rate, max(1.0, rate * BURST_S))
        self.flush_interval_s = flush_interval_s
        self.counters = BridgeCounters()
        self._queue: queue.Queue[_Arrived] = queue.Queue(QUEUE_MAX)
        self._subscribed = threading.Event()
        self._closing = threading.Event()  # set once nothing more can arrive
        self._ack_lock = threading.Lock()  # a reconnect and the acks it invalidates
        self._connection = 0
        self._flood_log_at = 0.0
        self._flooded = 0
        self._worker = threading.Thread(target=self._work, name="mqtt-bridge", daemon=True)
        # A fixed id with a kept session: a broker that keeps sessions redelivers to the next
        # bridge what this one received but never acknowledged.
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                   client_id=f"ioc-ingest-{settings.topic_prefix}bridge",
                                   clean_session=False, manual_ack=True)
        if username is not None:
            self._client.username_pw_set(username, password)
        self._client.reconnect_delay_set(min_delay=1, max_delay=10)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    @property
    def subscribed(self) -> bool:
        return self._subscribed.is_set()

    def start(self, timeout_s: float = 15.0) -> None:
        """Connect and subscribe; returns once subscribed. Reconnects by itself afterwards."""
        self._worker.start()
        self._client.connect_async(self.host, self.port, keepalive=KEEPALIVE_S)
        self._client.loop_start()
        if not self._subscribed.wait(timeout_s):
            self.stop()
            advice = ("Is the embedded broker running (IOC_MQTT_PORT)?" if self.embedded else
                      "Start it, or unset IOC_MQTT_URL so the embedded broker runs.")
            raise MqttUnavailable(f"no MQTT broker let the bridge subscribe at {self.host}:"
                                  f"{self.port} within {timeout_s:g} s. {advice}")
        logger.info("MQTT bridge subscribed", extra={"broker": f"{self.host}:{self.port}",
                                                      "topics": TOPIC_FILTER})

    def stop(self, timeout_s: float = 30.0) -> None:
        """Disconnect, then put what already arrived on Kafka and return."""
        self._client.disconnect()
        self._client.loop_stop()
        self._closing.set()
        if self._worker.is_alive():
            self._worker.join(timeout_s)

    # paho's network thread: keep it quick, so keep-alive and acks are never late.

    def _on_connect(self, client: mqtt.Client, _userdata, _flags, reason_code, _props) -> None:
        if reason_code.is_failure:
            logger.error("the MQTT broker refused the bridge",
                         extra={"broker": f"{self.host}:{self.port}", "reason": str(reason_code)})
            return
        with self._ack_lock:
            self._connection += 1
        client.subscribe(TOPIC_FILTER, qos=1)

    def _on_subscribe(self, _client, _userdata, _mid, reason_codes, _props) -> None:
        if all(not code.is_failure for code in reason_codes):
            self._subscribed.set()
        else:
            logger.error("the MQTT broker refused the subscription",
                         extra={"topics": TOPIC_FILTER, "reason": [str(c) for c in reason_codes]})

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _props) -> None:
        self._subscribed.clear()
        if not self._closing.is_set() and reason_code.is_failure:
            logger.warning("lost the MQTT broker; reconnecting",
                           extra={"broker": f"{self.host}:{self.port}", "reason": str(reason_code)})

    def _on_message(self, _client, _userdata, message: mqtt.MQTTMessage) -> None:
        self.counters.received += 1
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = "<topic not UTF-8>"
        self._queue.put(_Arrived(topic, bytes(message.payload), message.mid, message.qos,
                                 self._connection))

    # The worker thread: check, publish, flush, acknowledge.

    def _work(self) -> None:
        batch = _Batch()
        while True:
            try:
                item = self._queue.get(timeout=batch.wait_s(self.flush_interval_s))
            except queue.Empty:
                item = None
            if item is not None:
                routed = self._route_retrying(item)
                if routed is not None:
                    batch.add(item, routed)
                    try:
                        self.publisher.publish(*routed)
                    except KafkaError:
                        batch.failed = True  # the flush publishes the whole batch again
            finishing = self._closing.is_set() and self._queue.empty()
            if batch.sent and (finishing or len(batch.sent) >= FLUSH_EVERY
                               or batch.age_s() >= self.flush_interval_s):
                if self._flush(batch):
                    self._acknowledge(batch.arrived)
                batch = _Batch()
            if finishing:
                return

    def _route_retrying(self, item: _Arrived) -> tuple[tp.Topic, ev.Event] | None:
        """Where the message goes. While the registry cannot be read nothing can be checked:
        wait for it, holding the rest back (the queue fills and paho stops reading)."""
        while True:
            try:
                return self._route(item)
            except (DatabaseUnavailable, psycopg.Error) as exc:
                logger.error("cannot read the sensor registry; retrying",
                             extra={"error": str(exc)[:300]})
                if self._closing.wait(RETRY_S):
                    return None  # unacknowledged: a broker that keeps sessions redelivers it

    def _route(self, item: _Arrived) -> tuple[tp.Topic, ev.Event]:
        sensor_id: str | None = None
        try:
            sensor_id = sensor_id_of(item.topic)
            if not self.limiter.allow(sensor_id):
                self.counters.rate_limited += 1
                self._note_flood(sensor_id)
                raise Refused(f"rate limited: sensor {sensor_id!r} sent more than "
                              f"{self.limiter.rate_per_s:g} messages/s (bursts up to "
                              f"{self.limiter.burst:g}); slow the device down or raise "
                              "IOC_MQTT_DEVICE_RATE_PER_S")
            return tp.SENSOR_READINGS, self.check.check(reading_fields(sensor_id, item.payload))
        except Refused as exc:
            letter = dead_letter(str(exc), SOURCE_PREFIX + item.topic, item.payload, sensor_id,
                                 self.check.clock.now())
            if not letter.reason.startswith("rate limited"):  # a flood is logged in summary
                logger.warning("dead-lettered an MQTT message",
                               extra={"mqtt_topic": item.topic, "reason": letter.reason})
            return tp.DEADLETTER, letter

    def _note_flood(self, sensor_id: str) -> None:
        self._flooded += 1
        now = time.monotonic()
        if now - self._flood_log_at >= FLOOD_LOG_EVERY_S:
            logger.warning("a device floods: its messages beyond the rate limit are "
                           "dead-lettered", extra={"sensor_id": sensor_id,
                                                   "rate_limited": self._flooded,
                                                   "limit_per_s": self.limiter.rate_per_s})
            self._flood_log_at, self._flooded = now, 0

    def _flush(self, batch: _Batch) -> bool:
        """Put the batch on Kafka, publishing it all again after a failure, until it is there;
        False when the bridge stops first."""
        if not batch.failed:
            try:
                self.publisher.flush()
            except KafkaError as exc:
                logger.error("Kafka did not take the bridge's messages; retrying",
                             extra={"messages": len(batch.sent), "error": str(exc)})
                batch.failed = True
        while batch.failed:
            if self._closing.wait(RETRY_S):
                logger.error("stopped before Kafka took the bridge's last messages",
                             extra={"messages": len(batch.sent)})
                return False
            try:
                for routed in batch.sent:
                    self.publisher.publish(*routed)
                self.publisher.flush()
                batch.failed = False
            except KafkaError as exc:
                logger.error("Kafka still refuses; retrying", extra={"error": str(exc)})
        readings = sum(1 for topic, _ in batch.sent if topic is tp.SENSOR_READINGS)
        self.counters.published += readings
        self.counters.dead_lettered += len(batch.sent) - readings
        return True

    def _acknowledge(self, arrived: list[_Arrived]) -> None:
        with self._ack_lock:
            for item in arrived:
                if item.qos > 0 and item.connection == self._connection:
                    self._client.ack(item.mid, item.qos)


class _Batch:
    """What the worker published since its last flush, and the messages it came from."""

    def __init__(self) -> None:
        self.sent: list[tuple[tp.Topic, ev.Event]] = []
        self.arrived: list[_Arrived] = []
        self.failed = False
        self._first_at = 0.0

    def add(self, item: _Arrived, routed: tuple[tp.Topic, ev.Event]) -> None:
        if not self.sent:
            self._first_at = time.monotonic()
        self.sent.append(routed)
        self.arrived.append(item)

    def age_s(self) -> float:
        return time.monotonic() - self._first_at if self.sent else 0.0

    def wait_s(self, flush_interval_s: float) -> float:
        """How long the worker may wait for the next message before this batch is due."""
        return max(0.0, flush_interval_s - self.age_s()) if self.sent else 0.1


def run(settings: Settings, stop: threading.Event, publisher: Publisher | None = None,
        registry: Registry | None = None, clock: Clock | None = None) -> None:
    """The MQTT door until `stop` is set: the embedded broker on IOC_HOST:IOC_MQTT_PORT (unless
    IOC_MQTT_URL names a broker) and the bridge. Raises MqttBrokerError or MqttUnavailable
    when it cannot start."""
    broker = (EmbeddedMqttBroker(settings.mqtt_port, settings.host).start()
              if settings.embedded_mqtt else None)
    own_publisher = publisher is None
    publisher = publisher or Publisher(settings)
    try:
        bridge = MqttBridge(settings, publisher, registry or registry_from_db(settings),
                            clock or settings.clock())
        bridge.start()
        try:
            stop.wait()
        finally:
            bridge.stop()
            logger.info("MQTT bridge stopped", extra=vars(bridge.counters))
    finally:
        if own_publisher:
            publisher.close()
        if broker is not None:
            broker.stop()
