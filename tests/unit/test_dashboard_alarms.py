"""The alarm rows of /control: state in words, severity, where and since when, the actions the
state allows, and a hostile message shown as text."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from dash import html

from dashboard.pages.control.alarms_panel import actions_for, alarm_row, flood_line, type_label
from ioc.api.models import AlarmList, AlarmOut

T0 = datetime(2026, 9, 12, 1, 0, tzinfo=UTC)
HOSTILE = '<img src=x onerror="alert(1)">'


def alarm(state: str = "unacknowledged", **fields) -> AlarmOut:
    values = {"alarm_id": uuid.uuid4(), "source_id": "wl-suoiret-1", "source_kind": "sensor",
              "alarm_type": "water_level", "state": state, "severity": "high",
              "base_severity": "medium", "escalated": True, "raised_at": T0, "active": True,
              "message": "Báo động II: 1.62 m ≥ 1.5", "ward": "xuan-binh", **fields}
    return AlarmOut.model_validate(values)


def texts(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    children = node.children if isinstance(node.children, list) else [node.children]
    return [s for c in children if c is not None for s in texts(c)]


def buttons(node) -> list[dict]:
    if isinstance(node, str) or node is None:
        return []
    children = node.children if isinstance(node.children, list) else [node.children]
    found = [node.id] if isinstance(node, html.Button) else []
    return found + [b for c in children for b in buttons(c)]


def ward_name(slug: str, _lang: str = "vi") -> str:
    return {"xuan-binh": "Xuân Bình"}.get(slug, slug)


def test_a_row_says_state_severity_place_and_time_in_vietnamese_and_english():
    vi = " ".join(texts(alarm_row(alarm(), "vi", "Asia/Ho_Chi_Minh", ward_name, True)))
    assert "Chưa xác nhận" in vi and "Cao" in vi and "Mực nước vượt báo động" in vi
    assert "Xuân Bình" in vi and "08:00" in vi  # Vietnam time
    en = " ".join(texts(alarm_row(alarm(), "en", "Asia/Ho_Chi_Minh", ward_name, True)))
    assert "Unacknowledged" in en and "High" in en and "Water above alert level" in en


def test_the_actions_follow_the_state():
    assert actions_for(alarm("unacknowledged")) == ["acknowledge", "shelve"]
    assert actions_for(alarm("acknowledged")) == ["shelve"]
    assert actions_for(alarm("shelved", shelved_until=T0)) == ["unshelve"]
    assert actions_for(alarm("suppressed")) == []
    row = alarm_row(alarm(), "vi", "UTC", ward_name, can_act=False)
    assert [b["type"] for b in buttons(row)] == ["alarm-open"]  # signed out: history only
    ids = buttons(alarm_row(alarm(), "vi", "UTC", ward_name, can_act=True))
    assert [b.get("action") for b in ids] == ["acknowledge", "shelve", None]


def test_a_hostile_message_stays_text():
    row = alarm_row(alarm(message=HOSTILE), "vi", "UTC", ward_name, True)
    assert HOSTILE in texts(row)  # a string child: Dash renders it as a text node


def test_unknown_alarm_types_are_still_readable():
    assert type_label("pump_failure", "en") == "Pump failure"


def test_a_flood_is_said_out_loud():
    body = AlarmList.model_validate({
        "now": T0, "alarms": [], "counts": {},
        "flood": {"per_10min_per_operator": 14, "limit": 10, "flooding": True, "operators": 2}})
    line = flood_line(body, "vi")
    assert "QUÁ TẢI" in line.children and line.role == "alert"


def test_the_history_says_who_did_what_and_marks_the_crew():
    from ioc.api.models import AlarmDetail

    a = alarm()
    detail = AlarmDetail.model_validate({**a.model_dump(), "history": [
        {"event_id": uuid.uuid4(), "ts": T0, "action": "raise", "actor": "system",
         "state": "unacknowledged", "outcome": "applied", "message": "Báo động II"},
        {"event_id": uuid.uuid4(), "ts": T0, "action": "acknowledge", "actor": "sim-lan",
         "state": "acknowledged", "outcome": "applied", "note": HOSTILE},
        {"event_id": uuid.uuid4(), "ts": T0, "action": "acknowledge", "actor": "lan",
         "outcome": "refused", "refusal": "already acknowledged by sim-lan"}]})
    from dashboard.pages.control.alarms_panel import history_view

    words = " ".join(s for part in history_view(detail, "vi", "UTC") for s in texts(part))
    assert "sim-lan (mô phỏng)" in words and "Phát sinh" in words
    assert "bị từ chối: already acknowledged by sim-lan" in words
    assert HOSTILE in words  # the note as text
