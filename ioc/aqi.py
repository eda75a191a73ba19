"""Vietnam's AQI (VN_AQI) for PM2.5 and PM10, as Decision 1459/QĐ-TCMT (12 Nov 2019) of the
Vietnam Environment Administration defines it: sub-indices by linear interpolation, the hourly
AQI from the 12-hour NowCast, the daily AQI from the 24-hour mean, the index as the worst
sub-index, and the six bands with the decision's colours. Pure: no I/O, no clock.

Source: "Hướng dẫn kỹ thuật tính toán và công bố chỉ số chất lượng không khí Việt Nam", annex to
the decision, https://vea.mae.gov.vn/Data/files/QD%201459%20TCMT%20ngay%2012_11_2019%20AQI(1).pdf
(text also at https://thuvienphapluat.vn/bulletin/document.aspx?key1=U%3DRJNE9URTTk).
Sections cited below: 1.4 (Table 1, bands), 2.2.1 (hourly), 2.2.2 (daily), 2.3 (worked example).
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Table 2: concentration breakpoints (µg/m³) per AQI breakpoint 0, 50, …, 500, interpolated
# linearly in between. (Code labelled "VN_AQI" elsewhere often uses US-EPA cut points,
# 12 / 35.4: wrong here.)
AQI_LEVELS = (0, 50, 100, 150, 200, 300, 400, 500)
PM25_BREAKPOINTS = (0, 25, 50, 80, 150, 250, 350, 500)
PM10_BREAKPOINTS = (0, 50, 150, 250, 350, 420, 500, 600)
BREAKPOINTS = {"pm25": PM25_BREAKPOINTS, "pm10": PM10_BREAKPOINTS}

NOWCAST_HOURS = 12
NOWCAST_MIN_WEIGHT = 0.5  # 2.2.1.a: w = 1/2 when w* ≤ 1/2
HOUR = timedelta(hours=1)
# The decision's day is the Vietnamese calendar day (UTC+7, no daylight saving).
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Band:
    """One row of Table 1: AQI range, quality in Vietnamese and English, colour."""

    low: int
    high: int
    code: str
    vi: str
    en: str
    colour_vi: str
    colour_en: str
    rgb: tuple[int, int, int]

    @property
    def hex(self) -> str:
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)


BANDS = (
    Band(0, 50, "good", "Tốt", "Good", "Xanh", "green", (0, 228, 0)),
    Band(51, 100, "moderate", "Trung bình", "Moderate", "Vàng", "yellow", (255, 255, 0)),
    Band(101, 150, "poor", "Kém", "Poor", "Da cam", "orange", (255, 126, 0)),
    Band(151, 200, "bad", "Xấu", "Bad", "Đỏ", "red", (255, 0, 0)),
    Band(201, 300, "very_bad", "Rất xấu", "Very bad", "Tím", "purple", (143, 63, 151)),
    Band(301, 500, "hazardous", "Nguy hại", "Hazardous", "Nâu", "maroon", (126, 0, 35)),
)
AQI_BANDS = tuple((b.high, b.code, b.vi, b.en) for b in BANDS)  # upper bound, code, vi, en


def round_half_up(x: float) -> int:
    """The decision only says "làm tròn thành số nguyên"; ordinary rounding (half up) matches its
    worked example (109.5 → 110), where Python's round() would send 50.5 to 50. Rounding to 9
    places first keeps 109.49999999999999-style float noise from deciding the result."""
    return math.floor(round(x, 9) + 0.5)


def sub_index(concentration: float, breakpoints: tuple[float, ...]) -> float:
    """Formula 1/2: linear interpolation between breakpoints, unrounded; the last breakpoint is
    "≥", so anything above it is 500. Negative readings count as 0."""
    c = max(0.0, concentration)
    if c >= breakpoints[-1]:
        return float(AQI_LEVELS[-1])
    i = bisect.bisect_right(breakpoints, c) - 1
    lo_c, hi_c = breakpoints[i], breakpoints[i + 1]
    lo_a, hi_a = AQI_LEVELS[i], AQI_LEVELS[i + 1]
    return lo_a + (hi_a - lo_a) * (c - lo_c) / (hi_c - lo_c)


def aqi_from(concentration: float, breakpoints: tuple[float, ...]) -> int:
    """A pollutant's sub-index, rounded to an integer."""
    return round_half_up(sub_index(concentration, breakpoints))


def vn_aqi(pm25: float | None, pm10: float | None) -> int | None:
    """The AQI is the worst of its pollutants' sub-indices; without PM2.5 or PM10 there is none
    (2.1.b). Pass NowCasts for the hourly AQI, 24-hour means for the daily one."""
    subs = []
    if pm25 is not None:
        subs.append(aqi_from(pm25, PM25_BREAKPOINTS))
    if pm10 is not None:
        subs.append(aqi_from(pm10, PM10_BREAKPOINTS))
    return max(subs) if subs else None


def nowcast(hourly: Sequence[float | None]) -> float | None:
    """The NowCast (2.2.1.a) of up to 12 hourly means, latest first (c1, c2, …; None = no data).

    None unless at least 2 of c1, c2, c3 have data. w* = Cmin / Cmax over the hours with data,
    w = max(w*, 1/2), NowCast = Σ w^(i−1)·ci / Σ w^(i−1), a missing hour weighing 0. The decision
    writes the w = 1/2 case unnormalised, Σ (1/2)^i·ci; that equals the normalised form only
    when all 12 hours exist (Σ (1/2)^(i−1) ≈ 2) and understates the index whenever hours are
    missing, so the normalised form is used throughout.
    """
    c = list(hourly[:NOWCAST_HOURS])
    if sum(x is not None for x in c[:3]) < 2:
        return None
    present = [x for x in c if x is not None]
    c_max = max(present)
    # All hours zero (or below): every weight gives the same mean.
    w_star = min(present) / c_max if c_max > 0 else 1.0
    w = max(w_star, NOWCAST_MIN_WEIGHT)
    weighted = [(w**i, x) for i, x in enumerate(c) if x is not None]
    return sum(wi * x for wi, x in weighted) / sum(wi for wi, _ in weighted)


def _hour_start(ts: datetime) -> datetime:
    if ts.tzinfo is None:
        raise ValueError(f"naive datetime {ts!r}: readings must carry a time zone")
    return ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hourly_means(readings: Iterable[tuple[datetime, float]]) -> dict[datetime, float]:
    """Raw readings of one station pollutant → the arithmetic mean of each clock hour, keyed by
    the hour's start in UTC; each hour is [start, start + 1 h), in any order of arrival. These
    are the decision's "giá trị quan trắc trung bình 1 giờ" the NowCast and daily mean use. A
    non-finite value (a sensor's NaN) is dropped rather than poisoning its hour."""
    by_hour: dict[datetime, list[float]] = defaultdict(list)
    for ts, value in readings:
        if math.isfinite(value):
            by_hour[_hour_start(ts)].append(value)
    return {hour: math.fsum(values) / len(values) for hour, values in by_hour.items()}


def nowcast_at(means: Mapping[datetime, float], at: datetime) -> float | None:
    """The NowCast at `at`, from `hourly_means`: c1 is the last hour to have ended by then (at
    08:00 or 08:30, the hour 07:00–08:00), matching the decision's labelling of an hour by its
    end."""
    c1 = _hour_start(at) - HOUR
    return nowcast([means.get(c1 - i * HOUR) for i in range(NOWCAST_HOURS)])


def hourly_sub_index(pollutant: str, means: Mapping[datetime, float], at: datetime) -> int | None:
    """One pollutant's ("pm25" or "pm10") hourly sub-index at `at` (formula 2): what a detector
    that sees a single sensor's stream can judge on its own."""
    value = nowcast_at(means, at)
    return None if value is None else aqi_from(value, BREAKPOINTS[pollutant])


def hourly_aqi(pm25: Mapping[datetime, float], pm10: Mapping[datetime, float],
               at: datetime) -> int | None:
    """The hourly AQI (2.2.1) at `at`, the end of the latest hour: the worst of the PM2.5 and
    PM10 NowCast sub-indices. Either mapping may be empty; None when neither pollutant has a
    NowCast."""
    return vn_aqi(nowcast_at(pm25, at), nowcast_at(pm10, at))


def daily_mean(means: Mapping[datetime, float], day: date, min_hours: int = 1) -> float | None:
    """The 24-hour mean (2.2.2.a): the arithmetic mean of the hourly means of the Vietnamese
    calendar day (the hours labelled 01:00 … 00:00 the next day, i.e. starting 00:00 … 23:00).

    The decision sets no minimum number of hours, so by default any hour with data is enough;
    `min_hours` lets a publisher demand more (e.g. 18, the 75 % US EPA uses). None below it.
    """
    start = datetime.combine(day, time(), VN_TZ).astimezone(UTC)
    values = [means[h] for h in (start + i * HOUR for i in range(24)) if h in means]
    if len(values) < max(min_hours, 1):
        return None
    return math.fsum(values) / len(values)


def daily_aqi(pm25: Mapping[datetime, float], pm10: Mapping[datetime, float], day: date,
              min_hours: int = 1) -> int | None:
    """The daily AQI (2.2.2): the worst of the PM2.5 and PM10 sub-indices of their 24-hour
    means over the Vietnamese calendar day `day`."""
    return vn_aqi(daily_mean(pm25, day, min_hours), daily_mean(pm10, day, min_hours))


def band(aqi: int) -> Band:
    """The Table 1 band an index falls in; the AQI never exceeds 500, anything above is still
    hazardous."""
    for b in BANDS:
        if aqi <= b.high:
            return b
    return BANDS[-1]


def aqi_band(aqi: int) -> tuple[str, str, str]:
    """(code, Vietnamese, English) of the band an index falls in."""
    b = band(aqi)
    return b.code, b.vi, b.en


def band_colour(aqi: int) -> str:
    """The decision's colour for an index, as "#RRGGBB"."""
    return band(aqi).hex
