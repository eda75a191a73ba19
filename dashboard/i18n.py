"""Every visible UI string, in Vietnamese (the default) and English."""

from __future__ import annotations

from ioc.taxonomy import load_taxonomy

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"

STRINGS: dict[str, dict[str, str]] = {
    # Shell
    "app.title": {"vi": "Trung tâm Điều hành Thông minh", "en": "Intelligent Operations Center"},
    "app.city": {"vi": "Long Khánh · Đồng Nai", "en": "Long Khánh · Đồng Nai"},
    "nav.control": {"vi": "Điều hành", "en": "Control"},
    "nav.cameras": {"vi": "Camera", "en": "Cameras"},
    "nav.wall": {"vi": "Màn hình KPI", "en": "Wall"},
    "nav.replay": {"vi": "Phát lại", "en": "Replay"},
    "lang.label": {"vi": "Ngôn ngữ", "en": "Language"},
    "clock.zone": {"vi": "giờ Việt Nam", "en": "Vietnam time"},
    "health.ok": {"vi": "Hệ thống bình thường", "en": "System healthy"},
    "health.lagging": {"vi": "Hệ thống chậm", "en": "System lagging"},
    "health.down": {"vi": "Hệ thống có sự cố", "en": "System problem"},
    "health.unreachable": {"vi": "Mất kết nối API", "en": "API unreachable"},
    "health.checking": {"vi": "Đang kiểm tra…", "en": "Checking…"},
    # Status words (always shown beside the colour)
    "status.ok": {"vi": "Bình thường", "en": "Normal"},
    "status.warning": {"vi": "Cảnh báo", "en": "Warning"},
    "status.alarm": {"vi": "Báo động", "en": "Alarm"},
    "status.unknown": {"vi": "Không có dữ liệu", "en": "No data"},
    "status.offline": {"vi": "Mất tín hiệu", "en": "Offline"},
    # Common
    "data.none": {"vi": "Chưa có dữ liệu", "en": "No data yet"},
    "data.unavailable": {"vi": "Không lấy được dữ liệu từ API",
                         "en": "Could not get data from the API"},
    "data.updated": {"vi": "Dữ liệu mới nhất", "en": "Newest data"},
    "data.waiting": {"vi": "Đang chờ dữ liệu…", "en": "Waiting for data…"},
    # Control page
    "control.map": {"vi": "Bản đồ thành phố", "en": "City map"},
    "control.reports": {"vi": "Phản ánh hiện trường mới nhất", "en": "Newest field reports"},
    "control.reports.none": {"vi": "Chưa có phản ánh nào", "en": "No reports yet"},
    "map.sensors": {"vi": "Cảm biến", "en": "Sensors"},
    "map.reports.urgent": {"vi": "Phản ánh khẩn", "en": "Urgent reports"},
    "map.reports.normal": {"vi": "Phản ánh thường", "en": "Normal reports"},
    "map.reports.untriaged": {"vi": "Phản ánh chưa phân loại", "en": "Untriaged reports"},
    "map.cameras": {"vi": "Camera", "en": "Cameras"},
    "map.ward": {"vi": "Phường/xã", "en": "Ward"},
    "report.urgent": {"vi": "Khẩn", "en": "Urgent"},
    "report.normal": {"vi": "Thường", "en": "Normal"},
    "report.untriaged": {"vi": "Chưa phân loại", "en": "Not triaged"},
    "report.confidence": {"vi": "độ tin cậy", "en": "confidence"},
    "report.ward.unknown": {"vi": "Chưa rõ phường/xã", "en": "Ward unknown"},
    # Sensor kinds
    "kind.pm25": {"vi": "Bụi PM2.5", "en": "PM2.5"},
    "kind.pm10": {"vi": "Bụi PM10", "en": "PM10"},
    "kind.water_level": {"vi": "Mực nước", "en": "Water level"},
    "kind.rainfall": {"vi": "Lượng mưa", "en": "Rainfall"},
    "kind.temperature": {"vi": "Nhiệt độ", "en": "Temperature"},
    "kind.humidity": {"vi": "Độ ẩm", "en": "Humidity"},
    "kind.noise": {"vi": "Tiếng ồn", "en": "Noise"},
    # Report categories and departments come from ioc/data/taxonomy.json (category_label).
    "category.?": {"vi": "Chưa phân loại", "en": "Not triaged"},
    # KPI tiles (the API's own labels are preferred; these are the fallbacks and extras)
    "ward.kind.ward": {"vi": "Phường {name}", "en": "{name} Ward"},
    "ward.kind.commune": {"vi": "Xã {name}", "en": "{name} Commune"},
    "map.streams": {"vi": "Suối", "en": "Streams"},
    "kpi.unit.reports": {"vi": "phản ánh", "en": "reports"},
    "kpi.water.thresholds": {"vi": "Cảnh báo {warn} m · Báo động {alarm} m",
                             "en": "Warning {warn} m · Alarm {alarm} m"},
    "kpi.aqi.band": {"vi": "Mức: {band}", "en": "Band: {band}"},
    "kpi.window": {"vi": "Trong {hours} giờ qua", "en": "Over the last {hours} h"},
    # Wall
    "wall.by_ward": {"vi": "Phản ánh theo phường/xã (24 giờ)", "en": "Reports by ward (24 h)"},
    "wall.by_category": {"vi": "Phản ánh theo lĩnh vực (24 giờ)",
                         "en": "Reports by category (24 h)"},
    "wall.others": {"vi": "Khác (gộp)", "en": "Others (combined)"},
    "wall.as_of": {"vi": "Số liệu lúc", "en": "Figures as of"},
    # Cameras
    "cameras.title": {"vi": "Camera giao thông", "en": "Traffic cameras"},
    "cameras.map": {"vi": "Vị trí camera", "en": "Camera locations"},
    "cameras.none": {"vi": "Chưa có camera nào gửi hình", "en": "No camera has sent a frame yet"},
    "cameras.no_frame": {"vi": "Chưa có hình", "en": "No frame yet"},
    "cameras.online": {"vi": "Trực tuyến", "en": "Online"},
    "cameras.frame": {"vi": "Khung hình", "en": "Frame"},
    # Replay
    "replay.title": {"vi": "Phát lại", "en": "Replay"},
    "replay.placeholder": {
        "vi": "Phát lại sẽ có cùng tính năng ghi và phát lại luồng sự kiện; đến lúc đó trang "
              "này không hiển thị dữ liệu nào.",
        "en": "Replay arrives with the record-and-replay feature; until then this page shows no "
              "data.",
    },
}


def t(key: str, lang: str | None, **values: object) -> str:
    """The string for `key` in `lang` (Vietnamese when unknown), with `{name}` values filled in."""
    entry = STRINGS[key]
    text = entry.get(lang or DEFAULT_LANG) or entry[DEFAULT_LANG]
    return text.format(**values) if values else text


def category_label(category: str | None, lang: str | None) -> str:
    """A report category (an Open311 service code) by its name in the project's taxonomy;
    an unknown code is shown readably rather than hidden."""
    if not category or category == "?":
        return t("category.?", lang)
    try:
        found = load_taxonomy().category(category)
    except KeyError:
        return str(category).replace("_", " ").capitalize()
    return found.en if lang == "en" else found.vi


def department_label(department: str | None, lang: str | None) -> str:
    if not department:
        return ""
    try:
        found = load_taxonomy().department(department)
    except KeyError:
        return str(department).replace("_", " ").capitalize()
    return found.en if lang == "en" else found.vi
