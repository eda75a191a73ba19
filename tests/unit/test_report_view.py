"""The detail view: its audit trail says what each change changed from, and the citizen's
text, the cues and the response stay text."""

from __future__ import annotations

from api_answers import report_json
from pydantic import TypeAdapter
from test_dashboard_rows import HOSTILE, assert_only_text, texts

from dashboard.queue import spec
from dashboard.report_view import head, history_table, last_response, text_block
from ioc.api.models import HistoryEntry, ReportDetail

TZ = "Asia/Ho_Chi_Minh"
ENTRIES = TypeAdapter(list[HistoryEntry])


def notes(history: list[dict], lang: str) -> list[str]:
    """The note cell of each row, newest first, as the operator reads it."""
    table = spec(history_table(ENTRIES.validate_python(history), lang, TZ))
    body = table[3]
    return ["".join(row[5][2:]) if len(row[5]) > 2 else "" for row in body[2:]]


TRAIL = [
    {"ts": "2026-11-24T01:00:00+00:00", "action": "receive", "actor": "app", "outcome": "applied"},
    {"ts": "2026-11-24T01:00:01+00:00", "action": "triage", "actor": "triage:m1",
     "outcome": "applied", "details": {"urgency": "normal", "category": "lighting",
                                       "department": "urban", "confidence": 0.55}},
    {"ts": "2026-11-24T01:05:00+00:00", "action": "override", "actor": "op1",
     "outcome": "applied", "details": {"urgency": "urgent"}},
    {"ts": "2026-11-24T01:05:30+00:00", "action": "reject", "actor": "op1",
     "outcome": "applied", "details": {"reason": "duplicate"}},
    {"ts": "2026-11-24T01:06:00+00:00", "action": "override", "actor": "op2",
     "outcome": "refused", "refusal": "it is rejected, which is final",
     "details": {"urgency": "normal"}},
]


def test_an_override_shows_from_and_to():
    newest_first = notes(TRAIL, "en")
    assert newest_first[2] == "Urgency: Normal → Urgent"
    assert newest_first[3].startswith("Normal · ")  # what triage decided, as it was


def test_a_refusal_is_said_in_the_operators_words_with_the_apis_reason_on_hover():
    assert notes(TRAIL, "vi")[0] == ("✖ Bị từ chối, không thực hiện: phản ánh lúc đó đang "
                                     "“Từ chối”")
    table = spec(history_table(ENTRIES.validate_python(TRAIL), "en", TZ))
    assert table[3][2][5][1]["title"] == "it is rejected, which is final"


def test_a_refused_change_does_not_become_the_from_of_the_next():
    trail = [*TRAIL, {"ts": "2026-11-24T01:07:00+00:00", "action": "override", "actor": "op1",
                      "outcome": "applied", "details": {"urgency": "normal"}}]
    assert notes(trail, "vi")[0] == "Mức độ: Khẩn → Thường"


def detail(**fields) -> ReportDetail:
    return ReportDetail.model_validate({**report_json(allowed_actions=["acknowledge"],
                                                      history=TRAIL), **fields})


def test_the_citizen_text_its_cues_and_the_response_stay_text():
    r = detail(text=f"Cháy {HOSTILE} chợ", cues=["cháy", HOSTILE],
               last_response=HOSTILE, lang='"><script>')
    for part in (*text_block(r, "vi"), *last_response(r, "vi"), *head(r, "vi", TZ)):
        built = spec(part)
        if any(HOSTILE in text for text in texts(built)):
            assert_only_text(built, HOSTILE)
    marked = spec(text_block(r, "vi")[0])  # a cue is marked, and marking keeps it text
    assert marked[2:] == [["mark", {"class": "cue"}, "Cháy"], " ",
                          ["mark", {"class": "cue"}, HOSTILE], " chợ"]


def test_notes_and_actors_in_the_trail_stay_text():
    trail = [{"ts": "2026-11-24T01:00:00+00:00", "action": HOSTILE, "actor": HOSTILE,
              "note": HOSTILE, "outcome": "applied"}]
    assert_only_text(spec(history_table(ENTRIES.validate_python(trail), "vi", TZ)), HOSTILE)

