from __future__ import annotations

from dataclasses import replace
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


# ---------------------------------------------------------------- definitions and windows

LOCAL_MIDNIGHT = datetime(2026, 6, 30, 17, 0, tzinfo=UTC)  # 00:00 on 1 July in Vietnam (UTC+7)


def _all(inputs, **kw):
    return {k.key: k for k in kpis.compute(
        inputs, NOW, window_start=kw.pop("window_start", NOW - timedelta(hours=24)),
        day_start=LOCAL_MIDNIGHT, sensor_stale=timedelta(minutes=1),
        camera_stale=timedelta(minutes=1), water=WaterLevel(), **kw)}


def test_every_kpi_is_defined_once_in_words_in_both_languages():
    values = _all(_inputs())
    assert set(values) == set(kpis.DEFINITIONS)
    for key, kpi in values.items():
        d = kpis.DEFINITIONS[key]
        assert kpi.definition_en == d.definition_en and len(d.definition_en) > 40, key
        assert kpi.definition_vi == d.definition_vi and len(d.definition_vi) > 40, key
        assert (kpi.label_vi, kpi.label_en, kpi.unit) == (d.label_vi, d.label_en, d.unit), key
        assert kpi.window, key


def test_docs_describe_every_kpi():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "kpis.md").read_text()
    missing = [key for key in kpis.DEFINITIONS if f"`{key}`" not in text]
    assert not missing, f"docs/kpis.md does not describe {missing}"
    assert "97.63" in text and "90 %" in text and "window=" in text


def test_window_kpis_carry_the_callers_window_and_the_others_their_own():
    values = _all(_inputs(), window="7d")
    assert values["urgent_responded_in_2h_pct"].window == "7d"
    assert values["satisfied_pct"].window == "7d"
    assert values["urgent_responded_in_2h_pct_today"].window == "today"
    assert values["breaches_today"].window == "today"
    assert values["sensors_online_pct"].window == "now"
    assert _all(_inputs())["urgent_responded_in_2h_pct"].window == "24h"  # from its length


def test_targets_beside_the_figures():
    values = _all(_inputs())
    assert values["satisfied_pct"].target.value == 90
    assert values["satisfied_pct"].target.kind == "target"
    assert values["resolved_on_time_pct"].target.value == 97.63
    assert values["resolved_on_time_pct"].target.kind == "reference"  # Thanh Hóa's figure
    assert values["urgent_responded_in_2h_pct_today"].target.value == 100


@pytest.mark.parametrize("text, label, hours", [
    ("today", "today", 15.0), ("TODAY", "today", 15.0), ("24h", "24h", 24), ("7d", "7d", 168),
    ("30d", "30d", 720), ("PT6H", "PT6H", 6), ("pt90m", "PT90M", 1.5), ("P2D", "P2D", 48),
    ("P1DT12H", "P1DT12H", 36), ("P1W", "P1W", 168), ("PT0.5H", "PT0.5H", 0.5),
])
def test_windows_the_api_reads(text, label, hours):
    w = kpis.window_of(text, NOW)
    assert (w.label, w.end) == (label, NOW)
    assert w.hours == pytest.approx(hours)


def test_today_starts_at_local_midnight():
    assert kpis.window_of("today", NOW).start == LOCAL_MIDNIGHT
    assert kpis.local_day_start(datetime(2026, 6, 30, 16, 59, tzinfo=UTC)) == \
        datetime(2026, 6, 29, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "week", "7", "P", "PT", "P1DT", "P1M", "P1Y", "-PT6H",
                                  "PT0S", "P400D", "24 h", "PT6H; drop table"])
def test_other_windows_are_refused_with_the_forms_that_work(text):
    with pytest.raises(kpis.BadWindow) as refused:
        kpis.window_of(text, NOW)
    assert "today" in str(refused.value) or "366 days" in str(refused.value)


def test_window_hours_keeps_the_old_form():
    w = kpis.window_hours(168, NOW)
    assert (w.label, w.start) == ("168h", NOW - timedelta(days=7))


# ---------------------------------------------------------------- the wall's report KPIs

def test_the_headline_today_and_over_7_days():
    reports = [
        facts(10 * 60, responded_after_min=30),    # 05:00 today (local): on time
        facts(9 * 60, responded_after_min=150),    # today: late
        facts(20 * 60, responded_after_min=20),    # 19:00 yesterday: on time, in 7 days only
        facts(8 * 24 * 60, responded_after_min=300),  # 8 days ago: in neither
        facts(30),                                 # today, not decided yet
    ]
    v = _all(_inputs(reports=reports))
    today, week = v["urgent_responded_in_2h_pct_today"], v["urgent_responded_in_2h_pct_7d"]
    assert (today.value, today.detail) == (50.0, {"decided": 2, "on_time": 1})
    assert (week.value, week.detail) == (round(200 / 3, 1), {"decided": 3, "on_time": 2})
    assert today.status == "alarm" and week.status == "alarm"
    assert _all(_inputs(reports=[facts(30)]))["urgent_responded_in_2h_pct_today"].status == \
        "unknown"


def test_the_most_pressing_urgent_report_and_its_time_left():
    reports = [facts(100)._replace(report_id="R-late"), facts(110)._replace(report_id="R-first"),
               facts(10, responded_after_min=5)._replace(report_id="R-answered")]
    v = _all(_inputs(reports=reports))["urgent_least_time_left"]
    assert v.value == 10 * 60 and v.detail["report_id"] == "R-first"
    assert v.detail["waiting"] == 2 and v.status == "warning"  # 10 min < 25 % of 2 h
    assert _all(_inputs(reports=reports))["open_urgent"].detail["report_id"] == "R-first"
    overdue = _all(_inputs(reports=[facts(150)._replace(report_id="R-9")]))
    assert overdue["urgent_least_time_left"].value == -30 * 60
    assert overdue["urgent_least_time_left"].status == "alarm"
    calm = _all(_inputs(reports=[facts(10)._replace(report_id="R-1")]))
    assert calm["urgent_least_time_left"].status == "ok"
    none = _all(_inputs(reports=[]))["urgent_least_time_left"]
    assert none.value is None and none.status == "unknown" and none.detail == {}


def test_satisfied_share_against_the_90_pct_target():
    rated = [facts(300, responded_after_min=30, resolved=True, rating=r) for r in (5, 4, 4, 2)]
    v = _all(_inputs(reports=rated))["satisfied_pct"]
    assert (v.value, v.detail, v.status) == (75.0, {"ratings": 4}, "warning")
    v = _all(_inputs(reports=rated[:3]))["satisfied_pct"]
    assert (v.value, v.status) == (100.0, "ok")
    assert _all(_inputs(reports=[]))["satisfied_pct"].status == "unknown"


def test_resolved_on_time_against_thanh_hoas_figure():
    on_time = [facts(300, responded_after_min=30, resolved=True) for _ in range(3)]
    v = _all(_inputs(reports=on_time))["resolved_on_time_pct"]
    assert (v.value, v.status, v.detail) == (100.0, "ok", {"resolved": 3, "on_time": 3})
    late = on_time[0]._replace(resolved_at=on_time[0].resolve_due_at + timedelta(minutes=1))
    v = _all(_inputs(reports=[*on_time, late]))["resolved_on_time_pct"]
    assert (v.value, v.status) == (75.0, "warning")


def test_daily_trends_over_seven_local_days():
    reports = [facts(10 * 60, responded_after_min=30, rating=5),   # today
               facts(20 * 60, responded_after_min=150, rating=2),  # yesterday, late
               facts(20 * 60 + 5, "normal"),                       # yesterday
               facts(6 * 24 * 60 + 60),                            # 6 days ago, 16:00 local
               facts(8 * 24 * 60)]                                 # too old
    trend = _all(_inputs(reports=reports))["trend_7d"]
    days = trend.detail["days"]
    assert [d["date"] for d in days] == [f"2026-06-{d}" for d in range(25, 31)] + ["2026-07-01"]
    assert [d["received"] for d in days] == [1, 0, 0, 0, 0, 2, 1]
    assert trend.value == 4
    assert days[-1]["urgent_responded_in_2h_pct"] == 100.0 and days[-1]["satisfied_pct"] == 100.0
    assert days[-2]["urgent_responded_in_2h_pct"] == 0.0 and days[-2]["satisfied_pct"] == 0.0
    assert days[0]["urgent_responded_in_2h_pct"] == 0.0  # unanswered for days: breached
    assert days[1]["urgent_responded_in_2h_pct"] is None and days[1]["satisfied_pct"] is None


# ---------------------------------------------------------------- the wall's city KPIs

H = timedelta(hours=1)
HOUR = NOW.replace(minute=0)  # 08:00; the NowCast's latest hour is 07:00–08:00
REGISTRY = [kpis.SensorInfo("a-pm25", "pm25", "a", "xuan-an"),
            kpis.SensorInfo("a-pm10", "pm10", "a", "xuan-an"),
            kpis.SensorInfo("b-pm25", "pm25", "b", "xuan-an"),
            kpis.SensorInfo("c-pm25", "pm25", "c", "bau-sen"),
            kpis.SensorInfo("d-pm25", "pm25", "d", "suoi-tre"),
            kpis.SensorInfo("wl-1", "water_level", "wl-1", "xuan-an", "suoi-cai"),
            kpis.SensorInfo("wl-2", "water_level", "wl-2", "bau-sen", "suoi-ret",
                            {"warn_m": 2.0, "alarm_m": 2.5, "critical_m": 3.0}),
            kpis.SensorInfo("wl-3", "water_level", "wl-3", "suoi-tre")]


def _hours(*values):
    """Hourly means, latest hour first."""
    return {HOUR - (i + 1) * H: v for i, v in enumerate(values) if v is not None}


def test_aqi_by_ward_is_the_hourly_nowcast_of_its_worst_station():
    inputs = _inputs(registry=REGISTRY, pm_hourly={
        "a-pm25": _hours(30, 30, 30), "a-pm10": _hours(200, 200),
        "b-pm25": _hours(10, 10),
        "c-pm25": _hours(40, None, None),  # 1 of the last 3 hours: no NowCast
    }, latest=[kpis.Reading("c-pm25", "pm25", 20, NOW - timedelta(seconds=10)),
               kpis.Reading("d-pm25", "pm25", 90, NOW - timedelta(hours=1))])  # d: stale
    v = _all(inputs)["aqi_by_ward"]
    wards = v.detail["wards"]
    assert wards["xuan-an"]["aqi"] == aqi.hourly_aqi(_hours(30, 30, 30), _hours(200, 200), NOW)
    assert wards["xuan-an"]["aqi"] == aqi.aqi_from(200, aqi.PM10_BREAKPOINTS)  # PM10 is worse
    assert wards["xuan-an"]["basis"] == "nowcast" and wards["xuan-an"]["station"] == "a"
    assert wards["xuan-an"]["band"] == "poor" and wards["xuan-an"]["colour"] == "#FF7E00"
    assert wards["bau-sen"] == {"aqi": 40, "band": "good", "band_vi": "Tốt", "band_en": "Good",
                                "colour": "#00E400", "basis": "latest", "station": "c"}
    assert "suoi-tre" not in wards  # its only reading is stale: no value, not a guess
    assert v.value == wards["xuan-an"]["aqi"] == 125 and v.status == "warning"


def test_aqi_by_ward_without_data_is_unknown():
    v = _all(_inputs(registry=REGISTRY, latest=[]))["aqi_by_ward"]
    assert (v.value, v.status, v.detail) == (None, "unknown", {"wards": {}})


def test_water_levels_per_gauge_against_alert_levels_i_ii_iii():
    fresh = NOW - timedelta(seconds=5)
    inputs = _inputs(registry=REGISTRY, latest=[
        kpis.Reading("wl-1", "water_level", 1.6, fresh),   # policy: II (1.5) reached
        kpis.Reading("wl-2", "water_level", 1.6, fresh),   # its own levels: below I (2.0)
        kpis.Reading("wl-3", "water_level", 2.0, NOW - timedelta(minutes=5))])  # offline
    v = _all(inputs)["water_levels"]
    gauges = {g["sensor_id"]: g for g in v.detail["gauges"]}
    assert gauges["wl-1"]["alert_level"] == 2 and gauges["wl-1"]["status"] == "alarm"
    assert (gauges["wl-1"]["warn_m"], gauges["wl-1"]["alarm_m"],
            gauges["wl-1"]["critical_m"]) == (1.2, 1.5, 1.8)
    assert gauges["wl-2"]["alert_level"] == 0 and gauges["wl-2"]["status"] == "ok"
    assert gauges["wl-2"]["warn_m"] == 2.0 and gauges["wl-2"]["stream"] == "suoi-ret"
    assert gauges["wl-3"]["online"] is False and gauges["wl-3"]["status"] == "offline"
    assert gauges["wl-3"]["alert_level"] is None
    assert v.value == 1 and v.status == "alarm"


@pytest.mark.parametrize("level, alert", [(1.19, 0), (1.2, 1), (1.5, 2), (1.79, 2), (1.8, 3)])
def test_alert_levels(level, alert):
    assert kpis.alert_level(level, WaterLevel()) == alert


def test_congestion_by_ward_is_no_data_until_cameras_produce_metrics():
    v = _all(_inputs())["congestion_by_ward"]
    assert v.value is None and v.status == "unknown"
    assert v.detail == {"wards": {}, "cameras_reporting": 0}


def test_congestion_by_ward_from_traffic_metrics():
    inputs = _inputs(camera_wards={"cam-01": "xuan-an", "cam-02": "xuan-an", "cam-03": "bau-sen"},
                     traffic=[kpis.TrafficWindow("cam-01", NOW - timedelta(minutes=1), 0.9),
                              kpis.TrafficWindow("cam-02", NOW - timedelta(minutes=2), 0.6),
                              kpis.TrafficWindow("cam-03", NOW - timedelta(hours=1), 0.1)])
    v = _all(inputs)["congestion_by_ward"]
    assert v.detail == {"wards": {"xuan-an": {"index": 0.75, "cameras": 2,
                                              "level": "congested"}}, "cameras_reporting": 2}
    assert v.value == 0.75 and v.status == "warning"


def test_data_as_of_is_the_newest_timestamp():
    inputs = _inputs(reports=[facts(5, responded_after_min=3)])
    assert kpis.data_as_of(inputs) == NOW  # the camera's frame
    quiet = kpis.KpiInputs(sensor_ids=[], latest=[], camera_ids=[], camera_last_seen={},
                           reports=[facts(5, responded_after_min=3)])
    assert kpis.data_as_of(quiet) == NOW - timedelta(minutes=2)
    assert kpis.data_as_of(replace(quiet, reports=[])) is None


def test_the_alarm_rate_per_operator_and_a_flood():
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 9, 12, 3, 0, tzinfo=UTC)
    calm = [now - timedelta(minutes=30 * i) for i in range(8)]  # one every 30 min for 4 h
    k = kpis.alarm_rate(calm, now, now - timedelta(hours=4), operators=2)
    assert k.value == round(8 / 24 / 2, 3) and k.status == "ok"
    assert k.target.comparison == "<=" and k.target.met(k.value)
    flood = calm + [now - timedelta(seconds=20 * i) for i in range(25)]  # 25 in 8 minutes
    k = kpis.alarm_rate(flood, now, now - timedelta(hours=4), operators=2)
    assert k.detail["flooding"] and k.status == "alarm"
    assert k.detail["busiest_10min_per_operator"] == 13.0


def test_a_rollup_of_old_days_counts_as_its_reports_would():
    day = 24 * 60
    old = [facts(20 * day, responded_after_min=30, resolved=True, rating=5),
           facts(20 * day + 5, responded_after_min=150, ward="bau-sen", rating=2),
           facts(19 * day, category="fire"),  # never answered: a breach
           facts(18 * day, "normal", responded_after_min=600, resolved=True, rating=4)]
    recent = [facts(300, responded_after_min=20), facts(60, "normal")]
    start = NOW - timedelta(days=21)
    rolled = kpis.RolledUp(
        start, NOW - timedelta(days=10),
        groups=(kpis.ReportGroup("xuan-an", "flooding", 2, 1, 1, 2, 2),
                kpis.ReportGroup("bau-sen", "flooding", 1, 1, 0, 0, 0),
                kpis.ReportGroup("xuan-an", "fire", 1, 1, 0, 0, 0)),
        response_minutes=(30.0, 150.0, 600.0), ratings=(5, 2, 4))

    def window_kpis(inputs):
        return {k.key: (k.value, k.detail) for k in kpis.compute(
            inputs, NOW, window_start=start, day_start=NOW - timedelta(hours=8),
            sensor_stale=timedelta(minutes=1), camera_stale=timedelta(minutes=1),
            water=WaterLevel(warn_m=1.2, alarm_m=1.5))}

    one_by_one = window_kpis(_inputs(reports=old + recent))
    # An old report still open is listed for the open KPIs, and skipped by the window ones.
    assert window_kpis(_inputs(reports=[old[2]] + recent, rolled_up=rolled)) == one_by_one
    # The windows are slices of the reports in order of receipt, in whatever order they come.
    assert window_kpis(_inputs(reports=recent[::-1] + old[::-1])) == one_by_one
    assert one_by_one["urgent_responded_in_2h_pct"][1] | {"by_ward": 0, "by_category": 0} == \
        {"decided": 4, "on_time": 2, "by_ward": 0, "by_category": 0}
    with pytest.raises(ValueError, match="area"):
        kpis.only_area(_inputs(rolled_up=rolled), ward="bau-sen")
