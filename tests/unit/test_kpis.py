from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ioc import aqi, kpis
from ioc.policy import WaterLevel

NOW = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("pm25, expected", [
    (0, 0), (25, 50), (12.5, 25), (50, 100), (80, 150), (150, 200), (250, 300), (350, 400),
    (500, 500), (900, 500),
])
def test_pm25_sub_index_follows_the_vn_aqi_breakpoints(pm25, expected):
    assert aqi.aqi_from(pm25, aqi.PM25_BREAKPOINTS) == expected


def test_aqi_is_the_worst_pollutant():
    assert aqi.vn_aqi(10, 200) == aqi.aqi_from(200, aqi.PM10_BREAKPOINTS)
    assert aqi.vn_aqi(None, None) is None
    assert aqi.aqi_band(151)[0] == "bad"


def test_online_share_counts_stale_and_silent_sources_as_offline():
    seen = [NOW, NOW - timedelta(minutes=10), None, NOW - timedelta(seconds=30)]
    assert kpis.online_share(seen, NOW, timedelta(minutes=1)) == 0.5


def facts(received_min_ago: float, urgency="urgent", responded_after_min=None,
          resolved=False, rating=None, is_open=None, ward="xuan-an", category="flooding"):
    received = NOW - timedelta(minutes=received_min_ago)
    responded = (received + timedelta(minutes=responded_after_min)
                 if responded_after_min is not None else None)
    target = timedelta(hours=2 if urgency == "urgent" else 24)
    return kpis.ReportFacts(
        received_at=received, urgency=urgency, due_at=received + target,
        first_response_at=responded, resolved_at=responded if resolved else None,
        resolve_due_at=received + timedelta(hours=24),
        is_open=(not resolved) if is_open is None else is_open, rating=rating,
        category=category, ward=ward)


def _inputs(**kw):
    base = dict(sensor_ids=["wl-1", "aq-1"], latest=[
        kpis.Reading("wl-1", "water_level", 1.3, NOW - timedelta(seconds=5)),
        kpis.Reading("aq-1", "pm25", 60, NOW - timedelta(hours=2))],
        camera_ids=["cam-01"], camera_last_seen={"cam-01": NOW},
        reports=[facts(60, "normal"), facts(30 * 60, "normal", category=None)])
    base.update(kw)
    return kpis.KpiInputs(**base)


def _compute(inputs):
    return {k.key: k for k in kpis.compute(
        inputs, NOW, window_start=NOW - timedelta(hours=48), day_start=NOW - timedelta(hours=8),
        sensor_stale=timedelta(minutes=1), camera_stale=timedelta(minutes=1),
        water=WaterLevel(warn_m=1.2, alarm_m=1.5))}


def test_compute_uses_only_fresh_readings_and_flags_thresholds():
    values = _compute(_inputs())
    assert values["water_level_max_m"].value == 1.3
    assert values["water_level_max_m"].status == "warning"
    assert values["aqi_max"].value is None  # the only PM reading is two hours old
    assert values["sensors_online_pct"].value == 50.0
    assert values["cameras_online_pct"].value == 100.0
    assert values["reports_24h"].value == 1
    assert values["reports_by_ward"].detail == {"xuan-an": 2}
    assert values["reports_by_category"].detail == {"flooding": 1, "?": 1}


def test_sla_kpis():
    reports = [
        facts(300, responded_after_min=30, resolved=True, rating=5),   # on time
        facts(300, responded_after_min=150, rating=2, resolved=True),  # late
        facts(200),                                                    # unanswered, breached
        facts(60),                                                     # open, 60 min left
        facts(100, "normal", responded_after_min=10),
    ]
    v = _compute(_inputs(reports=reports))
    assert v["urgent_responded_in_2h_pct"].value == round(100 / 3, 1)  # 1 of 3 decided
    assert v["urgent_responded_in_2h_pct"].status == "alarm"
    assert v["response_minutes_median"].value == 30
    assert v["response_minutes_p90"].value == 150
    assert v["open_urgent"].value == 2
    assert v["open_urgent"].detail["least_left_s"] == -80 * 60
    assert v["breaches_today"].value == 2  # the late answer and the unanswered one
    assert v["resolved_on_time_pct"].value == 100.0
    assert v["satisfaction"].value == 3.5 and v["satisfaction"].detail["satisfied_pct"] == 50.0


def test_the_2h_figure_by_ward_and_category_and_for_one_area():
    reports = [facts(300, responded_after_min=30, ward="xuan-an"),
               facts(300, responded_after_min=150, ward="xuan-an", category="fire"),
               facts(200, ward="bau-sen"),
               facts(60, ward="bau-sen")]  # not decided yet: 60 min left
    detail = _compute(_inputs(reports=reports))["urgent_responded_in_2h_pct"].detail
    assert detail["by_ward"] == {"bau-sen": {"decided": 1, "on_time": 0, "pct": 0.0},
                                 "xuan-an": {"decided": 2, "on_time": 1, "pct": 50.0}}
    assert detail["by_category"] == {"fire": {"decided": 1, "on_time": 0, "pct": 0.0},
                                     "flooding": {"decided": 2, "on_time": 1, "pct": 50.0}}
    one = _compute(kpis.only_area(_inputs(reports=reports), ward="xuan-an", category="flooding"))
    assert one["urgent_responded_in_2h_pct"].value == 100.0
    assert one["open_urgent"].value == 0


def test_nothing_decided_is_unknown_not_perfect():
    v = _compute(_inputs(reports=[facts(10)]))
    assert v["urgent_responded_in_2h_pct"].value is None
    assert v["urgent_responded_in_2h_pct"].status == "unknown"


def test_percentile_is_nearest_rank():
    assert kpis.percentile([5, 1, 3], 50) == 3
    assert kpis.percentile([], 90) is None
    assert kpis.percentile(list(range(1, 11)), 90) == 9


def test_kpis_without_data_are_unknown_not_ok():
    v = _compute(_inputs(reports=[]))
    for key in ("response_minutes_median", "satisfaction", "resolved_on_time_pct"):
        assert v[key].value is None and v[key].status == "unknown", key
