"""The MQTT door end to end: a real gateway client, the embedded amqtt broker, the bridge, the
real Kafka broker and PostgreSQL. Good readings land, bad ones are dead letters with a reason,
a flood is rate-limited without holding anyone else back, idle clients block no one, and the
bridge survives its broker restarting."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
from fakes import FakePublisher
from kafka import TopicPartition
from kafka.errors import KafkaTimeoutError
from waiting import wait_until

from ingest.mqtt import MqttBridge, MqttUnavailable, run
from ingest.mqtt_broker import EmbeddedMqttBroker
from ingest.readings import registry_from_db
from ioc import events as ev
from ioc import topics as tp
from ioc.clock import WallClock
from ioc.config import Settings
from ioc.db.session import connect
from ioc.embedded import free_port, port_open
from ioc.kafka import Publisher, decode, make_consumer
from ioc.persistence import make_worker
from ioc.sensors import Registry, Sensor, register

pytestmark = pytest.mark.integration

SENSORS = [
    Sensor(sensor_id="wl-cau-1", kind=ev.SensorKind.WATER_LEVEL, station="Cầu 1", interval_s=60),
    Sensor(sensor_id="aq-quiet", kind=ev.SensorKind.PM25, station="Phường 1", interval_s=60),
    Sensor(sensor_id="aq-flood", kind=ev.SensorKind.PM25, station="Phường 2", interval_s=60),
]
CONNECT_TIMEOUT_S = 1.0


class Tail:
    """Everything on one topic of this test, read without a consumer group (no join wait)."""

    def __init__(self, settings: Settings, topic: tp.Topic) -> None:
        self.topic = topic
        self.consumer = make_consumer(settings, f"tail-{uuid.uuid4().hex[:6]}", group_id=None)
        name = settings.topic(topic.name)
        self.consumer.assign([TopicPartition(name, p) for p in range(topic.partitions)])
        self.events: list = []

    def read(self) -> list:
        for batch in self.consumer.poll(200).values():
            self.events.extend(decode(self.topic, r.value, r.headers) for r in batch)
        return self.events


class Gateway:
    """A sensor gateway: a paho client that publishes readings with QoS 1."""

    def __init__(self, port: int) -> None:
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=f"gw-{uuid.uuid4().hex[:8]}")
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def send(self, topic: str, payload: bytes | dict, wait: bool = True) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        info = self.client.publish(topic, body, qos=1)
        if wait:
            info.wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@dataclass
class Door:
    settings: Settings
    broker: EmbeddedMqttBroker
    bridge: MqttBridge
    readings: Tail
    letters: Tail

    def restart_broker(self) -> None:
        self.broker.stop()
        self.broker = EmbeddedMqttBroker(self.broker.port, connect_timeout_s=CONNECT_TIMEOUT_S)
        self.broker.start()


@pytest.fixture
def door(settings: Settings) -> Iterator[Door]:
    with connect(settings, autocommit=True) as conn:
        register(conn, SENSORS, by="test")
    s = settings.model_copy(update={"mqtt_port": free_port(), "mqtt_device_rate_per_s": 5.0})
    broker = EmbeddedMqttBroker(s.mqtt_port, connect_timeout_s=CONNECT_TIMEOUT_S).start()
    publisher = Publisher(s)
    bridge = MqttBridge(s, publisher, registry_from_db(s), WallClock())
    bridge.start()
    door = Door(s, broker, bridge, Tail(s, tp.SENSOR_READINGS), Tail(s, tp.DEADLETTER))
    try:
        yield door
    finally:
        bridge.stop()
        publisher.close()
        door.broker.stop()
        door.readings.consumer.close()
        door.letters.consumer.close()


def _reading(kind: str = "water_level", value: float = 1.25, ago_s: float = 60) -> dict:
    ts = datetime.now(UTC) - timedelta(seconds=ago_s)
    return {"ts": ts.isoformat(), "kind": kind, "value": value,
            "unit": ev.SENSOR_UNITS[ev.SensorKind(kind)]}


def _letter(door: Door, reason_part: str) -> ev.DeadLetter:
    def found():
        return next((d for d in door.letters.read() if reason_part in d.reason), None)

    return wait_until(found, 10, f"a dead letter saying {reason_part!r}")


def test_readings_land_once_and_bad_messages_are_dead_letters(door: Door):
    stop = threading.Event()
    worker = make_worker(door.settings)
    persistence = threading.Thread(target=worker.run, args=(stop,))
    persistence.start()  # joins its group while the rest runs
    idle = socket.create_connection(("127.0.0.1", door.settings.mqtt_port))  # never sends
    gateway = Gateway(door.settings.mqtt_port)
    try:
        good = _reading()
        started = time.monotonic()
        gateway.send("ioc/readings/wl-cau-1", good)
        wait_until(lambda: door.bridge.counters.published >= 1, 5, "the reading is on Kafka")
        assert time.monotonic() - started < 1.5, "a reading is on Kafka well within a second"
        gateway.send("ioc/readings/wl-cau-1", good)  # the gateway re-sends it

        bad = {
            "unregistered sensor 'wl-nowhere': register it first":
                ("ioc/readings/wl-nowhere", _reading()),
            "malformed JSON": ("ioc/readings/wl-cau-1", b'{"ts": "2026-07-01T08:00:00Z", '),
            "a water_level of -0.4 m is impossible":
                ("ioc/readings/wl-cau-1", _reading(value=-0.4)),
            "is in the future": ("ioc/readings/wl-cau-1", _reading(ago_s=-3600)),
            "not a JSON object": ("ioc/readings/wl-cau-1", b"[1.25]"),
            "does not match the topic's 'wl-cau-1'":
                ("ioc/readings/wl-cau-1", {**_reading(), "sensor_id": "aq-quiet"}),
            "registered as pm25": ("ioc/readings/aq-quiet", _reading()),
        }
        for topic, payload in bad.values():
            gateway.send(topic, payload)

        for reason, (topic, _payload) in bad.items():
            letter = _letter(door, reason)
            assert letter.source_topic == f"mqtt:{topic}" and letter.source_offset == -1
            assert letter.worker == "ingest"
        malformed = _letter(door, "malformed JSON")
        assert malformed.raw_b64 and malformed.key == "wl-cau-1"

        twice = wait_until(lambda: len(door.readings.read()) >= 2 and door.readings.events,
                           10, "both sends of the reading are on Kafka")
        assert len(twice) == 2 and twice[0].event_id == twice[1].event_id
        assert twice[0].sensor_id == "wl-cau-1" and twice[0].value == 1.25

        wait_until(lambda: worker.stats.processed >= 2 + len(bad), 30,
                   "the persistence worker has written both copies and every letter")
        with connect(door.settings) as conn:
            rows = conn.execute("SELECT event_id, sensor_id, value FROM sensor_readings"
                                ).fetchall()
            stored_letters = conn.execute("SELECT count(*) FROM deadletters WHERE "
                                          "source_topic LIKE 'mqtt:%'").fetchone()[0]
        assert rows == [(twice[0].event_id, "wl-cau-1", 1.25)], "sent twice, stored once"
        assert stored_letters == len(bad)
        assert door.bridge.counters.received == 2 + len(bad)
        assert door.bridge.counters.dead_lettered == len(bad)

        idle.settimeout(5)
        assert idle.recv(1) == b"", "a client that never sends CONNECT is closed"
    finally:
        stop.set()
        persistence.join(30)
        idle.close()
        gateway.close()


def test_a_flooding_device_is_rate_limited_and_never_holds_back_another(door: Door):
    flooder, quiet = Gateway(door.settings.mqtt_port), Gateway(door.settings.mqtt_port)
    start = datetime.now(UTC) - timedelta(minutes=2)
    flood = 100
    try:
        for i in range(flood):
            reading = {**_reading("pm25", 20.0), "ts": (start + timedelta(seconds=i)).isoformat()}
            flooder.send("ioc/readings/aq-flood", reading, wait=False)
        quiet.send("ioc/readings/aq-quiet", _reading("pm25", 12.0))
        wait_until(lambda: any(r.sensor_id == "aq-quiet" for r in door.readings.read()), 5,
                   "the quiet device's reading is on Kafka despite the flood")
        wait_until(lambda: door.bridge.counters.received == flood + 1, 10,
                   "the bridge received the whole flood")
        counters = door.bridge.counters
        wait_until(lambda: counters.published + counters.dead_lettered == flood + 1, 10,
                   "every message is a reading or a dead letter")
    finally:
        flooder.close()
        quiet.close()
    # The burst (10) and what refills while the flood arrives get through; the rest does not.
    assert 10 <= counters.published - 1 <= 20
    assert counters.rate_limited == counters.dead_lettered == flood - (counters.published - 1)
    letter = _letter(door, "rate limited")
    assert "sensor 'aq-flood' sent more than 5 messages/s" in letter.reason
    assert letter.key == "aq-flood"


def test_idle_and_silent_clients_are_closed_and_block_no_one(door: Door):
    port = door.settings.mqtt_port
    idle = socket.create_connection(("127.0.0.1", port))  # no CONNECT, ever
    silent = socket.create_connection(("127.0.0.1", port))  # CONNECT, keep-alive 1 s, then mute
    client_id = b"silent-device"
    variable = b"\x00\x04MQTT\x04\x02\x00\x01"  # MQTT 3.1.1, clean session, keep-alive 1 s
    body = variable + len(client_id).to_bytes(2, "big") + client_id
    silent.sendall(bytes([0x10, len(body)]) + body)
    silent.settimeout(5)
    assert silent.recv(4) == b"\x20\x02\x00\x00", "the broker accepts the CONNECT"
    gateway = Gateway(port)
    try:
        gateway.send("ioc/readings/wl-cau-1", _reading())
        wait_until(lambda: door.readings.read(), 5, "a reading passes while others idle")
        idle.settimeout(5)
        assert idle.recv(1) == b"", "no CONNECT within the deadline: closed"
        assert silent.recv(1) == b"", "silent past 1.5 x keep-alive: closed"
    finally:
        idle.close()
        silent.close()
        gateway.close()


def test_the_bridge_reconnects_when_its_broker_comes_back(door: Door):
    door.restart_broker()
    wait_until(lambda: not door.bridge.subscribed, 5, "the bridge notices the broker left")
    wait_until(lambda: door.bridge.subscribed, 15, "the bridge is subscribed again")
    gateway = Gateway(door.settings.mqtt_port)
    try:
        gateway.send("ioc/readings/wl-cau-1", _reading())
        wait_until(lambda: door.readings.read(), 5, "a reading after the restart is on Kafka")
    finally:
        gateway.close()


class RefusingOnce(FakePublisher):
    """Kafka that times out on the first flush."""

    def flush(self, timeout_s: float = 30) -> None:
        super().flush(timeout_s)
        if self.flushes == 1:
            raise KafkaTimeoutError("no broker took the batch")


def test_what_kafka_refuses_is_published_again_until_it_is_taken():
    port = free_port()
    broker = EmbeddedMqttBroker(port).start()
    publisher = RefusingOnce()
    bridge = MqttBridge(Settings(mqtt_port=port), publisher,
                        Registry(lambda: {s.sensor_id: s for s in SENSORS}), WallClock())
    bridge.start()
    gateway = Gateway(port)
    try:
        gateway.send("ioc/readings/wl-cau-1", _reading())
        wait_until(lambda: bridge.counters.published == 1, 10, "the retried flush succeeds")
        first, again = publisher.sent
        assert first == again and first[0] is tp.SENSOR_READINGS, "published again after it"
        assert publisher.flushes == 2
    finally:
        gateway.close()
        bridge.stop()
        broker.stop()


def test_run_serves_the_door_until_told_to_stop(settings: Settings):
    with connect(settings, autocommit=True) as conn:
        register(conn, SENSORS, by="test")
    s = settings.model_copy(update={"mqtt_port": free_port()})
    stop = threading.Event()
    door = threading.Thread(target=run, args=(s, stop))
    door.start()
    readings = Tail(s, tp.SENSOR_READINGS)
    try:
        wait_until(lambda: port_open("127.0.0.1", s.mqtt_port), 10, "the broker listens")
        gateway = Gateway(s.mqtt_port)
        reading = _reading()

        def resent_until_on_kafka() -> list:
            # Until the bridge has subscribed the broker drops what arrives; a gateway resends,
            # and the derived id makes every copy the same reading.
            gateway.send("ioc/readings/wl-cau-1", reading)
            return readings.read()

        wait_until(resent_until_on_kafka, 10, "the reading is on Kafka", interval_s=0.5)
        gateway.close()
    finally:
        stop.set()
        door.join(15)
        readings.consumer.close()
    assert not door.is_alive()
    assert not port_open("127.0.0.1", s.mqtt_port), "the broker stopped with it"


def test_without_a_broker_the_bridge_says_where_it_looked():
    settings = Settings(mqtt_url=f"mqtt://127.0.0.1:{free_port()}")
    bridge = MqttBridge(settings, FakePublisher(), Registry(dict), WallClock())
    with pytest.raises(MqttUnavailable, match="IOC_MQTT_URL"):
        bridge.start(timeout_s=1)
