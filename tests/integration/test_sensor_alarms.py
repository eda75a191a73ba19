"""Sensor alarms end to end on the real broker and database: readings → sensors worker →
`ioc.alerts` → persistence → the alarms table → /api/alarms, and an operator's actions back."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from waiting import wait_until

from analytics.sensors.worker import make_worker as make_sensors_worker
from ioc import accounts, sensors
from ioc import topics as tp
from ioc.api.main import create_app
from ioc.clock import FakeClock
from ioc.db.session import connect
from ioc.events import SensorKind, SensorReading
from ioc.kafka import Publisher
from ioc.persistence import make_worker

pytestmark = pytest.mark.integration

T0 = datetime(2026, 9, 12, 1, 0, tzinfo=UTC)
GAUGE = sensors.Sensor(sensor_id="wl-test-1", kind=SensorKind.WATER_LEVEL, station="wl-test-1",
                       ward="xuan-an", lat=10.93, lon=107.24, interval_s=10)
QUIET = sensors.Sensor(sensor_id="wl-test-2", kind=SensorKind.WATER_LEVEL, station="wl-test-2",
                       ward="bau-sen", interval_s=10)


def readings(sensor_id: str, values: list[float], start_s: float = 0) -> list[SensorReading]:
    return [SensorReading(ts=T0 + timedelta(seconds=start_s + 10 * i), sensor_id=sensor_id,
                          kind=SensorKind.WATER_LEVEL, value=v, unit="m")
            for i, v in enumerate(values)]


@pytest.fixture
def city(settings):
    with connect(settings, autocommit=True) as conn:
        sensors.register(conn, [GAUGE, QUIET])
        accounts.add_user(conn, "op1", "operator", "op1-password")
    clock = FakeClock(T0)
    stop = threading.Event()
    workers = [make_worker(settings), make_sensors_worker(settings, clock=clock)]
    threads = [threading.Thread(target=w.run, args=(stop,)) for w in workers]
    for thread in threads:
        thread.start()
    publisher = Publisher(settings)
    with TestClient(create_app(settings, clock=clock)) as client:
        token = client.post("/api/auth/login", json={"username": "op1",
                                                     "password": "op1-password"}).json()
        client.headers["Authorization"] = f"Bearer {token['token']}"
        yield client, publisher, clock
    stop.set()
    for thread in threads:
        thread.join(30)
    publisher.close()


def send(publisher: Publisher, batch: list[SensorReading]) -> None:
    for r in batch:
        publisher.publish(tp.SENSOR_READINGS, r)
    publisher.flush()


def standing(client, **params) -> list[dict]:
    return client.get("/api/alarms", params=params).json()["alarms"]


def test_a_rising_stream_raises_an_alarm_the_operator_acknowledges_and_shelves(city):
    client, publisher, clock = city
    # Above alert level II (1.5 m) for longer than the 60 s on-delay; the other gauge is calm.
    send(publisher, readings(GAUGE.sensor_id, [0.8] * 3 + [1.62] * 10)
         + readings(QUIET.sensor_id, [0.7] * 13))
    clock.set(T0 + timedelta(seconds=130))
    wait_until(lambda: [a for a in standing(client) if a["alarm_type"] == "water_level"],
               timeout_s=30, what="the water-level alarm")
    (alarm,) = [a for a in standing(client) if a["alarm_type"] == "water_level"]
    assert alarm["state"] == "unacknowledged" and alarm["severity"] == "high"
    assert alarm["source_id"] == GAUGE.sensor_id and alarm["ward"] == "xuan-an"
    assert "Báo động II" in alarm["message"]

    ack = client.post(f"/api/alarms/{alarm['alarm_id']}/actions",
                      json={"action": "acknowledge", "note": "crew on the way"})
    assert ack.status_code == 200 and ack.json()["state"] == "acknowledged"
    clock.tick(timedelta(seconds=5))
    again = client.post(f"/api/alarms/{alarm['alarm_id']}/actions", json={"action": "acknowledge"})
    assert again.status_code == 409 and "already acknowledged by op1" in again.json()["detail"]

    too_long = client.post(f"/api/alarms/{alarm['alarm_id']}/actions",
                           json={"action": "shelve", "shelve_minutes": 24 * 60})
    assert too_long.status_code == 422 and "at most 480" in too_long.json()["detail"]
    shelve = client.post(f"/api/alarms/{alarm['alarm_id']}/actions",
                         json={"action": "shelve", "shelve_minutes": 30})
    assert shelve.json()["state"] == "shelved"
    assert standing(client, state="shelved")[0]["alarm_id"] == alarm["alarm_id"]

    clock.set(T0 + timedelta(minutes=40))  # the shelf ran out: the alarm is back
    assert standing(client, state="acknowledged")[0]["alarm_id"] == alarm["alarm_id"]

    detail = client.get(f"/api/alarms/{alarm['alarm_id']}").json()
    steps = [(h["action"], h["actor"], h["outcome"]) for h in detail["history"]]
    assert steps[:3] == [("raise", "system", "applied"), ("acknowledge", "op1", "applied"),
                         ("shelve", "op1", "applied")]
    assert detail["history"][1]["note"] == "crew on the way"


def test_a_silent_sensor_goes_offline_on_event_time_and_its_alarms_are_suppressed(city):
    client, publisher, clock = city
    send(publisher, readings(GAUGE.sensor_id, [1.62] * 10) + readings(QUIET.sensor_id, [0.7] * 10))
    # The gauge falls silent; the other keeps reporting for three more minutes of event time,
    # which alone (the clock stands still) tells the worker the gauge is overdue.
    send(publisher, readings(QUIET.sensor_id, [0.7] * 18, start_s=100))
    wait_until(lambda: any(a["alarm_type"] == "offline" for a in standing(client)),
               timeout_s=30, what="the offline alarm")
    by_type = {a["alarm_type"]: a for a in standing(client)}
    assert by_type["offline"]["source_id"] == GAUGE.sensor_id
    # Stamped when it became overdue (last reading at 90 s + 60 s), not when it was noticed.
    assert by_type["offline"]["raised_at"] == (T0 + timedelta(seconds=150)).isoformat().replace(
        "+00:00", "Z")
    assert by_type["water_level"]["state"] == "suppressed"
    assert QUIET.sensor_id not in {a["source_id"] for a in standing(client)}

    send(publisher, readings(GAUGE.sensor_id, [1.62], start_s=400))  # back
    wait_until(lambda: {a["alarm_type"]: a["state"] for a in standing(client)}.get("offline")
               == "returned_to_normal_unacknowledged", timeout_s=30, what="offline to clear")
    assert {a["alarm_type"]: a["state"] for a in standing(client)}["water_level"] \
        == "unacknowledged"


def test_unknown_alarm_and_bad_actions(city):
    client, _publisher, _clock = city
    missing = client.get("/api/alarms/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and "GET /api/alarms" in missing.json()["detail"]
    bad = client.post("/api/alarms/00000000-0000-4000-8000-000000000000/actions",
                      json={"action": "explode"})
    assert bad.status_code == 422
    body = client.get("/api/alarms").json()
    assert body["flood"]["limit"] == 10 and body["counts"]["unacknowledged"] == 0
