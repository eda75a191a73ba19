"""The gateway door checks each reading on its own: good ones are published with stable ids,
refused ones are dead-lettered and listed with their reason; a malformed request is a 4xx."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from fakes import FakePublisher
from fastapi.testclient import TestClient

from ingest.http import create_app
from ingest.readings import reading_event_id
from ioc import events as ev
from ioc import topics as tp
from ioc.clock import FakeClock
from ioc.db.session import DatabaseUnavailable
from ioc.sensors import UNREGISTERED, Registry, Sensor

GAUGE = Sensor(sensor_id="wl-suoi-ret-1", kind=ev.SensorKind.WATER_LEVEL, station="Suối Rết",
               interval_s=60)
NOW = datetime(2026, 7, 1, 8, 30, tzinfo=UTC)


def _client(registry: Registry | None = None):
    pub = FakePublisher()
    registry = registry or Registry(lambda: {GAUGE.sensor_id: GAUGE})
    return TestClient(create_app(pub, registry, FakeClock(NOW))), pub


READING = {"sensor_id": "wl-suoi-ret-1", "kind": "water_level", "value": 1.31,
           "ts": "2026-07-01T15:00:00+07:00"}


def _sent(pub: FakePublisher, topic: tp.Topic) -> list:
    return [event for t, event in pub.sent if t is topic]


def test_accepted_readings_are_published_and_flushed_with_stable_ids():
    client, pub = _client()
    first = client.post("/ingest/v1/readings", json=[READING])
    again = client.post("/ingest/v1/readings", json=[READING])
    assert first.status_code == 202 and first.json()["accepted"] == 1
    assert first.json()["refused"] == []
    assert first.json()["event_ids"] == again.json()["event_ids"], "a retry is the same reading"
    topic, event = pub.sent[0]
    assert topic is tp.SENSOR_READINGS and event.unit == "m"
    assert event.ts.isoformat() == "2026-07-01T08:00:00+00:00"
    assert event.event_id == reading_event_id("wl-suoi-ret-1", event.ts)
    assert pub.flushes == 2


def test_refused_readings_are_dead_lettered_and_listed_while_the_rest_are_accepted():
    client, pub = _client()
    batch = [
        READING,
        {**READING, "sensor_id": "wl-nowhere"},
        {**READING, "value": -2.0},
        {**READING, "ts": "2026-07-01T15:40:00+07:00"},  # 10 min ahead of the clock
        {**READING, "ts": "2026-07-01T15:00:00"},
        {**READING, "kind": "radiation"},
        {**READING, "kind": "pm25"},
        {**READING, "unit": "cm"},
    ]
    r = client.post("/ingest/v1/readings", json=batch)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["accepted"] == 1
    reasons = {item["index"]: item["reason"] for item in body["refused"]}
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6, 7]
    assert reasons[1].startswith(f"{UNREGISTERED} 'wl-nowhere': register it first")
    assert "impossible" in reasons[2] and "-2" in reasons[2]
    assert "in the future" in reasons[3]
    assert reasons[4].startswith("ts:") and "time zone" in reasons[4]
    assert reasons[5].startswith("kind:")
    assert "registered as water_level" in reasons[6]
    assert "unit 'cm'" in reasons[7]
    assert body["refused"][0]["sensor_id"] == "wl-nowhere"

    letters = _sent(pub, tp.DEADLETTER)
    assert [letter.reason for letter in letters] == [reasons[i] for i in sorted(reasons)]
    letter = letters[0]
    assert letter.source_topic == "http:/ingest/v1/readings" and letter.key == "wl-nowhere"
    assert letter.source_partition == -1 and letter.worker == "ingest"
    assert json.loads(base64.b64decode(letter.raw_b64))["sensor_id"] == "wl-nowhere"
    assert len(_sent(pub, tp.SENSOR_READINGS)) == 1
    assert pub.flushes == 1, "letters and readings are on the broker before the answer"


def test_a_resent_refused_reading_is_the_same_letter():
    client, pub = _client()
    bad = {**READING, "sensor_id": "wl-nowhere"}
    client.post("/ingest/v1/readings", json=[bad])
    client.post("/ingest/v1/readings", json=[bad])
    first, again = _sent(pub, tp.DEADLETTER)
    assert first.event_id == again.event_id


def test_a_malformed_request_is_a_4xx_and_publishes_nothing():
    client, pub = _client()
    assert client.post("/ingest/v1/readings", json=[]).status_code == 422
    assert client.post("/ingest/v1/readings", json={"sensor_id": "x"}).status_code == 422
    assert client.post("/ingest/v1/readings", json=[1, 2]).status_code == 422
    r = client.post("/ingest/v1/readings", json=[READING] * 5001)
    assert r.status_code == 413 and "5000" in r.json()["detail"]
    assert pub.sent == []


def test_an_unreadable_registry_is_a_503_not_a_refusal():
    def down() -> dict:
        raise DatabaseUnavailable("PostgreSQL does not answer")

    client, pub = _client(Registry(down))
    r = client.post("/ingest/v1/readings", json=[READING])
    assert r.status_code == 503 and "retry" in r.json()["detail"]
    assert pub.sent == []
