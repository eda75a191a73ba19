"""The MQTT door's pieces without a broker: topic parsing, payload parsing, the shared reading
check, dead letters, the per-device rate limit, and ids equal to the HTTP door's."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fakes import FakePublisher
from fastapi.testclient import TestClient

from ingest.http import create_app
from ingest.mqtt import RateLimiter, broker_address, reading_fields, sensor_id_of
from ingest.readings import NAMESPACE, ReadingCheck, Refused, dead_letter, reading_event_id
from ioc import events as ev
from ioc import topics as tp
from ioc.clock import FakeClock
from ioc.config import Settings
from ioc.sensors import UNREGISTERED, Registry, Sensor

NOW = datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
SENSORS = {
    "wl-1": Sensor(sensor_id="wl-1", kind=ev.SensorKind.WATER_LEVEL, station="A", interval_s=60),
    "aq-1": Sensor(sensor_id="aq-1", kind=ev.SensorKind.PM25, station="B", interval_s=60),
}
PAYLOAD = {"ts": "2026-07-01T15:00:00+07:00", "kind": "water_level", "value": 1.2, "unit": "m"}


def _check() -> ReadingCheck:
    return ReadingCheck(Registry(lambda: SENSORS), FakeClock(NOW))


def _refusal(fields: dict) -> str:
    with pytest.raises(Refused) as refused:
        _check().check(fields)
    return str(refused.value)


# Topics


def test_the_sensor_id_is_the_third_topic_level():
    assert sensor_id_of("ioc/readings/wl-1") == "wl-1"


@pytest.mark.parametrize("topic", ["ioc/readings", "ioc/readings/", "ioc/readings/wl-1/extra",
                                   "ioc/other/wl-1", "readings/wl-1", "ioc/readings//"])
def test_a_topic_without_exactly_one_sensor_id_is_refused(topic):
    with pytest.raises(Refused, match="is not ioc/readings/<sensor_id>"):
        sensor_id_of(topic)


# Payloads


def test_a_payload_becomes_the_fields_of_its_topics_sensor():
    fields = reading_fields("wl-1", json.dumps(PAYLOAD).encode())
    assert fields == {**PAYLOAD, "sensor_id": "wl-1"}
    assert reading_fields("wl-1", json.dumps({**PAYLOAD, "sensor_id": "wl-1"}).encode())


@pytest.mark.parametrize("payload, reason", [
    (b'{"ts": ', "malformed JSON"),
    (b"not json", "malformed JSON"),
    (b"\xff\xfe\x00garbage", "JSON"),
    (b"[1, 2]", "payload is an array, not a JSON object"),
    (b'"1.2"', "payload is a string, not a JSON object"),
    (b"1.2", "payload is a number, not a JSON object"),
    (json.dumps({**PAYLOAD, "sensor_id": "wl-2"}).encode(),
     "payload sensor_id 'wl-2' does not match the topic's 'wl-1'"),
    (b" " * (ev.MAX_MESSAGE_BYTES + 1), "over the 1000000 limit"),
])
def test_a_payload_that_is_not_a_reading_object_is_refused(payload, reason):
    with pytest.raises(Refused, match=reason):
        reading_fields("wl-1", payload)


# The shared check


def test_a_good_reading_gets_its_kinds_unit_and_a_derived_id():
    reading = _check().check({**PAYLOAD, "sensor_id": "wl-1"})
    assert reading.unit == "m" and reading.ts == datetime(2026, 7, 1, 8, tzinfo=UTC)
    assert reading.event_id == reading_event_id("wl-1", reading.ts)
    given = "0b0d1f4e-2c3a-4b5c-8d6e-7f8091a2b3c4"
    assert str(_check().check({**PAYLOAD, "sensor_id": "wl-1", "event_id": given}).event_id) \
        == given


def test_a_reading_without_unit_is_accepted():
    fields = {k: v for k, v in PAYLOAD.items() if k != "unit"}
    assert _check().check({**fields, "sensor_id": "wl-1"}).unit == "m"


@pytest.mark.parametrize("change, reason", [
    ({"sensor_id": "wl-9"}, f"{UNREGISTERED} 'wl-9': register it first"),
    ({"kind": "pm25"}, "registered as water_level, but this reading says pm25"),
    ({"unit": "cm"}, "unit 'cm' is not the unit of water_level; send water_level in m"),
    ({"value": -0.5}, "a water_level of -0.5 m is impossible"),
    ({"value": 31.0}, "a water_level of 31 m is impossible"),
    ({"value": "high"}, "value: Input should be a valid number"),
    ({"value": None}, "value:"),
    ({"kind": "radiation"}, "kind: Input should be"),
    ({"ts": "2026-07-01T15:00:00"}, "has no time zone"),
    ({"ts": "yesterday"}, "ts:"),
    ({"ts": "2026-07-01T08:36:00Z"}, "is in the future: 6 min ahead of the city clock"),
    ({"colour": "blue"}, "colour: Extra inputs are not permitted"),
])
def test_a_reading_is_refused_with_a_reason_a_person_can_act_on(change, reason):
    fields = {**PAYLOAD, "sensor_id": "wl-1", **change}
    assert reason in _refusal(fields)


def test_a_missing_field_is_named():
    fields = {k: v for k, v in PAYLOAD.items() if k != "value"}
    assert "value: Field required" in _refusal({**fields, "sensor_id": "wl-1"})


def test_up_to_five_minutes_ahead_is_clock_drift_and_accepted():
    ts = (NOW + timedelta(minutes=5)).isoformat()
    assert _check().check({**PAYLOAD, "ts": ts, "sensor_id": "wl-1"})


def test_a_sensor_registered_later_is_accepted_once_the_registry_reloads():
    known: dict[str, Sensor] = {}
    check = ReadingCheck(Registry(lambda: dict(known), ttl_s=0), FakeClock(NOW))
    fields = {**PAYLOAD, "sensor_id": "wl-1"}
    with pytest.raises(Refused):
        check.check(fields)
    known["wl-1"] = SENSORS["wl-1"]
    assert check.check(fields)


# Dead letters


def test_a_dead_letter_carries_the_bytes_and_says_where_they_came_from():
    raw = b'{"ts": '
    letter = dead_letter("malformed JSON: ...", "mqtt:ioc/readings/wl-1", raw, "wl-1", NOW)
    assert base64.b64decode(letter.raw_b64) == raw and letter.raw_bytes == len(raw)
    assert (letter.source_topic, letter.source_partition, letter.source_offset) == \
        ("mqtt:ioc/readings/wl-1", -1, -1)
    assert letter.key == "wl-1" and letter.worker == "ingest"
    assert tp.DEADLETTER.key_of(letter) == "mqtt:ioc/readings/wl-1"


def test_the_same_bad_message_is_the_same_letter_and_another_is_not():
    first = dead_letter("r", "mqtt:ioc/readings/wl-1", b"x", "wl-1", NOW)
    again = dead_letter("r", "mqtt:ioc/readings/wl-1", b"x", "wl-1", NOW + timedelta(hours=1))
    other = dead_letter("r", "mqtt:ioc/readings/wl-1", b"y", "wl-1", NOW)
    elsewhere = dead_letter("r", "mqtt:ioc/readings/wl-2", b"x", "wl-2", NOW)
    assert first.event_id == again.event_id
    assert len({first.event_id, other.event_id, elsewhere.event_id}) == 3


def test_a_letter_can_be_stored_whatever_the_device_sent():
    letter = dead_letter("bad \x00 \ud800", "mqtt:ioc/readings/a\x00", b"", "a\x00" * 100, NOW)
    assert "\x00" not in letter.reason + letter.source_topic + letter.key
    assert len(letter.key) <= 64
    letter.model_dump_json()  # a lone surrogate would fail here


# Rate limit


class Ticks:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_a_device_gets_its_burst_then_its_rate():
    now = Ticks()
    limiter = RateLimiter(rate_per_s=5, burst=10, now=now)
    assert [limiter.allow("a") for _ in range(12)] == [True] * 10 + [False] * 2
    now.t += 0.2  # one token back
    assert limiter.allow("a") and not limiter.allow("a")
    now.t += 60  # refills to the burst, no more
    assert sum(limiter.allow("a") for _ in range(20)) == 10


def test_one_device_flooding_never_costs_another_its_tokens():
    now = Ticks()
    limiter = RateLimiter(rate_per_s=5, burst=10, now=now)
    for _ in range(1000):
        limiter.allow("flood")
    assert all(limiter.allow("quiet") for _ in range(10))


def test_idle_devices_are_forgotten_so_made_up_ids_cannot_grow_the_limiter():
    now = Ticks()
    limiter = RateLimiter(rate_per_s=5, burst=10, now=now, max_devices=100)
    for i in range(100):
        limiter.allow(f"d{i}")
    now.t += 10  # every bucket has refilled
    limiter.allow("new")
    assert len(limiter._buckets) == 1


def test_a_rate_limiter_needs_a_rate_and_a_burst():
    with pytest.raises(ValueError):
        RateLimiter(rate_per_s=0, burst=10)
    with pytest.raises(ValueError):
        RateLimiter(rate_per_s=1, burst=0.5)


# Both doors, one id


def test_both_doors_derive_the_same_id_for_the_same_reading():
    pub = FakePublisher()
    app = create_app(pub, Registry(lambda: SENSORS), FakeClock(NOW))
    http = TestClient(app).post("/ingest/v1/readings", json=[{**PAYLOAD, "sensor_id": "wl-1"}])
    over_http = http.json()["event_ids"][0]
    over_mqtt = _check().check(reading_fields("wl-1", json.dumps(PAYLOAD).encode()))
    assert str(over_mqtt.event_id) == over_http
    # The id is the HTTP door's historical one: uuid5(NAMESPACE, "<sensor_id>|<ts in UTC>").
    assert over_mqtt.event_id == uuid.uuid5(NAMESPACE, "wl-1|2026-07-01T08:00:00+00:00")


# Where the bridge connects


def test_the_bridge_connects_to_the_embedded_broker_or_the_configured_one():
    assert broker_address(Settings(mqtt_port=18830)) == ("127.0.0.1", 18830, None, None)
    assert broker_address(Settings(host="0.0.0.0"))[0] == "127.0.0.1"
    assert broker_address(Settings(mqtt_url="mqtt://gw:s%40crt@mosquitto.local:1884")) == \
        ("mosquitto.local", 1884, "gw", "s@crt")
    assert broker_address(Settings(mqtt_url="mqtt://mosquitto.local"))[1] == 1883
    with pytest.raises(ValueError, match="IOC_MQTT_URL"):
        broker_address(Settings(mqtt_url="http://mosquitto.local:1883"))
