"""One rule per status: the map and the KPIs judge a reading, a sensor and a camera alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ioc import kpis, status
from ioc.policy import Policy, WaterLevel

NOW = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
POLICY = Policy(water_level=WaterLevel(warn_m=1.2, alarm_m=1.5), sensor_stale_intervals=3,
                camera_stale_s=60)


@pytest.mark.parametrize("interval_s, limit_s", [(10, 60), (60, 180)])
def test_a_sensor_is_offline_after_three_of_its_intervals_and_never_within_a_minute(
        interval_s, limit_s):
    assert status.sensor_silence_limit(POLICY, interval_s) == timedelta(seconds=limit_s)


@pytest.mark.parametrize("speed, allowance_s", [(1, 30), (30, 150)])
def test_at_the_streams_now_a_sensor_is_allowed_the_streams_lateness(speed, allowance_s):
    # The offline alarm judges silence at the horizon, `lateness` behind now: the wall agrees
    stale = status.sensor_stale_after(POLICY, sensor_interval_s=10, scenario_speed=speed)
    assert stale == timedelta(seconds=60 + allowance_s)  # scenario time: 5 s of wall at 30x
    assert status.is_online(NOW - stale, NOW, stale)
    assert not status.is_online(NOW - stale - timedelta(seconds=1), NOW, stale)
    assert not status.is_online(None, NOW, stale)


@pytest.mark.parametrize("kind, value, expected", [
    ("water_level", 1.19, "ok"), ("water_level", 1.2, "warning"), ("water_level", 1.5, "alarm"),
    ("pm25", 50, "ok"), ("pm25", 60, "warning"), ("pm25", 90, "alarm"), ("pm10", 200, "warning"),
    ("temperature", 41, "ok"), ("water_level", None, "offline"),
])
def test_a_reading_is_judged_by_the_policy(kind, value, expected):
    assert status.reading_status(kind, value, NOW, NOW, timedelta(minutes=1), POLICY) == expected


def test_an_old_reading_is_offline_whatever_its_value():
    old = NOW - timedelta(minutes=2)
    assert status.reading_status("water_level", 3.0, old, NOW, timedelta(minutes=1),
                                 POLICY) == "offline"


@pytest.mark.parametrize("level", [0.5, 1.2, 1.35, 1.5, 2.8])
def test_the_map_and_the_water_kpi_agree(level):
    inputs = kpis.KpiInputs(sensor_ids=["wl-1"], latest=[
        kpis.Reading("wl-1", "water_level", level, NOW)], camera_ids=[], camera_last_seen={},
        reports=[])
    tile = {k.key: k for k in kpis.compute(
        inputs, NOW, window_start=NOW - timedelta(hours=24), day_start=NOW,
        sensor_stale=timedelta(minutes=1), camera_stale=timedelta(minutes=1),
        water=POLICY.water_level)}["water_level_max_m"]
    assert tile.status == status.reading_status("water_level", level, NOW, NOW,
                                                timedelta(minutes=1), POLICY)
