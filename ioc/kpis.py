"""KPI definitions, once, as pure functions of their inputs and `now`: used by the API, the wall
screen and the tests. The database queries that gather the inputs live in `ioc.db.queries`.

Every KPI has one `Definition` in `DEFINITIONS`: its label, unit, window and target, and what it
counts in words (English and Vietnamese). The API sends that with each figure and
`docs/kpis.md` documents the same list; a test keeps the two in step.

Windows: a KPI of kind "window" covers the window the caller asks for (`window_of`); the others
have a window of their own: "today" (since local midnight, Asia/Ho_Chi_Minh), "7d" (the last
7 × 24 h), "24h", "7 local days" (the trends) or "now" (the newest state).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from operator import attrgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from ioc.aqi import aqi_band, band, hourly_aqi, vn_aqi
from ioc.policy import WaterLevel
from ioc.status import aqi_status, is_online, water_status

DISPLAY_TZ = "Asia/Ho_Chi_Minh"
TREND_DAYS = 7
WEEK = timedelta(days=7)
SATISFIED_RATING = 4  # a rating of 4 or 5 out of 5 counts as satisfied
CONGESTED = 0.7  # a ward's congestion index from here on reads "congested" (project choice)
BUSY = 0.4  # ... and from here "busy"
TRAFFIC_FRESH = timedelta(minutes=15)  # a camera's newest traffic window older than this is old

# ------------------------------------------------------------------ definitions


@dataclass(frozen=True)
class Target:
    """What a figure is compared with: a target to meet ("target"), or a figure published
    elsewhere that it is set beside ("reference"), with where it comes from."""

    value: float
    kind: str = "target"  # target | reference
    comparison: str = ">="
    source_en: str = ""
    source_vi: str = ""

    def met(self, figure: float) -> bool:
        if self.comparison == "<=":
            return figure <= self.value
        return figure >= self.value if self.comparison == ">=" else figure > self.value


@dataclass(frozen=True)
class Definition:
    key: str
    unit: str
    label_vi: str
    label_en: str
    window: str  # window | today | 7d | 24h | now | 7 local days
    definition_en: str
    definition_vi: str
    target: Target | None = None


SLA_TARGET = Target(100, source_en="the 2-hour rule: every urgent report is answered within "
                    "2 h of receipt (Long Khánh IOC)",
                    source_vi="quy định 2 giờ: mọi phản ánh khẩn được trả lời trong 2 giờ kể từ "
                    "khi tiếp nhận (IOC Long Khánh)")
SATISFACTION_TARGET = Target(90, source_en="national target: at least 90 % citizen "
                             "satisfaction", source_vi="mục tiêu quốc gia: sự hài lòng của người "
                             "dân đạt từ 90 % trở lên")
RESOLVED_REFERENCE = Target(97.63, kind="reference", source_en="Thanh Hóa's published share of "
                            "administrative dossiers resolved on time, 97.63 % (18 Sep 2023)",
                            source_vi="tỷ lệ hồ sơ giải quyết đúng hạn Thanh Hóa công bố, "
                            "97,63 % (18/9/2023)")

_SLA_RULE_EN = ("Of the urgent reports received {when} whose 2-hour clock is decided (answered, "
                "or past due unanswered), the share whose first response the citizen can see "
                "came within 2 h of receipt. An urgent report still inside its 2 hours and "
                "unanswered is not counted yet.")
_SLA_RULE_VI = ("Trong các phản ánh khẩn tiếp nhận {when} đã rõ kết quả (đã trả lời, hoặc quá "
                "2 giờ mà chưa trả lời), tỷ lệ có phản hồi đầu tiên (người dân thấy được) trong "
                "vòng 2 giờ kể từ khi tiếp nhận. Phản ánh khẩn chưa trả lời mà còn trong hạn "
                "2 giờ thì chưa tính.")
_RESPONSE_EN = ("Time from receipt to the first response the citizen can see, over the reports "
                "of every urgency received in the window that have one; {which} (nearest rank).")
_RESPONSE_VI = ("Thời gian từ lúc tiếp nhận đến phản hồi đầu tiên người dân thấy được, trên các "
                "phản ánh (mọi mức độ) tiếp nhận trong khoảng thời gian đã có phản hồi; {which}.")
_LATEST_PM_EN = ("the instantaneous sub-index of its latest fresh PM2.5/PM10 readings (not the "
                 "decision's hourly AQI)")

ALARM_RATE_TARGET = Target(1, comparison="<=", source_en="EEMUA 191: about one alarm per 10 "
                           "minutes per operator is acceptable; more than 10 is a flood",
                           source_vi="EEMUA 191: khoảng một cảnh báo mỗi 10 phút cho mỗi điều "
                           "hành viên là chấp nhận được; trên 10 là quá tải")

DEFINITIONS: dict[str, Definition] = {d.key: d for d in (
    Definition(
        "urgent_responded_in_2h_pct", "%", "Phản ánh khẩn được trả lời trong 2 giờ",
        "Urgent reports answered within 2 h", "window",
        _SLA_RULE_EN.format(when="in the window"),
        _SLA_RULE_VI.format(when="trong khoảng thời gian"), SLA_TARGET),
    Definition(
        "urgent_responded_in_2h_pct_today", "%", "Phản ánh khẩn trả lời trong 2 giờ, hôm nay",
        "Urgent reports answered within 2 h, today", "today",
        _SLA_RULE_EN.format(when="since local midnight (Asia/Ho_Chi_Minh)"),
        _SLA_RULE_VI.format(when="từ 0 giờ hôm nay (giờ Việt Nam)"), SLA_TARGET),
    Definition(
        "urgent_responded_in_2h_pct_7d", "%", "Phản ánh khẩn trả lời trong 2 giờ, 7 ngày",
        "Urgent reports answered within 2 h, 7 days", "7d",
        _SLA_RULE_EN.format(when="in the last 7 × 24 h"),
        _SLA_RULE_VI.format(when="trong 7 ngày qua (7 × 24 giờ)"), SLA_TARGET),
    Definition(
        "response_minutes_median", "min", "Thời gian trả lời (trung vị)",
        "Time to first response (median)", "window",
        _RESPONSE_EN.format(which="the median"), _RESPONSE_VI.format(which="trung vị")),
    Definition(
        "response_minutes_p90", "min", "Thời gian trả lời (P90)",
        "Time to first response (p90)", "window",
        _RESPONSE_EN.format(which="the 90th percentile"),
        _RESPONSE_VI.format(which="phân vị 90 (90 % phản ánh được trả lời nhanh hơn)")),
    Definition(
        "open_urgent", "reports", "Phản ánh khẩn đang chờ", "Open urgent reports", "now",
        "Urgent reports open now that have no first response yet, whenever they were "
        "received; `least_left_s` is the time left on the one due first (negative: overdue).",
        "Số phản ánh khẩn đang mở chưa có phản hồi đầu tiên (tiếp nhận bất kỳ lúc nào); "
        "`least_left_s` là thời gian còn lại của phản ánh đến hạn sớm nhất (âm: đã quá hạn)."),
    Definition(
        "urgent_least_time_left", "s", "Phản ánh khẩn gấp nhất: thời gian còn lại",
        "Most pressing urgent report: time left", "now",
        "Of the open urgent reports without a first response, the one due first: seconds "
        "left to its due time (receipt + 2 h), negative once overdue; its id is in the "
        "detail. No value when no urgent report is waiting.",
        "Trong các phản ánh khẩn đang mở chưa có phản hồi, phản ánh đến hạn sớm nhất: số giây "
        "còn lại đến hạn (tiếp nhận + 2 giờ), âm khi đã quá hạn; mã phản ánh ở phần chi tiết. "
        "Không có giá trị khi không có phản ánh khẩn nào đang chờ."),
    Definition(
        "breaches_today", "reports", "Quá hạn hôm nay", "Breaches today", "today",
        "Reports of any urgency whose first-response due time fell between local midnight "
        "(Asia/Ho_Chi_Minh) and now and that were not answered by then: answered late, or "
        "still unanswered.",
        "Số phản ánh (mọi mức độ) có hạn phản hồi đầu tiên rơi vào khoảng từ 0 giờ hôm nay đến "
        "lúc này mà không được trả lời đúng hạn: trả lời muộn hoặc vẫn chưa trả lời."),
    Definition(
        "resolved_on_time_pct", "%", "Giải quyết đúng hạn", "Resolved on time", "window",
        "Of the reports received in the window that are resolved, the share resolved by their "
        "resolution due time (urgent 24 h, others 168 h after receipt; ioc/data/policy.json). "
        "Set beside Thanh Hóa's published 97.63 % of dossiers resolved on time, a reference, "
        "not the same measure.",
        "Trong các phản ánh tiếp nhận trong khoảng thời gian đã được giải quyết, tỷ lệ giải "
        "quyết trước hạn (khẩn 24 giờ, thường 168 giờ sau khi tiếp nhận). Đặt cạnh tỷ lệ "
        "97,63 % hồ sơ đúng hạn Thanh Hóa công bố, để tham chiếu, không cùng thước đo.",
        RESOLVED_REFERENCE),
    Definition(
        "satisfaction", "/5", "Mức độ hài lòng", "Citizen satisfaction", "window",
        "Mean of the citizens' ratings (1–5) of the reports received in the window that were "
        "rated after resolution.",
        "Điểm trung bình (1–5) người dân chấm cho các phản ánh tiếp nhận trong khoảng thời gian "
        "đã được đánh giá sau khi giải quyết."),
    Definition(
        "satisfied_pct", "%", "Người dân hài lòng", "Citizens satisfied", "window",
        "Of the reports received in the window that the citizen rated, the share rated 4 or 5 "
        "out of 5.",
        "Trong các phản ánh tiếp nhận trong khoảng thời gian được người dân đánh giá, tỷ lệ "
        "được chấm 4 hoặc 5 trên 5.", SATISFACTION_TARGET),
    Definition(
        "reports_24h", "reports", "Phản ánh 24 giờ qua", "Reports, last 24 h", "24h",
        "Citizen reports received in the last 24 h, whatever their state.",
        "Số phản ánh tiếp nhận trong 24 giờ qua, ở mọi trạng thái."),
    Definition(
        "reports_by_ward", "reports", "Phản ánh theo phường/xã", "Reports by ward", "window",
        "Reports received in the window, counted by the ward they were sent from (\"?\": "
        "unknown); the value is their total.",
        "Số phản ánh tiếp nhận trong khoảng thời gian theo phường/xã nơi gửi (\"?\": chưa rõ); "
        "giá trị là tổng số."),
    Definition(
        "reports_by_category", "reports", "Phản ánh theo lĩnh vực", "Reports by category",
        "window",
        "Reports received in the window, counted by category (the operator's or the "
        "classifier's, else the citizen's hint; \"?\": none yet); the value is their total.",
        "Số phản ánh tiếp nhận trong khoảng thời gian theo lĩnh vực (do điều hành viên hoặc "
        "bộ phân loại gán, nếu chưa có thì theo gợi ý của người dân; \"?\": chưa có)."),
    Definition(
        "trend_7d", "reports", "Xu hướng 7 ngày", "7-day trends", "7 local days",
        "Per local day (Asia/Ho_Chi_Minh), today and the 6 before, over the reports received "
        "that day: the 2-hour figure (as urgent_responded_in_2h_pct), the reports received and "
        "the share of ratings of 4 or 5. Today's day is partial. The value is the reports "
        "received over the 7 days.",
        "Theo từng ngày (giờ Việt Nam), hôm nay và 6 ngày trước, trên các phản ánh tiếp nhận "
        "trong ngày: tỷ lệ trả lời khẩn trong 2 giờ, số phản ánh tiếp nhận và tỷ lệ đánh giá "
        "4–5 sao. Ngày hôm nay chưa trọn. Giá trị là tổng số phản ánh trong 7 ngày."),
    Definition(
        "aqi_max", "VN_AQI", "Chỉ số AQI cao nhất", "Highest AQI", "now",
        "The highest VN_AQI (Decision 1459/QĐ-TCMT breakpoints) over the city's stations, from "
        f"{_LATEST_PM_EN}.",
        "VN_AQI cao nhất (ngưỡng theo Quyết định 1459/QĐ-TCMT) trong các trạm, tính tức thời "
        "từ số đo PM2.5/PM10 mới nhất (không phải AQI giờ của quyết định)."),
    Definition(
        "aqi_by_ward", "VN_AQI", "AQI theo phường/xã", "AQI by ward", "now",
        "Per ward, the hourly VN_AQI of its worst station (Decision 1459/QĐ-TCMT: the worst of "
        "the PM2.5 and PM10 sub-indices of the NowCast of the last 12 hourly means), with its "
        "band. A station without a NowCast yet (fewer than 2 of the last 3 hours) shows "
        f"{_LATEST_PM_EN}, marked basis \"latest\". Wards without a station have no value. The "
        "value is the highest ward's.",
        "Theo từng phường/xã, AQI giờ của trạm xấu nhất (QĐ 1459/QĐ-TCMT: chỉ số phụ lớn hơn "
        "của PM2.5 và PM10 tính từ NowCast 12 giờ gần nhất), kèm mức. Trạm chưa đủ dữ liệu "
        "NowCast (dưới 2 trong 3 giờ gần nhất) thì tạm tính từ số đo mới nhất, ghi \"latest\". "
        "Phường/xã không có trạm thì không có giá trị. Giá trị là của phường/xã cao nhất."),
    Definition(
        "water_level_max_m", "m", "Mực nước cao nhất", "Highest water level", "now",
        "The highest latest fresh reading of the water-level gauges, in metres, against the "
        "policy's alert levels I/II/III.",
        "Số đo mới nhất cao nhất của các trạm đo mực nước (m), so với báo động I/II/III."),
    Definition(
        "water_levels", "gauges", "Mực nước theo trạm", "Water level by gauge", "now",
        "Each water-level gauge's latest reading against its alert levels I, II and III (the "
        "gauge's own from its registration, else the policy's); a gauge silent for 3 reporting "
        "intervals is offline. The value is how many gauges are at or above alert level I.",
        "Số đo mới nhất của từng trạm đo mực nước so với báo động I, II, III (theo đăng ký của "
        "trạm, nếu không có thì theo chính sách); trạm im lặng quá 3 chu kỳ là mất tín hiệu. "
        "Giá trị là số trạm từ báo động I trở lên."),
    Definition(
        "congestion_by_ward", "index", "Ùn tắc theo phường/xã", "Congestion by ward", "now",
        "Per ward, the mean congestion index (0 free – 1 jammed) of the newest traffic-metric "
        "window of each of its cameras, if that window ended within the last 15 min; from "
        "0.4 busy, from 0.7 congested (project thresholds). No value while no camera produces "
        "traffic metrics.",
        "Theo từng phường/xã, trung bình chỉ số ùn tắc (0 thông thoáng – 1 tắc nghẽn) của cửa "
        "sổ đo mới nhất của mỗi camera, nếu kết thúc trong 15 phút qua; từ 0,4 là đông, từ "
        "0,7 là ùn tắc (ngưỡng của dự án). Không có giá trị khi chưa camera nào tạo số liệu "
        "giao thông."),
    Definition(
        "sensors_online_pct", "%", "Cảm biến trực tuyến", "Sensors online", "now",
        "Share of the city's sensors whose latest reading is no older than 3 reporting "
        "intervals, at least a minute, plus the stream's lateness (30 s, or 5 s of wall time "
        "at a sped-up scenario's speed): offline here when its offline alarm is raised.",
        "Tỷ lệ cảm biến có số đo mới nhất không cũ hơn 3 chu kỳ gửi (ít nhất 1 phút), cộng "
        "độ trễ của luồng dữ liệu (30 giây, hoặc 5 giây thực khi kịch bản chạy nhanh)."),
    Definition(
        "alarms_standing", "alarms", "Cảnh báo đang chờ", "Standing alarms", "now",
        "Sensor, camera and system alarms not back to normal yet (ISA-18.2: unacknowledged, "
        "acknowledged, returned to normal but unacknowledged, shelved, suppressed, out of "
        "service); `detail` counts the unacknowledged.",
        "Cảnh báo thiết bị chưa trở về bình thường (chưa xác nhận, đã xác nhận, đã hết nhưng "
        "chưa xác nhận, tạm ẩn, bị chặn, ngừng theo dõi); `detail` đếm số chưa xác nhận."),
    Definition(
        "alarm_rate_per_10min_per_operator", "alarms / 10 min / operator",
        "Tần suất cảnh báo mỗi điều hành viên", "Alarm rate per operator", "window",
        "New alarms raised in the window per 10 minutes, per operator on shift "
        "(policy.json: alarms.operators_on_shift); `detail` gives the busiest 10 minutes and "
        "whether the last 10 minutes are a flood (more than 10 per operator).",
        "Số cảnh báo mới trong khoảng thời gian tính trên mỗi 10 phút cho mỗi điều hành viên "
        "trong ca; `detail` cho 10 phút cao nhất và 10 phút gần nhất có quá tải không.",
        ALARM_RATE_TARGET),
    Definition(
        "cameras_online_pct", "%", "Camera trực tuyến", "Cameras online", "now",
        "Share of the city's cameras whose latest frame is no older than the policy's limit "
        "(60 s, or 3 frames at a sped-up scenario's frame spacing, and never under 5 s of "
        "wall time).",
        "Tỷ lệ camera có khung hình mới nhất không cũ hơn giới hạn (60 giây, hoặc 3 khung "
        "hình khi kịch bản chạy nhanh, và không dưới 5 giây thực)."),
)}


@dataclass(frozen=True)
class Kpi:
    key: str
    value: float | int | None
    unit: str
    label_vi: str
    label_en: str
    status: str = "ok"  # ok | warning | alarm | unknown
    detail: dict = field(default_factory=dict)
    definition_en: str = ""
    definition_vi: str = ""
    window: str = ""  # the window it covers: "24h", "today", "7d", "PT6H", "now", …
    target: Target | None = None


def make(key: str, value: float | int | None, *, status: str = "ok", detail: dict | None = None,
         window: str | None = None) -> Kpi:
    """A KPI from its one definition; `window` names the caller's window for "window" KPIs."""
    d = DEFINITIONS[key]
    shown = window if d.window == "window" and window else d.window
    return Kpi(key, value, d.unit, d.label_vi, d.label_en, status, detail or {},
               d.definition_en, d.definition_vi, shown, d.target)


# ------------------------------------------------------------------ windows


class BadWindow(ValueError):
    """A window the API cannot read; the message names the forms it can."""


@dataclass(frozen=True)
class Window:
    label: str  # as asked: "today", "24h", "7d", "30d", "PT6H" …
    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


NAMED_WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
MAX_WINDOW = timedelta(days=366)
_ISO_DURATION = re.compile(
    r"P(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?"
    r"(?:T(?:(?P<H>\d+(?:\.\d+)?)H)?(?:(?P<M>\d+(?:\.\d+)?)M)?(?:(?P<S>\d+(?:\.\d+)?)S)?)?")
_UNIT_S = {"W": 7 * 86400, "D": 86400, "H": 3600, "M": 60, "S": 1}
WINDOW_FORMS = ("today, 24h, 7d, 30d, or an ISO-8601 duration of weeks, days, hours, minutes "
                "and seconds such as PT6H, P2D or P1DT12H (at most 366 days)")


def local_day_start(now: datetime, tz: str = DISPLAY_TZ) -> datetime:
    """Local midnight (in `tz`) of the day `now` falls in, as UTC."""
    local = now.astimezone(ZoneInfo(tz))
    return datetime.combine(local.date(), time(), ZoneInfo(tz)).astimezone(UTC)


def window_of(text: str, now: datetime, tz: str = DISPLAY_TZ) -> Window:
    """`today` (since local midnight), `24h`, `7d`, `30d` (rolling, ending now) or an ISO-8601
    duration (rolling); BadWindow for anything else. Years and months are refused: their
    length depends on the calendar."""
    raw = text.strip()
    if raw.lower() == "today":
        return Window("today", local_day_start(now, tz), now)
    if raw.lower() in NAMED_WINDOWS:
        return Window(raw.lower(), now - NAMED_WINDOWS[raw.lower()], now)
    match = _ISO_DURATION.fullmatch(raw.upper())
    if match is None or raw.upper() in ("P", "PT") or raw.upper().endswith("T"):
        raise BadWindow(f"window {text!r} is not a window; use {WINDOW_FORMS}")
    seconds = sum(float(v) * _UNIT_S[unit] for unit, v in match.groupdict().items() if v)
    length = timedelta(seconds=seconds)
    if length <= timedelta(0) or length > MAX_WINDOW:
        raise BadWindow(f"window {text!r} is {seconds / 86400:g} days long; it must be longer "
                        f"than 0 and at most 366 days")
    return Window(raw.upper(), now - length, now)


def window_hours(hours: float, now: datetime) -> Window:
    """The `window_h` form: the last `hours` hours."""
    return Window(f"{hours:g}h", now - timedelta(hours=hours), now)


# ------------------------------------------------------------------ inputs


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


class ReportFacts(NamedTuple):
    """What the report KPIs need of one report (from report_state). A named tuple: a month of
    history is tens of thousands of them per KPI request."""

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
    report_id: str | None = None


@dataclass(frozen=True)
class ReportGroup:
    """The counts of one ward and category's reports over the rollup's days, as `report_daily`
    keeps them (ioc/db/rollups.py). Those days are over a week old: every urgent report in them
    is past its 2-hour deadline, so decided."""

    ward: str | None
    category: str | None
    received: int
    decided: int  # urgent reports
    on_time: int  # of which first answered by their due time
    resolved: int
    resolved_on_time: int


@dataclass(frozen=True)
class RolledUp:
    """Reports received in [start, end) are counted here instead of listed, for the reports of
    `area` (ward, category; None: all)."""

    start: datetime
    end: datetime
    groups: tuple[ReportGroup, ...] = ()
    response_minutes: tuple[float, ...] = ()  # receipt to first response, of those answered
    ratings: tuple[int, ...] = ()
    area: tuple[str | None, str | None] = (None, None)


@dataclass(frozen=True)
class SensorInfo:
    """A registered sensor: where it stands and, for a water gauge, its own alert levels."""

    sensor_id: str
    kind: str
    station: str
    ward: str | None = None
    stream: str | None = None
    thresholds: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TrafficWindow:
    """A camera's newest traffic-metric window (`ts` is its end)."""

    camera_id: str
    ts: datetime
    congestion_index: float


@dataclass(frozen=True)
class KpiInputs:
    """What the KPIs are computed from; gathered by ioc.db.queries.kpi_inputs."""

    sensor_ids: list[str]  # every sensor the city has
    latest: list[Reading]  # newest reading per sensor that has reported
    camera_ids: list[str]
    camera_last_seen: dict[str, datetime]
    # received in the window and in the last 8 days (today's breaches, the 7-day figures and
    # trends), plus every report still open
    reports: list[ReportFacts]
    registry: list[SensorInfo] = field(default_factory=list)
    # PM sensor -> {hour start (UTC): mean of its readings that hour}, the hours before now
    pm_hourly: dict[str, dict[datetime, float]] = field(default_factory=dict)
    traffic: list[TrafficWindow] = field(default_factory=list)  # newest window per camera
    camera_wards: dict[str, str] = field(default_factory=dict)
    alarms_raised: list[datetime] = field(default_factory=list)  # in the window and 10 min
    alarms_standing: int = 0
    alarms_unacknowledged: int = 0
    # The part of a long window the daily report rollup covers (its reports are not in
    # `reports`, but for the open ones, which the window KPIs then skip).
    rolled_up: RolledUp | None = None


def data_as_of(inputs: KpiInputs) -> datetime | None:
    """The newest timestamp in the inputs: the last reading, frame, traffic window or report
    event. The wall says "updated N s ago" from it and turns stale when it stops moving."""
    stamps = [r.ts for r in inputs.latest]
    stamps += inputs.camera_last_seen.values()
    stamps += [w.ts for w in inputs.traffic]
    # per column, not per report: tens of thousands of reports on every request
    for column in ("received_at", "first_response_at", "resolved_at"):
        stamps.append(max(filter(None, map(attrgetter(column), inputs.reports)), default=None))
    return max((ts for ts in stamps if ts is not None), default=None)


# ------------------------------------------------------------------ report KPIs


def percentile(values: list[float], q: float, ordered: bool = False) -> float | None:
    """Nearest-rank percentile (q in 0..100) of `values` (sorted already if `ordered`); None
    for no values."""
    if not values:
        return None
    values = values if ordered else sorted(values)
    return values[max(1, math.ceil(q / 100 * len(values))) - 1]


def _pct(part: list, whole: list) -> float | None:
    return round(100 * len(part) / len(whole), 1) if whole else None


RECEIVED = attrgetter("received_at")


def received_by(reports: list[ReportFacts], now: datetime
                ) -> tuple[list[ReportFacts], Callable[[datetime], int]]:
    """(those of `reports`, in order of receipt, received by `now`; the index in them of the
    first received at or after a given time)."""
    stamps = list(map(RECEIVED, reports))
    seen = reports[:bisect_right(stamps, now)]
    return seen, lambda at: bisect_left(stamps, at, 0, len(seen))


def answered_in_2h(reports: list[ReportFacts],
                   now: datetime) -> tuple[list[ReportFacts], list[ReportFacts]]:
    """(decided, on time) among the urgent ones of `reports`: decided once answered or past
    due; on time when the first response came by the due time."""
    urgent = [r for r in reports if r.urgency == "urgent"]
    decided = [r for r in urgent if r.first_response_at is not None or r.due_at < now]
    on_time = [r for r in decided if r.first_response_at is not None
               and r.first_response_at <= r.due_at]
    return decided, on_time


def sla_status(pct: float | None) -> str:
    return ("unknown" if pct is None else "ok" if pct >= 95
            else "warning" if pct >= 80 else "alarm")


def _target_status(value: float | None, target: Target) -> str:
    return "unknown" if value is None else "ok" if target.met(value) else "warning"


def _sla_kpi(key: str, reports: list[ReportFacts], now: datetime, window: str | None = None,
             by_area: bool = False, groups: tuple[ReportGroup, ...] = ()) -> Kpi:
    decided_list, on_time_list = answered_in_2h(reports, now)
    decided = Counter((r.ward, r.category) for r in decided_list)
    on_time = Counter((r.ward, r.category) for r in on_time_list)
    for g in groups:
        if g.decided:
            decided[(g.ward, g.category)] += g.decided
            on_time[(g.ward, g.category)] += g.on_time
    n_decided, n_on_time = decided.total(), on_time.total()
    value = round(100 * n_on_time / n_decided, 1) if n_decided else None
    detail = {"decided": n_decided, "on_time": n_on_time}
    if by_area:
        detail.update(by_ward=_on_time_by(decided, on_time, 0),
                      by_category=_on_time_by(decided, on_time, 1))
    return make(key, value, status=sla_status(value), detail=detail, window=window)


def satisfied_share(reports: list[ReportFacts]) -> tuple[float | None, int]:
    """(share of ratings ≥ 4 in %, number of ratings) of the rated ones of `reports`."""
    ratings = [r.rating for r in reports if r.rating is not None]
    return _pct([x for x in ratings if x >= SATISFIED_RATING], ratings), len(ratings)


def report_kpis(reports: list[ReportFacts], now: datetime, window_start: datetime,
                day_start: datetime, *, window: str | None = None,
                tz: str = DISPLAY_TZ, warn_share_left: float = 0.25,
                rolled_up: RolledUp | None = None) -> list[Kpi]:
    """The citizen-report KPIs. A report counts towards "responded within 2 h" once it is
    decided: answered, or past its due time unanswered. The window KPIs add the rollup's
    groups, if given, for the days it covers."""
    # In order of receipt, each window is a slice (tens of thousands of reports per request;
    # kpi_inputs reads them in this order, so the sort costs one pass)
    reports = sorted(reports, key=RECEIVED)
    seen, since = received_by(reports, now)
    # The rollup's days are counted from it, not from these reports
    lo, hi = (since(rolled_up.start), since(rolled_up.end)) if rolled_up else (len(seen),) * 2
    first_in = since(window_start)
    in_window = seen[first_in:max(first_in, lo)] + seen[max(first_in, hi):]
    groups = rolled_up.groups if rolled_up else ()
    minutes = [(r.first_response_at - r.received_at).total_seconds() / 60
               for r in in_window if r.first_response_at is not None]
    minutes += rolled_up.response_minutes if rolled_up else ()
    minutes.sort()
    open_urgent = sorted((r for r in reports if r.is_open and r.urgency == "urgent"
                          and r.first_response_at is None), key=lambda r: r.due_at)
    first = open_urgent[0] if open_urgent else None
    least_left = None if first is None else round((first.due_at - now).total_seconds())
    breaches_today = [r for r in reports if day_start <= r.due_at <= now and (
        r.first_response_at is None or r.first_response_at > r.due_at)]
    resolved = [r for r in in_window if r.resolved_at is not None]
    n_resolved = len(resolved) + sum(g.resolved for g in groups)
    n_resolved_on_time = (len([r for r in resolved if r.resolved_at <= r.resolve_due_at])
                          + sum(g.resolved_on_time for g in groups))
    ratings = [r.rating for r in in_window if r.rating is not None]
    ratings += rolled_up.ratings if rolled_up else ()
    rated = len(ratings)
    satisfied = _pct([x for x in ratings if x >= SATISFIED_RATING], ratings)
    warn_s = warn_share_left * 2 * 3600  # an urgent report's target is 2 h
    resolved_pct = round(100 * n_resolved_on_time / n_resolved, 1) if n_resolved else None
    by_ward = Counter(r.ward or "?" for r in in_window)
    by_category = Counter(r.category or "?" for r in in_window)
    for g in groups:
        by_ward[g.ward or "?"] += g.received
        by_category[g.category or "?"] += g.received
    received = len(in_window) + sum(g.received for g in groups)

    kpis = [
        _sla_kpi("urgent_responded_in_2h_pct", in_window, now, window, by_area=True,
                 groups=groups),
        _sla_kpi("urgent_responded_in_2h_pct_today", seen[since(day_start):], now),
        _sla_kpi("urgent_responded_in_2h_pct_7d", seen[since(now - WEEK):], now),
        make("response_minutes_median", _round(percentile(minutes, 50, ordered=True)),
             detail={"responded": len(minutes)}, window=window),
        make("response_minutes_p90", _round(percentile(minutes, 90, ordered=True)),
             detail={"responded": len(minutes)}, window=window),
        make("open_urgent", len(open_urgent),
             status="alarm" if least_left is not None and least_left < 0
             else "warning" if open_urgent else "ok",
             detail={"least_left_s": least_left,
                     "report_id": first.report_id if first else None}),
        make("urgent_least_time_left", least_left,
             status="unknown" if least_left is None else "alarm" if least_left < 0
             else "warning" if least_left <= warn_s else "ok",
             detail={} if first is None else {
                 "report_id": first.report_id, "due_at": first.due_at.isoformat(),
                 "waiting": len(open_urgent)}),
        make("breaches_today", len(breaches_today), status="alarm" if breaches_today else "ok"),
        make("resolved_on_time_pct", resolved_pct,
             status=_target_status(resolved_pct, RESOLVED_REFERENCE),
             detail={"resolved": n_resolved, "on_time": n_resolved_on_time},
             window=window),
        make("satisfaction", _round(sum(ratings) / len(ratings), 2) if ratings else None,
             detail={"ratings": len(ratings), "satisfied_pct": satisfied}, window=window),
        make("satisfied_pct", satisfied, status=_target_status(satisfied, SATISFACTION_TARGET),
             detail={"ratings": rated}, window=window),
        make("reports_24h", len(seen) - since(now - timedelta(hours=24))),
        make("reports_by_ward", received, detail=dict(by_ward), window=window),
        make("reports_by_category", received, detail=dict(by_category), window=window),
        trend_kpi(seen, now, tz),
    ]
    # No value means no data yet: never show it as "ok".
    return [replace(k, status="unknown") if k.value is None else k for k in kpis]


def trend_kpi(reports: list[ReportFacts], now: datetime, tz: str = DISPLAY_TZ) -> Kpi:
    """Per local day, oldest first: the 2-hour figure, reports received and the satisfied
    share, over the reports received that day."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    dates = [today - timedelta(days=back) for back in range(TREND_DAYS - 1, -1, -1)]
    # Each local day's first instant in UTC, so a report finds its day by comparison (one
    # pass, no time-zone conversion per report).
    starts = [datetime.combine(d, time(0), zone).astimezone(UTC) for d in dates]
    seen, since = received_by(sorted(reports, key=RECEIVED), now)
    bounds = [since(start) for start in starts] + [len(seen)]
    by_day = [seen[a:b] for a, b in pairwise(bounds)]
    days = []
    for day, mine in zip(dates, by_day, strict=True):
        decided, on_time = answered_in_2h(mine, now)
        satisfied, rated = satisfied_share(mine)
        days.append({"date": day.isoformat(), "received": len(mine),
                     "urgent_responded_in_2h_pct": _pct(on_time, decided),
                     "decided": len(decided), "on_time": len(on_time),
                     "satisfied_pct": satisfied, "ratings": rated})
    return make("trend_7d", sum(d["received"] for d in days), detail={"days": days})


def _on_time_by(decided: Counter, on_time: Counter, part: int) -> dict:
    """{group: {decided, on_time, pct}}: the 2-hour figure per ward (part 0 of the counters'
    (ward, category) keys) or category (part 1); "?": unknown."""
    counts: Counter = Counter()
    hits: Counter = Counter()
    for key, n in decided.items():
        counts[key[part] or "?"] += n
    for key, n in on_time.items():
        hits[key[part] or "?"] += n
    return {g: {"decided": n, "on_time": hits[g], "pct": round(100 * hits[g] / n, 1)}
            for g, n in sorted(counts.items())}


def only_area(inputs: KpiInputs, ward: str | None = None,
              category: str | None = None) -> KpiInputs:
    """The inputs with only the reports of one ward and/or category (sensors and cameras stay:
    they are the city's, not a ward's)."""
    def mine(r: ReportFacts | ReportGroup) -> bool:
        return (ward is None or r.ward == ward) and (category is None or r.category == category)

    rolled = inputs.rolled_up
    if rolled is not None and rolled.area != (ward, category):
        raise ValueError(f"the rollup was read for {rolled.area}, not for {(ward, category)}: "
                         "give kpi_inputs the area")
    if ward is None and category is None:
        return inputs
    return replace(inputs, reports=[r for r in inputs.reports if mine(r)])


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


# ------------------------------------------------------------------ the city's KPIs


def _fresh_pm(inputs: KpiInputs, now: datetime, stale: timedelta) -> dict[str, float]:
    return {r.sensor_id: r.value for r in inputs.latest
            if r.kind in ("pm25", "pm10") and is_online(r.ts, now, stale)}


def aqi_by_ward(inputs: KpiInputs, now: datetime, sensor_stale: timedelta) -> Kpi:
    """Each ward's hourly VN_AQI: its worst station's, from the NowCast where a station has
    one, else (marked "latest") from its newest readings."""
    pm = [s for s in inputs.registry if s.kind in ("pm25", "pm10")]
    stations: dict[str, dict[str, str]] = defaultdict(dict)  # station -> kind -> sensor
    ward_of: dict[str, str | None] = {}
    for s in pm:
        stations[s.station][s.kind] = s.sensor_id
        ward_of[s.station] = s.ward
    fresh = _fresh_pm(inputs, now, sensor_stale)
    wards: dict[str, dict] = {}
    for station, sensors in sorted(stations.items()):
        means = {k: inputs.pm_hourly.get(sensors[k], {}) if k in sensors else {}
                 for k in ("pm25", "pm10")}
        value, basis = hourly_aqi(means["pm25"], means["pm10"], now), "nowcast"
        if value is None:
            value, basis = vn_aqi(fresh.get(sensors.get("pm25", "")),
                                  fresh.get(sensors.get("pm10", ""))), "latest"
        ward = ward_of[station]
        if value is None or ward is None or (ward in wards and wards[ward]["aqi"] >= value):
            continue
        b = band(value)
        wards[ward] = {"aqi": value, "band": b.code, "band_vi": b.vi, "band_en": b.en,
                       "colour": b.hex, "basis": basis, "station": station}
    worst = max((w["aqi"] for w in wards.values()), default=None)
    return make("aqi_by_ward", worst, status=aqi_status(worst),
                detail={"wards": dict(sorted(wards.items()))})


def _levels(water: WaterLevel, thresholds: dict) -> WaterLevel:
    """The gauge's own alert levels over the policy's; the policy's if they do not validate."""
    if not thresholds:
        return water
    try:
        return WaterLevel(**{**water.model_dump(), **thresholds})
    except ValueError:  # a registration's bad levels: the alarms use the policy's too
        return water


def alert_level(level_m: float, levels: WaterLevel) -> int:
    """Vietnam's báo động: 0 below level I, else the highest of I, II, III reached."""
    return sum(level_m >= x for x in (levels.warn_m, levels.alarm_m, levels.critical_m))


def water_gauges(inputs: KpiInputs, now: datetime, sensor_stale: timedelta,
                 water: WaterLevel) -> Kpi:
    latest = {r.sensor_id: r for r in inputs.latest}
    gauges = [s for s in inputs.registry if s.kind == "water_level"] or [
        SensorInfo(r.sensor_id, r.kind, r.sensor_id) for r in inputs.latest
        if r.kind == "water_level"]
    rows, worst = [], "unknown"
    rank = {"unknown": 0, "ok": 1, "warning": 2, "alarm": 3}
    for g in sorted(gauges, key=lambda g: g.sensor_id):
        levels = _levels(water, g.thresholds)
        reading = latest.get(g.sensor_id)
        online = reading is not None and is_online(reading.ts, now, sensor_stale)
        status = water_status(reading.value, levels) if online else "offline"
        if online and rank[status] > rank[worst]:
            worst = status
        rows.append({"sensor_id": g.sensor_id, "ward": g.ward, "stream": g.stream,
                     "level_m": None if reading is None else round(reading.value, 3),
                     "ts": None if reading is None else reading.ts.isoformat(),
                     "online": online, "status": status,
                     "alert_level": alert_level(reading.value, levels) if online else None,
                     "warn_m": levels.warn_m, "alarm_m": levels.alarm_m,
                     "critical_m": levels.critical_m})
    above = sum(1 for r in rows if r["online"] and r["alert_level"])
    online_rows = [r for r in rows if r["online"]]
    return make("water_levels", above if online_rows else None, status=worst,
                detail={"gauges": rows})


def congestion_level(index: float) -> str:
    return "congested" if index >= CONGESTED else "busy" if index >= BUSY else "free"


def congestion_by_ward(inputs: KpiInputs, now: datetime,
                       fresh_for: timedelta = TRAFFIC_FRESH) -> Kpi:
    by_ward: dict[str, list[float]] = defaultdict(list)
    reporting = 0
    for w in inputs.traffic:
        ward = inputs.camera_wards.get(w.camera_id)
        if ward is None or not timedelta(0) <= now - w.ts <= fresh_for:
            continue
        by_ward[ward].append(w.congestion_index)
        reporting += 1
    wards = {ward: {"index": round(sum(xs) / len(xs), 2), "cameras": len(xs),
                    "level": congestion_level(sum(xs) / len(xs))}
             for ward, xs in sorted(by_ward.items())}
    worst = max((w["index"] for w in wards.values()), default=None)
    return make("congestion_by_ward", worst,
                status="unknown" if worst is None else "warning" if worst >= CONGESTED else "ok",
                detail={"wards": wards, "cameras_reporting": reporting})


def alarm_rate(raised: list[datetime], now: datetime, window_start: datetime, operators: int,
               flood_limit: float = 10) -> Kpi:
    """The operators' alarm load: new alarms per 10 minutes per operator over the window."""
    inside = sorted(t for t in raised if window_start < t <= now)
    tens = max(1e-9, (now - window_start).total_seconds() / 600)
    ops = max(1, operators)
    busiest, j = 0, 0
    for i, t in enumerate(inside):  # the most alarms in any 10 minutes
        while inside[j] <= t - timedelta(minutes=10):
            j += 1
        busiest = max(busiest, i - j + 1)
    last = sum(1 for t in raised if now - timedelta(minutes=10) < t <= now) / ops
    rate = len(inside) / tens / ops
    status = "alarm" if last > flood_limit else "warning" if rate > 1 else "ok"
    return make("alarm_rate_per_10min_per_operator", round(rate, 3), status=status, detail={
        "alarms": len(inside), "operators": ops, "busiest_10min_per_operator": busiest / ops,
        "last_10min_per_operator": last, "flooding": last > flood_limit})


def compute(inputs: KpiInputs, now: datetime, *, window_start: datetime, day_start: datetime,
            sensor_stale: timedelta, camera_stale: timedelta, water: WaterLevel,
            window: str | None = None, tz: str = DISPLAY_TZ,
            warn_share_left: float = 0.25, operators: int = 2) -> list[Kpi]:
    """Every KPI at `now`; `window` names the window of the "window" KPIs (default: its
    length in hours, e.g. "24h")."""
    window = window or f"{(now - window_start).total_seconds() / 3600:g}h"
    fresh = [r for r in inputs.latest if is_online(r.ts, now, sensor_stale)]
    last_seen = {r.sensor_id: r.ts for r in inputs.latest}
    sensors_online = online_share([last_seen.get(s) for s in inputs.sensor_ids], now, sensor_stale)
    cameras_online = online_share([inputs.camera_last_seen.get(c) for c in inputs.camera_ids],
                                  now, camera_stale)

    def worst(kind: str) -> float | None:
        values = [r.value for r in fresh if r.kind == kind]
        return max(values) if values else None

    aqi = vn_aqi(worst("pm25"), worst("pm10"))
    aqi_words = aqi_band(aqi) if aqi is not None else ("unknown", "Không có dữ liệu", "No data")
    level = worst("water_level")

    return [
        *report_kpis(inputs.reports, now, window_start, day_start, window=window, tz=tz,
                     warn_share_left=warn_share_left, rolled_up=inputs.rolled_up),
        make("aqi_max", aqi, status=aqi_status(aqi),
             detail={"band": aqi_words[0], "band_vi": aqi_words[1], "band_en": aqi_words[2]}),
        aqi_by_ward(inputs, now, sensor_stale),
        make("water_level_max_m", level, status=water_status(level, water),
             detail={"warn_m": water.warn_m, "alarm_m": water.alarm_m,
                     "critical_m": water.critical_m}),
        water_gauges(inputs, now, sensor_stale, water),
        congestion_by_ward(inputs, now),
        make("sensors_online_pct", round(100 * sensors_online, 1),
             status="ok" if sensors_online >= 0.9 else "warning"),
        make("cameras_online_pct", round(100 * cameras_online, 1),
             status="ok" if cameras_online >= 0.9 else "warning"),
        make("alarms_standing", inputs.alarms_standing,
             status="warning" if inputs.alarms_unacknowledged else "ok",
             detail={"unacknowledged": inputs.alarms_unacknowledged}),
        alarm_rate(inputs.alarms_raised, now, window_start, operators),
    ]
