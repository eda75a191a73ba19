"""A sensor alarm from a real MQTT client to the operator's screen, on the whole running city:
an engineer registers a water gauge, the gauge publishes over MQTT to the embedded broker, the
level stays above alert level II past the on-delay, and the alarm appears on /control beside
the reports, where an operator acknowledges and then shelves it."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SHOTS = Path("/tmp/ioc-alarm-shots")
GAUGE = "wl-browser-1"
SPEED = 30  # the session city's scenario speed (tests/conftest.py)


def login(city, role: str) -> dict:
    username, password = city.account(role)
    r = httpx.post(f"{city.api_url}/api/auth/login", timeout=10,
                   json={"username": username, "password": password})
    return {"Authorization": f"Bearer {r.json()['token']}"}


class Gauge:
    """A gateway that keeps publishing one high level, stamped on the city's clock."""

    def __init__(self, city, level_m: float) -> None:
        now = datetime.fromisoformat(httpx.get(f"{city.api_url}/api/alarms",
                                               timeout=10).json()["now"])
        self.origin, self.started = now, time.monotonic()
        self.level_m = level_m
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="test-gauge")
        self.client.connect("127.0.0.1", city.mqtt_port)
        self.client.loop_start()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def scenario_now(self) -> datetime:
        return self.origin + timedelta(seconds=(time.monotonic() - self.started) * SPEED)

    def send(self, at: datetime) -> None:
        payload = {"ts": at.isoformat(), "kind": "water_level", "value": self.level_m,
                   "unit": "m"}
        self.client.publish(f"ioc/readings/{GAUGE}", json.dumps(payload), qos=1).wait_for_publish()

    def _run(self) -> None:
        # Ninety seconds of history first (past the 60 s on-delay), then every 10 s as it goes.
        start = self.scenario_now() - timedelta(seconds=90)
        for i in range(10):
            self.send(start + timedelta(seconds=10 * i))
        while not self.stop.wait(10 / SPEED):
            self.send(self.scenario_now() - timedelta(seconds=2))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.stop.set()
        self.thread.join(5)
        self.client.loop_stop()
        self.client.disconnect()


def test_a_gauge_over_mqtt_raises_an_alarm_the_operator_acknowledges_and_shelves(page: Page,
                                                                                 city):
    registered = httpx.post(f"{city.api_url}/api/sensors", headers=login(city, "admin"),
                            timeout=10, json={"sensor_id": GAUGE, "kind": "water_level",
                                              "station": GAUGE, "ward": "xuan-an",
                                              "lat": 10.9335, "lon": 107.2431, "interval_s": 10})
    assert registered.status_code == 201, registered.text
    refused = httpx.post(f"{city.api_url}/api/sensors", headers=login(city, "operator"),
                         timeout=10, json={"sensor_id": "x", "kind": "pm25", "station": "x",
                                           "interval_s": 10})
    assert refused.status_code == 403

    with Gauge(city, level_m=1.62):
        page.goto(f"{city.dashboard_url}/control")
        row = page.locator(f".alarm-row:has-text('{GAUGE}')")
        expect(row).to_be_visible(timeout=30_000)
        expect(row).to_have_attribute("data-state", "unacknowledged")
        expect(row).to_contain_text("Mực nước vượt báo động")
        expect(row).to_contain_text("Báo động II")
        expect(row).to_contain_text("Chưa xác nhận")  # the state in words, beside the colour
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "control-alarm.png"))

        username, password = city.operator
        page.locator("#auth-open").click()
        page.locator("#auth-username").fill(username)
        page.locator("#auth-password").fill(password)
        page.locator("#auth-submit").click()
        expect(page.locator("#auth-who")).to_contain_text(username)

        row.get_by_role("button", name="Xác nhận").click()
        expect(row).to_have_attribute("data-state", "acknowledged", timeout=15_000)
        row.get_by_role("button", name="Tạm ẩn 30 phút").click()
        expect(row).to_have_attribute("data-state", "shelved", timeout=15_000)
        row.get_by_role("button", name="Lịch sử").click()  # the alarm's audit trail
        trail = page.locator("#alarm-history")
        expect(trail).to_contain_text("Tạm ẩn", timeout=10_000)
        expect(trail).to_contain_text("Xác nhận")
        expect(trail).to_contain_text(username)
        page.screenshot(path=str(SHOTS / "control-alarm-shelved.png"))

    alarm_id = row.get_attribute("data-alarm")
    history = httpx.get(f"{city.api_url}/api/alarms/{alarm_id}", timeout=10).json()["history"]
    steps = [(h["action"], h["actor"]) for h in history if h["outcome"] == "applied"]
    assert ("acknowledge", username) in steps and ("shelve", username) in steps
