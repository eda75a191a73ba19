"""VN_AQI per Decision 1459/QĐ-TCMT: the decision's worked example, the NowCast's rules, the
daily mean, hourly means from raw readings, and the bands with their colours."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ioc import aqi

ICT = aqi.VN_TZ
H = timedelta(hours=1)

# The decision's worked example, section 2.3 "Tính toán mẫu" of the guideline annexed to
# Decision 1459/QĐ-TCMT:
# https://vea.mae.gov.vn/Data/files/QD%201459%20TCMT%20ngay%2012_11_2019%20AQI(1).pdf
# (text: https://thuvienphapluat.vn/bulletin/document.aspx?key1=U%3DRJNE9URTTk; numbers as
# transcribed in github.com/qnguyenle075/hcmc-air-quality, data/processed/qd_1459_vn_aqi.md).
# PM2.5 hourly means, labelled by the hour they end (the decision's day runs 01:00 … 00:00):
EXAMPLE_PM25 = {9: 26.9, 10: 24.7, 11: 20.5, 12: 23.5, 13: 19.5, 14: 16.5, 15: 19.0, 16: 16.5,
                17: 20.3, 18: 22.4, 19: 19.6, 20: 20.6}
# w* = 16.5 / 26.9 = 0.61 > 0.5, so w = w*; NowCast = Σ 0.61^(i-1)·ci / Σ 0.61^(i-1) = 20.3;
# AQI(PM2.5) = 50/25 × 20.3 = 41 (hourly). Daily: 24-hour mean 55.7 → 100 + 50/30 × 5.7 = 110.
DAY = date(2019, 11, 12)


def ended_at(label: int) -> datetime:
    """The start of the hour a label (its end, local time) stands for."""
    return datetime(2019, 11, 12, label, tzinfo=ICT) - H


def test_the_decisions_worked_example_nowcast_is_20_3_and_its_aqi_41():
    latest_first = [EXAMPLE_PM25[h] for h in range(20, 8, -1)]
    value = aqi.nowcast(latest_first)
    assert value is not None and round(value, 1) == 20.3
    assert aqi.aqi_from(value, aqi.PM25_BREAKPOINTS) == 41


def test_the_decisions_worked_example_from_raw_readings_gives_an_hourly_aqi_of_41():
    # Two readings per hour, 10 min either side of the half hour, averaging the hour's value.
    readings = [(ended_at(label) + timedelta(minutes=m), value + d)
                for label, value in EXAMPLE_PM25.items() for m, d in ((20, -1.0), (40, 1.0))]
    pm25 = aqi.hourly_means(reversed(readings))
    assert pm25[ended_at(20).astimezone(UTC)] == pytest.approx(20.6)
    at_20 = datetime(2019, 11, 12, 20, tzinfo=ICT)  # the hour 19:00–20:00 has just ended
    assert aqi.hourly_aqi(pm25, {}, at_20) == 41
    assert aqi.hourly_sub_index("pm25", pm25, at_20 + timedelta(minutes=30)) == 41


def test_the_decisions_worked_example_daily_pm25_of_55_7_is_110():
    assert aqi.vn_aqi(55.7, None) == 110  # 109.5, rounded half up
    day = {ended_at(1) + i * H: 55.7 for i in range(24)}
    assert aqi.daily_aqi(day, {}, DAY) == 110


def test_missing_hours_weigh_nothing():
    # c1 = 30, c3 = 20, the rest missing: w* = 20/30, so w² = 4/9 and
    # NowCast = (30 + 4/9 × 20) / (1 + 4/9) = 350/13.
    assert aqi.nowcast([30, None, 20] + [None] * 9) == pytest.approx(350 / 13)
    # A missing hour is not a zero: neither in Cmin nor in the mean.
    assert aqi.nowcast([10, None, 10, None, 10]) == pytest.approx(10)


@pytest.mark.parametrize("hours, has_value", [
    ([10, 20, 30], True), ([None, 20, 30], True), ([10, None, 30], True), ([10, 20, None], True),
    ([10, None, None, 40, 40], False), ([None, None, 30, 40, 40], False), ([None] * 12, False),
    ([10], False), ([], False),
])
def test_a_nowcast_needs_two_of_the_last_three_hours(hours, has_value):
    assert (aqi.nowcast(hours) is not None) is has_value


def test_the_hourly_aqi_follows_the_two_of_three_rule_per_pollutant():
    at = datetime(2026, 7, 1, 8, tzinfo=UTC)  # c1 is 07:00–08:00
    pm25 = {at - 3 * H: 80.0, at - 4 * H: 80.0}  # only c3 of the last three
    pm10 = {at - H: 150.0, at - 2 * H: 150.0}
    assert aqi.nowcast_at(pm25, at) is None
    assert aqi.hourly_sub_index("pm25", pm25, at) is None
    assert aqi.hourly_sub_index("pm10", pm10, at) == 100
    assert aqi.hourly_aqi(pm25, pm10, at) == 100  # PM10 alone is enough
    assert aqi.hourly_aqi(pm25, {}, at) is None
    assert aqi.hourly_aqi({}, {}, at) is None
    # An hour still under way is not c1: at 07:59 the last to have ended is 06:00–07:00.
    assert aqi.nowcast_at(pm10, at - timedelta(minutes=1)) is None


def test_the_weight_is_clamped_at_one_half():
    # w* = 10/100 = 0.1 → w = 0.5: (100 + 0.5 × 10) / 1.5 = 70.
    assert aqi.nowcast([100, 10]) == pytest.approx(70)
    # w* = 0.5 exactly: w = 0.5 either way.
    assert aqi.nowcast([100, 50]) == pytest.approx((100 + 25) / 1.5)
    # w* = 0.6 is kept: (60 + 0.6 × 100) / 1.6 = 75.
    assert aqi.nowcast([60, 100]) == pytest.approx(75)


def test_all_equal_hours_give_that_value():
    assert aqi.nowcast([42.0] * 12) == pytest.approx(42.0)
    assert aqi.nowcast([0.0] * 12) == 0.0


def test_only_the_last_twelve_hours_count():
    assert aqi.nowcast([20.0] * 12 + [500.0]) == pytest.approx(20.0)
    at = datetime(2026, 7, 1, 8, tzinfo=UTC)
    means = {at - i * H: 20.0 for i in range(1, 13)} | {at - 13 * H: 500.0, at: 500.0}
    assert aqi.nowcast_at(means, at) == pytest.approx(20.0)


@given(st.lists(st.one_of(st.none(), st.floats(0, 1000)), min_size=3, max_size=12))
def test_a_nowcast_lies_between_the_hours_it_weighs(hours):
    value = aqi.nowcast(hours)
    present = [x for x in hours[:12] if x is not None]
    if value is not None:
        assert min(present) - 1e-9 <= value <= max(present) + 1e-9


@pytest.mark.parametrize("pm25, expected", [
    (0, 0), (25, 50), (25.25, 51), (50, 100), (80, 150), (150, 200), (250, 300), (350, 400),
    (500, 500), (501, 500), (2000, 500), (-3, 0),
])
def test_pm25_breakpoint_edges(pm25, expected):
    assert aqi.aqi_from(pm25, aqi.PM25_BREAKPOINTS) == expected


@pytest.mark.parametrize("pm10, expected", [
    (0, 0), (50, 50), (150, 100), (250, 150), (350, 200), (420, 300), (500, 400), (600, 500),
    (700, 500), (51, 51), (385, 250),
])
def test_pm10_breakpoint_edges(pm10, expected):
    assert aqi.aqi_from(pm10, aqi.PM10_BREAKPOINTS) == expected


def test_the_index_rounds_half_up_not_to_even():
    assert aqi.round_half_up(50.5) == 51  # round() would give 50
    assert aqi.round_half_up(40.4999) == 40
    assert aqi.round_half_up(109.49999999999999) == 110  # float noise of an exact 109.5


def test_the_daily_mean_is_over_the_vietnamese_calendar_day():
    first = datetime(2019, 11, 12, 0, tzinfo=ICT).astimezone(UTC)  # 17:00 UTC the day before
    means = {first - H: 999.0, first: 40.0, first + 23 * H: 60.0, first + 24 * H: 999.0}
    assert aqi.daily_mean(means, DAY) == pytest.approx(50.0)  # only the day's two hours


def test_the_daily_mean_needs_the_hours_asked_for():
    first = datetime(2019, 11, 12, 0, tzinfo=ICT)
    means = {first + i * H: 30.0 for i in range(18)}
    assert aqi.daily_mean({}, DAY) is None
    assert aqi.daily_mean(means, DAY, min_hours=18) == pytest.approx(30.0)
    assert aqi.daily_mean(means, DAY, min_hours=19) is None
    assert aqi.daily_aqi(means, {}, DAY, min_hours=19) is None
    assert aqi.daily_aqi(means, {}, DAY) == 60


def test_hourly_means_split_readings_at_the_hour_boundary():
    t = datetime(2026, 7, 1, 8, tzinfo=UTC)
    readings = [(t + timedelta(minutes=50), 10.0), (t + timedelta(minutes=59, seconds=59), 20.0),
                (t + H, 100.0), (t + H + timedelta(minutes=30), 200.0)]
    assert aqi.hourly_means(readings) == {t: 15.0, t + H: 150.0}


def test_hourly_means_take_readings_in_any_order_and_any_time_zone():
    t = datetime(2026, 7, 1, 8, tzinfo=UTC)
    readings = [(t + timedelta(minutes=40), 30.0), (t - timedelta(minutes=5), 7.0),
                (datetime(2026, 7, 1, 15, 10, tzinfo=ICT), 10.0),  # 08:10 UTC
                (datetime(2026, 7, 1, 13, 59, tzinfo=timezone(timedelta(hours=5, minutes=30))),
                 20.0)]  # 08:29 UTC: floored in UTC, not in its own zone
    means = aqi.hourly_means(readings)
    assert means == {t - H: 7.0, t: 20.0}
    assert all(hour.tzinfo is UTC for hour in means)


def test_hourly_means_drop_nan_and_refuse_naive_times():
    t = datetime(2026, 7, 1, 8, tzinfo=UTC)
    assert aqi.hourly_means([(t, math.nan), (t, 4.0)]) == {t: 4.0}
    assert aqi.hourly_means([(t, math.nan)]) == {}
    with pytest.raises(ValueError, match="naive"):
        aqi.hourly_means([(datetime(2026, 7, 1, 8), 1.0)])


@pytest.mark.parametrize("index, code, vi, rgb, hex_", [
    (0, "good", "Tốt", (0, 228, 0), "#00E400"),
    (50, "good", "Tốt", (0, 228, 0), "#00E400"),
    (51, "moderate", "Trung bình", (255, 255, 0), "#FFFF00"),
    (100, "moderate", "Trung bình", (255, 255, 0), "#FFFF00"),
    (101, "poor", "Kém", (255, 126, 0), "#FF7E00"),
    (150, "poor", "Kém", (255, 126, 0), "#FF7E00"),
    (151, "bad", "Xấu", (255, 0, 0), "#FF0000"),
    (200, "bad", "Xấu", (255, 0, 0), "#FF0000"),
    (201, "very_bad", "Rất xấu", (143, 63, 151), "#8F3F97"),
    (300, "very_bad", "Rất xấu", (143, 63, 151), "#8F3F97"),
    (301, "hazardous", "Nguy hại", (126, 0, 35), "#7E0023"),
    (500, "hazardous", "Nguy hại", (126, 0, 35), "#7E0023"),
])
def test_bands_and_the_decisions_colours(index, code, vi, rgb, hex_):
    band = aqi.band(index)
    assert (band.code, band.vi, band.rgb) == (code, vi, rgb)
    assert aqi.band_colour(index) == hex_
    assert aqi.aqi_band(index) == (code, vi, band.en)


def test_the_bands_cover_0_to_500_without_gaps():
    assert aqi.BANDS[0].low == 0 and aqi.BANDS[-1].high == 500
    assert all(a.high + 1 == b.low for a, b in zip(aqi.BANDS, aqi.BANDS[1:], strict=False))
    assert [en for *_, en in aqi.AQI_BANDS] == [b.en for b in aqi.BANDS]
