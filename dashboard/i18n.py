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
    "control.kpis": {"vi": "Chỉ số hôm nay", "en": "Today's figures"},
    "map.sensors": {"vi": "Cảm biến", "en": "Sensors"},
    "map.reports.urgent": {"vi": "Phản ánh khẩn", "en": "Urgent reports"},
    "map.reports.normal": {"vi": "Phản ánh thường", "en": "Normal reports"},
    "map.reports.untriaged": {"vi": "Phản ánh chưa phân loại", "en": "Untriaged reports"},
    "map.cameras": {"vi": "Camera", "en": "Cameras"},
    "map.ward": {"vi": "Phường/xã", "en": "Ward"},
    "report.urgent": {"vi": "Khẩn", "en": "Urgent"},
    "report.normal": {"vi": "Thường", "en": "Normal"},
    "report.untriaged": {"vi": "Chưa phân loại", "en": "Not triaged"},
    "report.ward.unknown": {"vi": "Chưa rõ phường/xã", "en": "Ward unknown"},
    # Sign-in (header)
    "dd.search": {"vi": "Tìm", "en": "Search"},
    "dd.clear_search": {"vi": "Xóa ô tìm", "en": "Clear search"},
    "dd.clear_selection": {"vi": "Bỏ chọn", "en": "Clear selection"},
    "dd.no_options_found": {"vi": "Không có mục nào khớp", "en": "Nothing matches"},
    "auth.signin": {"vi": "Đăng nhập", "en": "Sign in"},
    "auth.signout": {"vi": "Đăng xuất", "en": "Sign out"},
    "auth.title": {"vi": "Đăng nhập để xử lý phản ánh", "en": "Sign in to act on reports"},
    "auth.username": {"vi": "Tên đăng nhập", "en": "Username"},
    "auth.password": {"vi": "Mật khẩu", "en": "Password"},
    "auth.cancel": {"vi": "Hủy", "en": "Cancel"},
    "auth.missing": {"vi": "Nhập tên đăng nhập và mật khẩu", "en": "Enter a username and password"},
    "auth.wrong": {"vi": "Sai tên đăng nhập hoặc mật khẩu.",
                   "en": "Wrong username or password."},
    "auth.refused": {"vi": "Không đăng nhập được", "en": "Sign-in refused"},
    "auth.signed_in_as": {"vi": "Đã đăng nhập: {user}", "en": "Signed in: {user}"},
    "auth.read_only": {"vi": "Chưa đăng nhập — chỉ xem. Đăng nhập (góc trên bên phải) để "
                             "xử lý phản ánh.",
                       "en": "Not signed in — read only. Sign in (top right) to act on "
                             "reports."},
    "auth.expired": {"vi": "Phiên đăng nhập đã hết hạn; hãy đăng nhập lại.",
                     "en": "Your session has expired; sign in again."},
    "role.operator": {"vi": "điều hành viên", "en": "operator"},
    "role.admin": {"vi": "quản trị", "en": "admin"},
    "role.leader": {"vi": "lãnh đạo", "en": "leader"},
    "role.engineer": {"vi": "kỹ sư", "en": "engineer"},
    # The operator's queue
    "queue.title": {"vi": "Hàng đợi phản ánh", "en": "Report queue"},
    "queue.none": {"vi": "Không có phản ánh nào đang mở khớp bộ lọc",
                   "en": "No open report matches the filters"},
    "queue.total": {"vi": "{first}–{last} / {total} đang mở",
                    "en": "{first}–{last} of {total} open"},
    "queue.prev": {"vi": "‹ Trước", "en": "‹ Previous"},
    "queue.next": {"vi": "Sau ›", "en": "Next ›"},
    "queue.all": {"vi": "Tất cả", "en": "All"},
    "queue.col.sla": {"vi": "Thời hạn phản hồi", "en": "Response due"},
    "queue.col.kind": {"vi": "Mức độ · Lĩnh vực", "en": "Urgency · Category"},
    "queue.col.where": {"vi": "Địa bàn · Nhận lúc", "en": "Ward · Received"},
    "queue.col.text": {"vi": "Nội dung", "en": "Report"},
    "queue.col.status": {"vi": "Trạng thái", "en": "Status"},
    "queue.responded": {"vi": "Đã phản hồi", "en": "Responded"},
    "filter.ward": {"vi": "Phường/xã", "en": "Ward"},
    "filter.search": {"vi": "Tìm mã hoặc nội dung…", "en": "Search id or text…"},
    "filter.category": {"vi": "Lĩnh vực", "en": "Category"},
    "filter.department": {"vi": "Đơn vị xử lý", "en": "Department"},
    "filter.urgency": {"vi": "Mức độ", "en": "Urgency"},
    "filter.sla": {"vi": "Lọc theo thời hạn", "en": "Filter by SLA state"},
    "review.flag": {"vi": "Cần xác nhận phân loại", "en": "Check the triage"},
    "overridden.flag": {"vi": "Đã sửa phân loại", "en": "Triage overridden"},
    # SLA states (first response): always colour + icon + word
    "sla.ok": {"vi": "Trong hạn", "en": "On time"},
    "sla.warning": {"vi": "Sắp hết hạn", "en": "Due soon"},
    "sla.breached": {"vi": "Quá hạn", "en": "Overdue"},
    "sla.met": {"vi": "Phản hồi đúng hạn", "en": "Met"},
    "sla.reopened": {"vi": "Phản hồi lại", "en": "Respond again"},
    "sla.missed": {"vi": "Phản hồi trễ hạn", "en": "Missed"},
    "sla.overdue_by": {"vi": "quá hạn {t}", "en": "overdue {t}"},
    "sla.early_by": {"vi": "sớm {t}", "en": "{t} early"},
    "sla.late_by": {"vi": "trễ {t}", "en": "{t} late"},
    "sla.left": {"vi": "còn {t}", "en": "{t} left"},
    "sla.due": {"vi": "Hạn phản hồi", "en": "Response due"},
    # Lifecycle statuses
    "lc.received": {"vi": "Mới nhận", "en": "Received"},
    "lc.triaged": {"vi": "Đã phân loại", "en": "Triaged"},
    "lc.acknowledged": {"vi": "Đã tiếp nhận", "en": "Acknowledged"},
    "lc.responded": {"vi": "Đã phản hồi", "en": "Responded"},
    "lc.resolved": {"vi": "Đã xử lý xong", "en": "Resolved"},
    "lc.closed": {"vi": "Đã đóng", "en": "Closed"},
    "lc.reopened": {"vi": "Mở lại", "en": "Reopened"},
    "lc.rejected": {"vi": "Từ chối", "en": "Rejected"},
    # Audit trail actions
    "act.receive": {"vi": "Tiếp nhận vào hệ thống", "en": "Received"},
    "act.triage": {"vi": "Phân loại tự động", "en": "Auto-triage"},
    "act.acknowledge": {"vi": "Tiếp nhận", "en": "Acknowledge"},
    "act.respond": {"vi": "Phản hồi người dân", "en": "Respond to citizen"},
    "act.assign": {"vi": "Giao xử lý", "en": "Assign"},
    "act.resolve": {"vi": "Hoàn thành xử lý", "en": "Resolve"},
    "act.close": {"vi": "Đóng", "en": "Close"},
    "act.reopen": {"vi": "Mở lại", "en": "Reopen"},
    "act.reject": {"vi": "Từ chối", "en": "Reject"},
    "act.override": {"vi": "Sửa phân loại", "en": "Override triage"},
    "act.rate": {"vi": "Người dân đánh giá", "en": "Citizen rating"},
    "reason.duplicate": {"vi": "Trùng lặp", "en": "Duplicate"},
    "reason.spam": {"vi": "Tin rác", "en": "Spam"},
    "reason.out_of_scope": {"vi": "Ngoài phạm vi", "en": "Out of scope"},
    # Detail panel
    "detail.title": {"vi": "Chi tiết phản ánh", "en": "Report detail"},
    "detail.pick": {"vi": "Chọn một phản ánh trong hàng đợi để xem chi tiết và xử lý.",
                    "en": "Pick a report in the queue to see it and act on it."},
    "detail.loading": {"vi": "Đang tải phản ánh…", "en": "Loading the report…"},
    "detail.gone": {"vi": "Không tìm thấy phản ánh {id} (có thể đang được xử lý, thử lại sau).",
                    "en": "Report {id} was not found (it may still be processing; retrying)."},
    "detail.received": {"vi": "Nhận lúc", "en": "Received"},
    "detail.address": {"vi": "Địa chỉ", "en": "Address"},
    "detail.ward": {"vi": "Phường/xã", "en": "Ward"},
    "detail.category": {"vi": "Lĩnh vực", "en": "Category"},
    "detail.department": {"vi": "Đơn vị xử lý", "en": "Department"},
    "detail.assignee": {"vi": "Người xử lý", "en": "Assignee"},
    "detail.source": {"vi": "Nguồn", "en": "Source"},
    "detail.confidence": {"vi": "Độ tin cậy phân loại", "en": "Triage confidence"},
    "detail.cues": {"vi": "Từ khóa phân loại", "en": "Triage cues"},
    "detail.no_cues": {"vi": "Chưa có từ khóa (chưa phân loại)", "en": "No cues (not triaged yet)"},
    "detail.text": {"vi": "Nội dung người dân gửi", "en": "What the citizen wrote"},
    "detail.photo": {"vi": "Ảnh đính kèm", "en": "Photo"},
    "detail.location": {"vi": "Vị trí", "en": "Location"},
    "detail.last_response": {"vi": "Phản hồi người dân đang thấy",
                             "en": "The response the citizen sees"},
    "detail.history": {"vi": "Lịch sử xử lý", "en": "History (audit trail)"},
    "detail.export": {"vi": "Xuất CSV", "en": "Export CSV"},
    "detail.actions": {"vi": "Xử lý", "en": "Actions"},
    "detail.more": {"vi": "Giao xử lý · Sửa phân loại · Từ chối",
                    "en": "Assign · Override triage · Reject"},
    "detail.when": {"vi": "Thời gian", "en": "Time"},
    "detail.action": {"vi": "Thao tác", "en": "Action"},
    "detail.actor": {"vi": "Người thực hiện", "en": "By"},
    "detail.note": {"vi": "Ghi chú", "en": "Note"},
    "detail.close": {"vi": "Đóng chi tiết", "en": "Close detail"},
    "form.response": {"vi": "Nội dung phản hồi (người dân sẽ thấy)",
                      "en": "Response (the citizen will see it)"},
    "form.response.placeholder": {"vi": "VD: Đã chuyển lực lượng chữa cháy đến hiện trường…",
                                  "en": "e.g. Fire crews are on their way…"},
    "form.send": {"vi": "Gửi phản hồi", "en": "Send response"},
    "form.assignee": {"vi": "Cán bộ (tùy chọn)", "en": "Person (optional)"},
    "form.reason": {"vi": "Lý do", "en": "Reason"},
    "form.done": {"vi": "✔ {action}: đã thực hiện — trạng thái mới: {status}",
                  "en": "✔ {action}: done — new status: {status}"},
    "history.refused_in": {"vi": "✖ Bị từ chối, không thực hiện: phản ánh lúc đó đang “{status}”",
                           "en": "✖ Refused, not applied: the report was “{status}” then"},
    "history.pending": {"vi": "… Đang xử lý", "en": "… Being processed"},
    "form.pending": {"vi": "… {action}: đã gửi, hệ thống đang xử lý — xem lịch sử để xác nhận",
                     "en": "… {action}: sent, still being processed — the history will confirm"},
    "form.refused_state": {"vi": "✖ Không thể {action}: phản ánh đang ở trạng thái “{status}” "
                                 "(có thể vừa có người khác xử lý — xem lịch sử bên dưới).",
                           "en": "✖ Cannot {action}: the report is now “{status}” (someone may "
                                 "have just acted on it — see the history below)."},
    "form.forbidden": {"vi": "✖ Tài khoản này chỉ được xem, không được {action}.",
                       "en": "✖ This account may only read; it cannot {action}."},
    "form.refused": {"vi": "Hệ thống từ chối ({code}): {detail}",
                     "en": "Refused by the system ({code}): {detail}"},
    "form.need_signin": {"vi": "Cần đăng nhập để {action}. Bấm “Đăng nhập” ở góc trên bên phải.",
                         "en": "Sign in to {action}. Use “Sign in” at the top right."},
    "form.need_response": {"vi": "Hãy nhập nội dung phản hồi cho người dân.",
                           "en": "Type the response the citizen will see."},
    "form.need_reason": {"vi": "Chọn lý do từ chối.", "en": "Pick a reason to reject."},
    "form.need_assign": {"vi": "Chọn đơn vị hoặc nhập cán bộ xử lý.",
                         "en": "Pick a department or type a person."},
    "form.need_override": {"vi": "Chọn mức độ, lĩnh vực hoặc đơn vị mới.",
                           "en": "Pick a new urgency, category or department."},
    # New-report alert
    "alert.new": {"vi": "{n} phản ánh mới có thể khẩn cấp — chưa tiếp nhận",
                  "en": "{n} new possibly urgent reports — not acknowledged"},
    "alert.one": {"vi": "Phản ánh mới có thể khẩn cấp — chưa tiếp nhận",
                  "en": "New possibly urgent report — not acknowledged"},
    "alert.new_short": {"vi": "{n} phản ánh mới", "en": "{n} new reports"},
    "alert.one_short": {"vi": "1 phản ánh mới", "en": "1 new report"},
    "alert.more": {"vi": "… và {n} phản ánh khác", "en": "… and {n} more"},
    "alert.more_short": {"vi": "+{n} khác", "en": "+{n} more"},
    "alert.fold": {"vi": "Thu gọn", "en": "Show fewer"},
    "alert.role.newest": {"vi": "Mới nhất", "en": "Newest"},
    "alert.role.pressing": {"vi": "Gấp nhất", "en": "Most pressing"},
    "alert.role.pressing_short": {"vi": "Gấp nhất", "en": "Due first"},
    "alert.dismiss": {"vi": "Đã thấy, ẩn cảnh báo", "en": "Seen, hide the alert"},
    "alert.dismiss_short": {"vi": "Đã thấy, ẩn", "en": "Seen, hide"},
    "alert.open": {"vi": "Mở", "en": "Open"},
    "sound.on": {"vi": "Âm thanh: bật", "en": "Sound: on"},
    "sound.off": {"vi": "Bật âm thanh", "en": "Enable sound"},
    "sound.blocked": {"vi": "Bấm để bật âm thanh", "en": "Click to enable sound"},
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
    "wall.sla.answered_2h": {"vi": "Phản ánh khẩn trả lời trong 2 giờ",
                             "en": "Urgent reports answered within 2 h"},
    "wall.sla.on_time": {"vi": "{on_time}/{decided} phản ánh khẩn đúng hạn",
                         "en": "{on_time} of {decided} urgent reports on time"},
    "wall.sla.open_urgent": {"vi": "Khẩn đang chờ", "en": "Urgent waiting"},
    "wall.minutes": {"vi": "{m} phút", "en": "{m} min"},
    "wall.hours_minutes": {"vi": "{h} giờ {m} phút", "en": "{h} h {m} min"},
    "wall.sla.left": {"vi": "Gấp nhất còn {time}", "en": "Most pressing: {time} left"},
    "wall.sla.overdue": {"vi": "Gấp nhất quá hạn {time}", "en": "Most pressing: overdue {time}"},
    "wall.sla.breaches_today": {"vi": "Quá hạn hôm nay", "en": "Overdue today"},
    "wall.sla.response_time": {"vi": "Thời gian trả lời trung vị / P90",
                               "en": "Response time, median / P90"},
    "wall.sla.responded": {"vi": "{n} phản ánh đã trả lời", "en": "{n} reports answered"},
    "wall.sla.satisfaction": {"vi": "Hài lòng", "en": "Satisfaction"},
    "wall.sla.satisfied": {"vi": "{pct}% hài lòng · {n} đánh giá",
                           "en": "{pct}% satisfied · {n} ratings"},
    "wall.unit.min": {"vi": "phút", "en": "min"},
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
