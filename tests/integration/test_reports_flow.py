"""A citizen report through the real broker and database: intake, the projection into the
operator queue, lifecycle actions with refusals, the audit trail, and bad input."""

from __future__ import annotations

import base64
import threading
import uuid
from datetime import datetime

import pytest
from waiting import wait_until

from ioc.db.session import connect

pytestmark = pytest.mark.integration

CENTRE = {"lat": 10.9375, "lon": 107.2420}


def token(api, user: str, password: str) -> dict:
    r = api.post("/api/auth/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def stored(api, report_id: str) -> dict | None:
    r = api.get(f"/api/reports/{report_id}")
    return r.json() if r.status_code == 200 else None


def test_report_lifecycle_through_the_queue(api):
    text = "Nước ngập tới đầu gối ở đường CMT8, có người già mắc kẹt <script>alert(1)</script>"
    r = api.post("/api/reports", json={"text": text, **CENTRE, "client_key": "app-1"})
    assert r.status_code == 201, r.text
    report_id = r.json()["report_id"]
    again = api.post("/api/reports", json={"text": text, **CENTRE, "client_key": "app-1"})
    assert again.json()["report_id"] == report_id, "one idempotency key, one report"

    report = wait_until(lambda: (x := stored(api, report_id)) and x["status"] == "triaged" and x,
                        30, "the report is triaged and reaches the queue")
    assert report["text"] == text, "stored as text, exactly as sent"
    assert report["urgency"] == "urgent" and report["category"] == "flooding"
    assert report["cues"] and all(c.lower() in text.lower() for c in report["cues"])
    assert report["sla_state"] == "ok"
    assert datetime.fromisoformat(report["due_at"]) == datetime.fromisoformat(
        r.json()["expected_response_by"]), "urgent: due 2 h after receipt"
    assert report["ward"], "the ward is found from the location"
    queue = api.get("/api/reports/queue").json()
    assert [x["report_id"] for x in queue["reports"]] == [report_id]
    assert queue["counts"] == {"all": 1, "breached": 0, "warning": 0, "ok": 1, "responded": 0}

    op = token(api, "op1", "op1-password")
    refused = api.post(f"/api/reports/{report_id}/actions", headers=op,
                       json={"action": "resolve"})
    assert refused.status_code == 409 and "respond to the citizen first" in refused.json()["detail"]
    assert refused.json()["status"] in ("received", "triaged"), "the state that refused it"
    assert api.post(f"/api/reports/{report_id}/actions", json={"action": "acknowledge"}
                    ).status_code == 401
    leader = token(api, "boss", "boss-password")
    assert api.post(f"/api/reports/{report_id}/actions", headers=leader,
                    json={"action": "acknowledge"}).status_code == 403

    for action in ({"action": "acknowledge"},
                   {"action": "respond", "note": "Đội cứu hộ đang tới / rescue team on the way"}):
        assert api.post(f"/api/reports/{report_id}/actions", headers=op, json=action
                        ).status_code == 200
    report = wait_until(lambda: (x := stored(api, report_id))["status"] == "responded" and x,
                        30, "the response is folded into the report")
    assert report["sla_state"] == "met" and report["first_response_at"]
    status = api.get(f"/api/reports/{report_id}/status").json()
    assert status["response"].startswith("Đội cứu hộ")

    history = report["history"]
    assert [(h["action"], h["outcome"]) for h in history] == [
        ("receive", "applied"), ("triage", "applied"), ("resolve", "refused"),
        ("acknowledge", "applied"), ("respond", "applied")], "a refused attempt is on record"
    assert "respond to the citizen first" in history[2]["refusal"]
    assert history[3]["actor"] == "op1"
    csv_text = api.get(f"/api/reports/{report_id}/history.csv").text
    assert "respond,op1" in csv_text and "<script>" not in csv_text.split("\n")[0]
    assert csv_text.splitlines()[0].endswith("outcome,refusal")
    assert any(",resolve,op1," in line and ",refused," in line
               for line in csv_text.splitlines()), "refused attempts are exported as such"


def test_racing_actions_get_the_verdict_of_the_order_they_were_applied_in(api):
    """Two operators at once: each hears what really happened, and the trail says so."""
    report_id = api.post("/api/reports", json={"text": "Cây đổ chắn ngang đường", **CENTRE}
                         ).json()["report_id"]
    wait_until(lambda: stored(api, report_id), 30, "the report is queued")
    op = token(api, "op1", "op1-password")
    respond = {"action": "respond", "note": "Đội cây xanh đang tới"}
    reject = {"action": "reject", "reason": "spam"}
    answers = []
    threads = [threading.Thread(target=lambda b=b: answers.append(
        (b["action"], api.post(f"/api/reports/{report_id}/actions", headers=op, json=b))))
        for b in (respond, reject, reject)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted((action, r.status_code) for action, r in answers)
    applied = [action for action, r in answers if r.status_code == 200]
    assert len(applied) == 1, codes  # whichever came first wins; the others are told why
    assert all(r.status_code == 409 and r.json()["detail"] for _, r in answers
               if r.status_code != 200), codes
    report = stored(api, report_id)
    assert report["status"] == ("responded" if applied == ["respond"] else "rejected")
    assert all(r.json()["status"] == report["status"] for _, r in answers
               if r.status_code == 409), "a refusal names the state the winner left"
    trail = [(h["action"], h["outcome"]) for h in report["history"][1:]
             if h["action"] != "triage"]
    assert sorted(trail) == sorted([(a, "applied" if r.status_code == 200 else "refused")
                                    for a, r in answers])
    if applied == ["reject"]:
        assert report["last_response"] is None, "a refused response never reaches the citizen"


def _refusal(api, body: dict) -> str:
    r = api.post("/api/reports", json=body)
    assert r.status_code == 422, r.text
    return r.json()["detail"]


def test_bad_intake_is_refused_with_a_reason_and_nothing_is_stored(api, settings):
    assert "text" in _refusal(api, {"text": "   ", **CENTRE})
    assert "at most 4000" in _refusal(api, {"text": "x" * 4001, **CENTRE})
    assert "outside" in _refusal(api, {"text": "ngập", "lat": 21.03, "lon": 105.85})
    assert "location is missing" in _refusal(api, {"text": "ngập"})
    assert "lat" in _refusal(api, {"text": "ngập", "lat": True, "lon": 107.2420}), \
        "true is not a latitude (it used to read as 1.0)"
    assert "not a category" in _refusal(api, {"text": "ngập", **CENTRE,
                                              "category_hint": "ufo"})
    not_image = base64.b64encode(b"GIF89a not a photo").decode()
    assert "not a JPEG or PNG" in _refusal(api, {"text": "ngập", **CENTRE,
                                                 "photo_base64": not_image})
    assert "base64" in _refusal(api, {"text": "ngập", **CENTRE, "photo_base64": "%%%"})
    with connect(settings) as conn:
        assert conn.execute("SELECT count(*) FROM citizen_reports").fetchone()[0] == 0


def test_unknown_report_is_a_404_that_says_so(api):
    r = api.get(f"/api/reports/R-{uuid.uuid4().hex[:12]}")
    assert r.status_code == 404 and "no report" in r.json()["detail"]


def test_a_photo_is_kept_and_served(api):
    import cv2
    import numpy as np

    ok, png = cv2.imencode(".png", np.full((40, 60, 3), 200, np.uint8))
    body = {"text": "Cây đổ chắn ngang đường", **CENTRE,
            "photo_base64": base64.b64encode(png.tobytes()).decode()}
    r = api.post("/api/reports", json=body)
    assert r.status_code == 201, r.text
    report_id = r.json()["report_id"]
    report = wait_until(lambda: stored(api, report_id), 30, "the report is stored")
    photo = api.get(report["photo_url"])
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    assert photo.content == png.tobytes()


def test_operator_overrides_become_labelled_data_for_retraining(api, settings, tmp_path):
    from analytics.triage.evaluate import read_labelled
    from ioc.db.reports import export_overrides
    from ioc.db.session import engine

    r = api.post("/api/reports", json={"text": "Có mùi khét và khói đen bốc ra từ trạm biến áp",
                                       **CENTRE})
    report_id = r.json()["report_id"]
    wait_until(lambda: (x := stored(api, report_id)) and x["status"] == "triaged", 30,
               "the report is triaged")
    op = token(api, "op1", "op1-password")
    r = api.post(f"/api/reports/{report_id}/actions", headers=op,
                 json={"action": "override", "category": "fire", "urgency": "urgent"})
    assert r.status_code == 200, r.text
    report = wait_until(lambda: (x := stored(api, report_id))["overridden"] and x, 30,
                        "the override is applied")
    assert (report["category"], report["urgency"]) == ("fire", "urgent")
    with engine(settings).connect() as conn:
        assert export_overrides(conn, tmp_path / "o.jsonl") == 1
    (row,) = read_labelled(tmp_path / "o.jsonl")
    assert (row.id, row.category, row.urgency) == (report_id, "fire", "urgent")


def test_the_queue_finds_a_report_by_id_words_or_words_typed_without_marks(api):
    ids = []
    for text in ("Đèn đường hỏng trước chợ Xuân An", "Rác chất đống ở hẻm 12, 100% đầy"):
        ids.append(api.post("/api/reports", json={"text": text, **CENTRE}).json()["report_id"])
    wait_until(lambda: all(stored(api, i) for i in ids), 30, "both reports are queued")

    def found(q: str) -> list[str]:
        return [r["report_id"] for r in api.get("/api/reports/queue", params={"q": q})
                .json()["reports"]]

    assert found(ids[1]) == [ids[1]]
    assert found(ids[1][:-3].lower()) == [ids[1]], "the start of an id, in any case"
    assert found("chợ xuân") == [ids[0]]
    assert found("den duong hong") == [ids[0]], "typed without diacritics"
    assert found("ĐÈN ĐƯỜNG") == [ids[0]]
    assert found("  cho   hong  ") == [ids[0]], "each word anywhere, spaces as typed"
    assert found("dương") == [], "typed with marks, the marks count: 'dương' is not 'đường'"
    assert found("100%") == [ids[1]], "% is a character to find, not a wildcard"
    assert found("nothing like this") == []


def test_the_queue_lists_arrivals_after_an_instant_newest_first(api):
    first = api.post("/api/reports", json={"text": "Cây đổ chắn đường Hùng Vương", **CENTRE})
    wait_until(lambda: stored(api, first.json()["report_id"]), 30, "the first report is queued")
    after = first.json()["received_at"]
    later = [api.post("/api/reports", json={"text": f"Cháy nhà ở hẻm {n} Nguyễn Trãi", **CENTRE})
             .json()["report_id"] for n in (3, 5)]
    wait_until(lambda: all(stored(api, i) for i in later), 30, "the later reports are queued")
    op = token(api, "op1", "op1-password")
    r = api.post(f"/api/reports/{later[0]}/actions", headers=op, json={"action": "acknowledge"})
    assert r.status_code == 200, r.text
    wait_until(lambda: stored(api, later[0])["status"] == "acknowledged", 30, "acknowledged")

    def listed(**params) -> list[str]:
        r = api.get("/api/reports/queue", params={"received_after": after, **params})
        assert r.status_code == 200, r.text
        return [x["report_id"] for x in r.json()["reports"]]

    assert listed(order="newest") == later[::-1]
    assert listed(status=["received", "triaged", "reopened"]) == [later[1]]
    assert listed(status=["acknowledged", "triaged"], order="newest") == later[::-1]
    for bad, word in ({"received_after": "yesterday"}, "received_after"), \
            ({"received_after": "2026-01-01T00:00:00"}, "received_after"), \
            ({"order": "random"}, "order"), ({"status": "lost"}, "status"):
        r = api.get("/api/reports/queue", params=bad)
        assert r.status_code == 422 and word in r.text, r.text


def test_triage_stored_before_its_report_is_still_folded(settings):
    """Topics are not ordered with each other: a triage event may be stored first."""
    from datetime import timedelta

    from ioc import events as ev
    from ioc import topics as tp
    from ioc.db import report_state
    from ioc.persistence import TABLES
    from ioc.worker import Message

    now = settings.clock().now()
    report = ev.CitizenReport(ts=now, report_id="R-early-triage", text="Cây đổ chắn đường",
                              **CENTRE)
    triage = ev.ReportTriaged(ts=now + timedelta(seconds=1), report_id=report.report_id,
                              urgency="urgent", category="fallen_tree",
                              department="public_works", confidence=0.97, cues=["cây đổ"],
                              model_version="test")

    def insert(topic, event) -> None:
        (table,) = TABLES[topic.name]
        from ioc.db import writes
        writes.insert_new(conn, table.name, table.columns,
                          [table.row(Message(topic, event, b"", 0, 0, 0))])

    with connect(settings, autocommit=True) as conn:
        with conn.transaction():  # the triage batch: its report is not there yet
            insert(tp.REPORTS_TRIAGED, triage)
            report_state.fold(conn, [], [triage])
        with conn.transaction():  # the report's batch, later
            insert(tp.CITIZEN_REPORTS, report)
            report_state.fold(conn, [report], [])
        state = report_state.load(conn, report.report_id)
    assert (state.status, state.urgency, state.category) == ("triaged", "urgent", "fallen_tree")


def test_a_reopened_report_needs_another_response_on_a_new_clock(api):
    """Its first response was in time, but the citizen says it is not fixed: it needs another
    response, due one SLA window after the reopening, and it waits with the unanswered."""
    op = token(api, "op1", "op1-password")
    ids = [api.post("/api/reports", json={"text": text, **CENTRE}).json()["report_id"]
           for text in ("Cống nghẹt, nước tràn ra đường Hùng Vương", "Ổ gà lớn trên đường 21/4",
                        "Đèn tín hiệu ngã tư Hoàng Diệu không hoạt động")]
    wait_until(lambda: all(stored(api, i) for i in ids), 30, "the reports are queued")
    waiting, reopened, answered = ids
    for report_id, actions in ((reopened, ("respond", "resolve", "reopen")),
                               (answered, ("respond",))):
        for action in actions:
            r = api.post(f"/api/reports/{report_id}/actions", headers=op,
                         json={"action": action, "note": "Đã cử người xử lý"})
            assert r.status_code == 200, r.text
    again = wait_until(lambda: (x := stored(api, reopened))["status"] == "reopened" and x, 30,
                       "reopened")
    window = datetime.fromisoformat(again["due_at"]) - datetime.fromisoformat(
        again["received_at"])
    assert datetime.fromisoformat(again["respond_again_by"]) == \
        datetime.fromisoformat(again["reopened_at"]) + window
    assert again["sla_state"] == "met", "the first response's clock and KPI stay as they ran"
    assert again["clock"]["kind"] == "response_again" and again["clock"]["state"] == "ok"
    assert datetime.fromisoformat(again["clock"]["due_at"]) == datetime.fromisoformat(
        again["respond_again_by"]), "the row's clock is the response awaited now"
    open311 = api.get(f"/open311/v2/requests/{reopened}.json").json()[0]
    assert datetime.fromisoformat(open311["expected_datetime"]) == datetime.fromisoformat(
        again["respond_again_by"]).replace(microsecond=0), \
        "Open311 reads the same instant (to the second): the response due next"
    r = api.post(f"/api/reports/{reopened}/actions", headers=op, json={"action": "acknowledge"})
    assert r.status_code == 200, r.text
    acked = stored(api, reopened)
    assert acked["respond_again_by"] == again["respond_again_by"], "acknowledging is no response"

    rows = api.get("/api/reports/queue", params={"limit": 1000}).json()["reports"]
    order = [r["report_id"] for r in rows]
    assert order.index(waiting) < order.index(answered)
    assert order.index(reopened) < order.index(answered)

    def due(r: dict) -> tuple:
        answered = r["first_response_at"] is not None and not r["respond_again_by"]
        return answered, datetime.fromisoformat(r["respond_again_by"] or r["due_at"])
    assert [due(r) for r in rows] == sorted(due(r) for r in rows), "by when a response is due"
    counts = api.get("/api/reports/queue").json()["counts"]
    assert counts["all"] == sum(counts[k] for k in ("breached", "warning", "ok", "responded"))
    ok = [r["report_id"] for r in api.get("/api/reports/queue",
                                          params={"sla_state": "ok", "limit": 1000}
                                          ).json()["reports"]]
    assert reopened in ok and answered not in ok, "a chip holds what awaits a response"
