"""Intake and follow-up at their edges, through the real broker and database: invisible and
control characters, base64 photos as apps really send them, oversized photos, CSV exports that a
spreadsheet opens safely, and refusals that read right."""

from __future__ import annotations

import base64
import csv
import io

import pytest
from waiting import wait_until

from ioc import accounts
from ioc.db.session import connect

pytestmark = pytest.mark.integration

CENTRE = {"lat": 10.9375, "lon": 107.2420}
FORMULA = "=cmd|' /C calc'!A0"


def token(api, user: str) -> dict:
    r = api.post("/api/auth/login", json={"username": user, "password": f"{user}-password"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def stored(api, report_id: str) -> dict | None:
    r = api.get(f"/api/reports/{report_id}")
    return r.json() if r.status_code == 200 else None


def refusal(api, **body) -> str:
    r = api.post("/api/reports", json={"text": "Cây đổ chắn đường", **CENTRE, **body})
    assert r.status_code == 422, r.text
    return r.json()["detail"]


def jpeg() -> bytes:
    import cv2
    import numpy as np

    ok, data = cv2.imencode(".jpg", np.full((40, 60, 3), 200, np.uint8))
    assert ok
    return data.tobytes()


def test_text_with_nothing_to_read_or_with_control_characters_is_refused(api):
    for empty in ("\u200b\ufeff", "\u0301\u0323"):
        assert refusal(api, text=empty) == "text: is empty; describe what happened and where"
    for bad in ("\x85", "\x9b", "\x7f", "\u202e", "\u2066"):
        assert refusal(api, text=f"Cây đổ{bad} chắn đường") == \
            "text: contains control characters; send plain text"
    assert refusal(api, address="12\u202eCMT8").startswith("address: contains control")
    for text in ("Cây đổ chắn đường",
                 "Ca\u0302y đo\u0302\u0309 cha\u0306\u0301n đươ\u0300ng",  # typed as NFD
                 "Ngập 🌧️ cả nhà 👨‍👩‍👧 mắc kẹt\nở hẻm 12\tCMT8"):
        assert api.post("/api/reports", json={"text": text, **CENTRE}).status_code == 201


def test_base64_photos_as_apps_send_them(api):
    photo = jpeg()
    for sent in (base64.encodebytes(photo).decode(),  # Android Base64.DEFAULT: wrapped lines
                 "data:image/jpeg;base64," + base64.b64encode(photo).decode(),
                 base64.urlsafe_b64encode(photo).decode()):
        r = api.post("/api/reports", json={"text": "Ổ gà lớn", **CENTRE, "photo_base64": sent})
        assert r.status_code == 201, r.text
    assert refusal(api, photo_base64="") == \
        "photo_base64: is empty; leave the field out if there is no photo"
    assert "contains '*'" in refusal(api, photo_base64="abc*def")
    too_big = photo + bytes(6 * 2**20 - len(photo))
    said = refusal(api, photo_base64=base64.b64encode(too_big).decode())
    assert said.startswith("photo: is larger than 5 MB (it is 6.0 MB)"), said


def test_an_oversized_open311_photo_is_over_the_limit_without_a_made_up_size(api, settings):
    with connect(settings, autocommit=True) as conn:
        key = accounts.create_api_key(conn, "edges")
    form = {"api_key": key, "service_code": "flooding", "description": "Ngập sâu",
            "lat": str(CENTRE["lat"]), "long": str(CENTRE["lon"])}
    big = jpeg() + bytes(5 * 2**20 + 10)
    r = api.post("/open311/v2/requests.json", data=form,
                 files={"media": ("big.jpg", big, "image/jpeg")})
    assert r.status_code == 400, r.text
    said = r.json()[0]["description"]
    assert "is larger than 5 MB" in said and "5.0" not in said and "(it is" not in said, said


def test_csv_export_neutralises_formulas_and_refusals_read_right(api):
    r = api.post("/api/reports", json={"text": "Đèn đường hỏng", **CENTRE, "client_key": "k-1"})
    report_id = r.json()["report_id"]
    wait_until(lambda: stored(api, report_id), 30, "the report is queued")
    op = token(api, "op1")
    for body, status in (({"action": "respond", "note": "@SUM(1+1) đội điện đang tới"},
                          "responded"), ({"action": "resolve"}, "resolved"),
                         ({"action": "close"}, "closed")):
        r = api.post(f"/api/reports/{report_id}/actions", headers=op, json=body)
        assert r.status_code == 200, r.text
        wait_until(lambda s=status: stored(api, report_id)["status"] == s, 30,
                   f"the report is {status}")
    r = api.post(f"/api/reports/{report_id}/rating",
                 json={"rating": 2, "client_key": "k-1", "comment": FORMULA})
    assert r.status_code == 202, r.text
    wait_until(lambda: stored(api, report_id)["rating"] == 2, 30, "the rating is stored")

    rows = list(csv.reader(io.StringIO(api.get(f"/api/reports/{report_id}/history.csv").text)))
    cells = [cell for row in rows for cell in row]
    assert "'" + FORMULA in cells and "'@SUM(1+1) đội điện đang tới" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells

    again = api.post(f"/api/reports/{report_id}/actions", headers=op, json={"action": "close"})
    assert again.status_code == 409
    assert again.json()["detail"] == f"cannot close report {report_id}: it is already closed"
    engineer = api.post(f"/api/reports/{report_id}/actions", headers=token(api, "eng1"),
                        json={"action": "reopen"})
    assert engineer.status_code == 403 and "eng1 is an engineer" in engineer.json()["detail"]


def test_a_report_sent_without_a_client_key_says_why_it_cannot_be_rated(api):
    report_id = api.post("/api/reports", json={"text": "Rác chất đống", **CENTRE}
                         ).json()["report_id"]
    wait_until(lambda: stored(api, report_id), 30, "the report is queued")
    r = api.post(f"/api/reports/{report_id}/rating", json={"rating": 4, "client_key": "guess"})
    assert r.status_code == 403
    assert r.json()["detail"] == ("this report was sent without a client_key, so it cannot be "
                                  "rated here")
