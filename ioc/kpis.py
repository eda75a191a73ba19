"""KPI definitions, once, as pure functions of their inputs and `now`: used by the API, the wall
screen and the tests. The database queries that gather the inputs live in `ioc.db.queries`.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# Vietnam AQI (VN_AQI), Decision 1459/QĐ-TCMT: concentration breakpoints (µg/m³) per AQI
# breakpoint 0, 50, 100, 150, 200, 300, 400, 500, interpolated linearly in between.
AQI_LEVELS = (0, 50, 100, 150, 200, 300, 400, 500)
PM25_BREAKPOINTS = (0, 25, 50, 80, 150, 250, 350, 500)
PM10_BREAKPOINTS = (0, 50, 150, 250, 350, 420, 500, 600)
AQI_BANDS = (  # upper bound, code, Vietnamese, English
    (50, "good", "Tốt", "Good"),
    (100, "moderate", "Trung bình", "Moderate"),
    (150, "poor", "Kém", "Poor"),
    (200, "bad", "Xấu", "Bad"),
    (300, "very_bad", "Rất xấu", "Very bad"),
    (10_000, "hazardous", "Nguy hại", "Hazardous"),
)


def aqi_from(concentration: float, breakpoints: tuple[float, ...]) -> int:
    """Linear interpolation between breakpoints; above the last one, capped at 500."""
    c = max(0.0, concentration)
    if c >= breakpoints[-1]:
        return AQI_LEVELS[-1]
    i = bisect.bisect_right(breakpoints, c) - 1
    lo_c, hi_c = breakpoints[i], breakpoints[i + 1]
    lo_a, hi_a = AQI_LEVELS[i], AQI_LEVELS[i + 1]
    return round(lo_a + (hi_a - lo_a) * (c - lo_c) / (hi_c - lo_c))


def vn_aqi(pm25: float | None, pm10: float | None) -> int | None:
    """The AQI is the worst of its pollutants' sub-indices."""
    subs = []
    if pm25 is not None:
        subs.append(aqi_from(pm25, PM25_BREAKPOINTS))
    if pm10 is not None:
        subs.append(aqi_from(pm10, PM10_BREAKPOINTS))
    return max(subs) if subs else None


def aqi_band(aqi: int) -> tuple[str, str, str]:
    for upper, code, vi, en in AQI_BANDS:
        if aqi <= upper:
            return code, vi, en
    raise AssertionError("unreachable: the last band is open-ended")


def online_share(last_seen: list[datetime | None], now: datetime, stale_after: timedelta) -> float:
    """Share of sources whose last message is younger than `stale_after` (1.0 if none)."""
    if not last_seen:
        return 1.0
    alive = sum(1 for ts in last_seen if ts is not None and now - ts <= stale_after)
    return alive / len(last_seen)


@dataclass(frozen=True)
class Reading:
    sensor_id: str
    kind: str
    value: float
    ts: datetime


@dataclass(frozen=True)
class KpiInputs:
    """What the KPIs are computed from; gathered by ioc.db.queries.kpi_inputs."""

    sensor_ids: list[str]  # every sensor the city has
    latest: list[Reading]  # newest reading per sensor that has reported
    camera_ids: list[str]
    camera_last_seen: dict[str, datetime]
    report_times: list[datetime]  # receipt times of reports in the window
    report_wards: list[str | None]
    report_categories: list[str | None]
    sensor_ward: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Kpi:
    key: str
    value: float | int | None
    unit: str
    label_vi: str
    label_en: str
    status: str = "ok"  # ok | warning | alarm | unknown
    detail: dict = field(default_factory=dict)


def compute(inputs: KpiInputs, now: datetime, *, sensor_stale: timedelta,
            camera_stale: timedelta, water_warn_m: float, water_alarm_m: float) -> list[Kpi]:
    fresh = [r for r in inputs.latest if now - r.ts <= sensor_stale]
    last_seen = {r.sensor_id: r.ts for r in inputs.latest}
    sensors_online = online_share([last_seen.get(s) for s in inputs.sensor_ids], now, sensor_stale)
    cameras_online = online_share([inputs.camera_last_seen.get(c) for c in inputs.camera_ids],
                                  now, camera_stale)

    def worst(kind: str) -> float | None:
        values = [r.value for r in fresh if r.kind == kind]
        return max(values) if values else None

    aqi = vn_aqi(worst("pm25"), worst("pm10"))
    band = aqi_band(aqi) if aqi is not None else ("unknown", "Không có dữ liệu", "No data")
    water = worst("water_level")
    water_status = ("unknown" if water is None else "alarm" if water >= water_alarm_m
                    else "warning" if water >= water_warn_m else "ok")
    today = [t for t in inputs.report_times if now - t <= timedelta(hours=24)]

    return [
        Kpi("aqi_max", aqi, "VN_AQI", "Chỉ số AQI cao nhất", "Highest AQI",
            status={"good": "ok", "moderate": "ok", "poor": "warning",
                    "unknown": "unknown"}.get(band[0], "alarm"),
            detail={"band": band[0], "band_vi": band[1], "band_en": band[2]}),
        Kpi("water_level_max_m", water, "m", "Mực nước cao nhất", "Highest water level",
            status=water_status, detail={"warn_m": water_warn_m, "alarm_m": water_alarm_m}),
        Kpi("sensors_online_pct", round(100 * sensors_online, 1), "%", "Cảm biến trực tuyến",
            "Sensors online", status="ok" if sensors_online >= 0.9 else "warning"),
        Kpi("cameras_online_pct", round(100 * cameras_online, 1), "%", "Camera trực tuyến",
            "Cameras online", status="ok" if cameras_online >= 0.9 else "warning"),
        Kpi("reports_24h", len(today), "reports", "Phản ánh 24 giờ qua", "Reports, last 24 h"),
        Kpi("reports_by_ward", len(inputs.report_wards), "reports", "Phản ánh theo phường/xã",
            "Reports by ward", detail=dict(Counter(w or "?" for w in inputs.report_wards))),
        Kpi("reports_by_category", len(inputs.report_categories), "reports",
            "Phản ánh theo lĩnh vực", "Reports by category",
            detail=dict(Counter(c or "?" for c in inputs.report_categories))),
    ]
