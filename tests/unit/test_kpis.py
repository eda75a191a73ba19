from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ioc import kpis

NOW = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("pm25, expected", [
    (0, 0), (25, 50), (12.5, 25), (50, 100), (80, 150), (150, 200), (250, 300), (350, 400),
    (500, 500), (900, 500),
])
def test_pm25_sub_index_follows_the_vn_aqi_breakpoints(pm25, expected):
    assert kpis.aqi_from(pm25, kpis.PM25_BREAKPOINTS) == expected


def test_aqi_is_the_worst_pollutant():
    assert kpis.vn_aqi(10, 200) == kpis.aqi_from(200, kpis.PM10_BREAKPOINTS)
    assert kpis.vn_aqi(None, None) is None
    assert kpis.aqi_band(151)[0] == "bad"


def test_online_share_counts_stale_and_silent_sources_as_offline():
    seen = [NOW, NOW - timedelta(minutes=10), None, NOW - timedelta(seconds=30)]
    assert kpis.online_share(seen, NOW, timedelta(minutes=1)) == 0.5


def _inputs(**kw):
    base = dict(sensor_ids=["wl-1", "aq-1"], latest=[
        kpis.Reading("wl-1", "water_level", 1.3, NOW - timedelta(seconds=5)),
        kpis.Reading("aq-1", "pm25", 60, NOW - timedelta(hours=2))],
        camera_ids=["cam-01"], camera_last_seen={"cam-01": NOW},
        report_times=[NOW - timedelta(hours=1), NOW - timedelta(hours=30)],
        report_wards=["xuan-an", "xuan-an"], report_categories=["flooding", None])
    base.update(kw)
    return kpis.KpiInputs(**base)


def test_compute_uses_only_fresh_readings_and_flags_thresholds():
    values = {k.key: k for k in kpis.compute(
        _inputs(), NOW, sensor_stale=timedelta(minutes=1), camera_stale=timedelta(minutes=1),
        water_warn_m=1.2, water_alarm_m=1.5)}
    assert values["water_level_max_m"].value == 1.3
    assert values["water_level_max_m"].status == "warning"
    assert values["aqi_max"].value is None  # the only PM reading is two hours old
    assert values["sensors_online_pct"].value == 50.0
    assert values["cameras_online_pct"].value == 100.0
    assert values["reports_24h"].value == 1
    assert values["reports_by_ward"].detail == {"xuan-an": 2}
