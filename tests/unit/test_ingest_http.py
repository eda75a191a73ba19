"""The gateway door validates, derives stable ids, and answers bad input with a usable 4xx."""

from __future__ import annotations

from fakes import FakePublisher
from fastapi.testclient import TestClient

from ingest.http import create_app
from ioc import topics as tp


def _client():
    pub = FakePublisher()
    return TestClient(create_app(pub)), pub


READING = {"sensor_id": "wl-suoi-ret-1", "kind": "water_level", "value": 1.31,
           "ts": "2026-07-01T15:00:00+07:00"}


def test_accepted_readings_are_published_and_flushed_with_stable_ids():
    client, pub = _client()
    first = client.post("/ingest/v1/readings", json=[READING])
    again = client.post("/ingest/v1/readings", json=[READING])
    assert first.status_code == 202 and first.json()["accepted"] == 1
    assert first.json()["event_ids"] == again.json()["event_ids"], "a retry is the same reading"
    topic, event = pub.sent[0]
    assert topic is tp.SENSOR_READINGS and event.unit == "m"
    assert event.ts.isoformat() == "2026-07-01T08:00:00+00:00"
    assert pub.flushes == 2


def test_bad_input_names_the_field():
    client, pub = _client()
    r = client.post("/ingest/v1/readings", json=[{**READING, "ts": "2026-07-01T15:00:00"}])
    assert r.status_code == 422
    assert "ts" in r.json()["detail"] and "timezone" in r.json()["detail"].lower()
    r = client.post("/ingest/v1/readings", json=[{**READING, "kind": "radiation"}])
    assert r.status_code == 422 and "kind" in r.json()["detail"]
    r = client.post("/ingest/v1/readings", json=[])
    assert r.status_code == 422
    assert pub.sent == []
