"""KPI definitions, once, as pure functions of their inputs and `now`: used by the API, the wall
screen and the tests. The database queries that gather the inputs live in `ioc.db.queries`.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ioc.aqi import aqi_band, vn_aqi
from ioc.policy import WaterLevel
from ioc.status import aqi_status, is_online, water_status


def online_share(last_seen: list[datetime | None], now: datetime, stale_after: timedelta) -> float:
    """Share of sources whose last message is younger than `stale_after` (1.0 if none)."""
    if not last_seen:
        return 1.0
    alive = sum(1 for ts in last_seen if is_online(ts, now, stale_after))
    return alive / len(last_seen)


@dataclass(frozen=True)
class Reading:
    sensor_id: str
    kind: str
    value: float
    ts: datetime


@dataclass(frozen=True)
class ReportFacts:
    """What the report KPIs need of one report (from report_state)."""

    received_at: datetime
    urgency: str | None
    due_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    resolve_due_at: datetime
    is_open: bool
    rating: int | None
    category: str | None
    ward: str | None


@dataclass(frozen=True)
class KpiInputs:
    """What the KPIs are computed from; gathered by ioc.db.queries.kpi_inputs."""

    sensor_ids: list[str]  # every sensor the city has
    latest: list[Reading]  # newest reading per sensor that has reported
    camera_ids: list[str]
    camera_last_seen: dict[str, datetime]
    reports: list[ReportFacts]  # received in the window, plus every report still open


@dataclass(frozen=True)
class Kpi:
    key: str
    value: float | int | None
    unit: str
    label_vi: str
    label_en: str
    status: str = "ok"  # ok | warning | alarm | unknown
    detail: dict = field(default_factory=dict)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def report_kpis(reports: list[ReportFacts], now: datetime, window_start: datetime,
                day_start: datetime) -> list[Kpi]:
    """The citizen-report KPIs. A report counts towards "responded within 2 h" once it is
    decided: answered, or past its due time unanswered."""
    in_window = [r for r in reports if r.received_at >= window_start]
    urgent = [r for r in in_window if r.urgency == "urgent"]
    decided = [r for r in urgent if r.first_response_at is not None or r.due_at < now]
    on_time = [r for r in decided if r.first_response_at is not None
               and r.first_response_at <= r.due_at]
    minutes = [(r.first_response_at - r.received_at).total_seconds() / 60
               for r in in_window if r.first_response_at is not None]
    open_urgent = [r for r in reports if r.is_open and r.urgency == "urgent"
                   and r.first_response_at is None]
    least_left = min(((r.due_at - now).total_seconds() for r in open_urgent), default=None)
    breaches_today = [r for r in reports if day_start <= r.due_at <= now and (
        r.first_response_at is None or r.first_response_at > r.due_at)]
    resolved = [r for r in in_window if r.resolved_at is not None]
    resolved_on_time = [r for r in resolved if r.resolved_at <= r.resolve_due_at]
    ratings = [r.rating for r in in_window if r.rating is not None]

    def pct(part: list, whole: list) -> float | None:
        return round(100 * len(part) / len(whole), 1) if whole else None

    sla_pct = pct(on_time, decided)
    kpis = [
        Kpi("urgent_responded_in_2h_pct", sla_pct, "%", "Phản ánh khẩn được trả lời trong 2 giờ",
            "Urgent reports answered within 2 h",
            status="unknown" if sla_pct is None else "ok" if sla_pct >= 95
            else "warning" if sla_pct >= 80 else "alarm",
            detail={"decided": len(decided), "on_time": len(on_time),
                    "by_ward": _on_time_by(decided, on_time, lambda r: r.ward),
                    "by_category": _on_time_by(decided, on_time, lambda r: r.category)}),
        Kpi("response_minutes_median", _round(percentile(minutes, 50)), "min",
            "Thời gian trả lời (trung vị)", "Time to first response (median)",
            detail={"responded": len(minutes)}),
        Kpi("response_minutes_p90", _round(percentile(minutes, 90)), "min",
            "Thời gian trả lời (P90)", "Time to first response (p90)"),
        Kpi("open_urgent", len(open_urgent), "reports", "Phản ánh khẩn đang chờ",
            "Open urgent reports",
            status="alarm" if least_left is not None and least_left < 0
            else "warning" if open_urgent else "ok",
            detail={"least_left_s": None if least_left is None else round(least_left)}),
        Kpi("breaches_today", len(breaches_today), "reports", "Quá hạn hôm nay",
            "Breaches today", status="alarm" if breaches_today else "ok"),
        Kpi("resolved_on_time_pct", pct(resolved_on_time, resolved), "%",
            "Giải quyết đúng hạn", "Resolved on time",
            detail={"resolved": len(resolved)}),
        Kpi("satisfaction", _round(sum(ratings) / len(ratings), 2) if ratings else None, "/5",
            "Mức độ hài lòng", "Citizen satisfaction",
            detail={"ratings": len(ratings),
                    "satisfied_pct": pct([x for x in ratings if x >= 4], ratings)}),
        Kpi("reports_24h", len([r for r in reports if now - r.received_at <= timedelta(hours=24)
                                and r.received_at <= now]),
            "reports", "Phản ánh 24 giờ qua", "Reports, last 24 h"),
        Kpi("reports_by_ward", len(in_window), "reports", "Phản ánh theo phường/xã",
            "Reports by ward", detail=dict(Counter(r.ward or "?" for r in in_window))),
        Kpi("reports_by_category", len(in_window), "reports", "Phản ánh theo lĩnh vực",
            "Reports by category", detail=dict(Counter(r.category or "?" for r in in_window))),
    ]
    # No value means no data yet: never show it as "ok".
    return [replace(k, status="unknown") if k.value is None else k for k in kpis]


def _on_time_by(decided: list[ReportFacts], on_time: list[ReportFacts], group) -> dict:
    """{group: {decided, on_time, pct}}: the 2-hour figure per ward or category ("?": unknown)."""
    counts = Counter(group(r) or "?" for r in decided)
    hits = Counter(group(r) or "?" for r in on_time)
    return {g: {"decided": n, "on_time": hits[g], "pct": round(100 * hits[g] / n, 1)}
            for g, n in sorted(counts.items())}


def only_area(inputs: KpiInputs, ward: str | None = None,
              category: str | None = None) -> KpiInputs:
    """The inputs with only the reports of one ward and/or category (sensors and cameras stay:
    they are the city's, not a ward's)."""
    return replace(inputs, reports=[r for r in inputs.reports
                                    if (ward is None or r.ward == ward)
                                    and (category is None or r.category == category)])


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def compute(inputs: KpiInputs, now: datetime, *, window_start: datetime, day_start: datetime,
            sensor_stale: timedelta, camera_stale: timedelta, water: WaterLevel) -> list[Kpi]:
    fresh = [r for r in inputs.latest if is_online(r.ts, now, sensor_stale)]
    last_seen = {r.sensor_id: r.ts for r in inputs.latest}
    sensors_online = online_share([last_seen.get(s) for s in inputs.sensor_ids], now, sensor_stale)
    cameras_online = online_share([inputs.camera_last_seen.get(c) for c in inputs.camera_ids],
                                  now, camera_stale)

    def worst(kind: str) -> float | None:
        values = [r.value for r in fresh if r.kind == kind]
        return max(values) if values else None

    aqi = vn_aqi(worst("pm25"), worst("pm10"))
    band = aqi_band(aqi) if aqi is not None else ("unknown", "Không có dữ liệu", "No data")
    level = worst("water_level")

    return [
        *report_kpis(inputs.reports, now, window_start, day_start),
        Kpi("aqi_max", aqi, "VN_AQI", "Chỉ số AQI cao nhất", "Highest AQI",
            status=aqi_status(aqi),
            detail={"band": band[0], "band_vi": band[1], "band_en": band[2]}),
        Kpi("water_level_max_m", level, "m", "Mực nước cao nhất", "Highest water level",
            status=water_status(level, water),
            detail={"warn_m": water.warn_m, "alarm_m": water.alarm_m}),
        Kpi("sensors_online_pct", round(100 * sensors_online, 1), "%", "Cảm biến trực tuyến",
            "Sensors online", status="ok" if sensors_online >= 0.9 else "warning"),
        Kpi("cameras_online_pct", round(100 * cameras_online, 1), "%", "Camera trực tuyến",
            "Cameras online", status="ok" if cameras_online >= 0.9 else "warning"),
    ]
