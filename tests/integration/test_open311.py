"""Open311 GeoReport v2 as an existing Open311 client uses it: form-encoded POSTs with an api_key,
XML (the spec's required format) and JSON, through the real broker and database."""

from __future__ import annotations

import threading
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from waiting import wait_until

from ioc import accounts
from ioc.api.main import create_app
from ioc.db.session import connect
from ioc.persistence import PERSISTED_TOPICS, PersistenceSink
from ioc.taxonomy import load_taxonomy
from ioc.worker import Worker

pytestmark = pytest.mark.integration

BASE = "/open311/v2"
CENTRE = {"lat": "10.9375", "long": "107.2420"}
XML_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>'


@pytest.fixture
def api(settings):
    with connect(settings, autocommit=True) as conn:
        accounts.add_user(conn, "op1", "operator", "op1-password")
    stop = threading.Event()
    # A consumer group of its own: on the shared test broker, joining the group a previous
    # test's worker has just left can stall in a rebalance for longer than the test waits.
    worker = Worker(settings, "persistence", PERSISTED_TOPICS, PersistenceSink(settings),
                    group=f"{settings.topic_prefix}persistence")
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    with TestClient(create_app(settings)) as client:
        yield client
    stop.set()
    thread.join(30)


@pytest.fixture
def api_key(settings) -> str:
    with connect(settings, autocommit=True) as conn:
        return accounts.create_api_key(conn, "test-app")


def xml(r) -> ET.Element:
    assert r.headers["content-type"] == "text/xml; charset=utf-8", r.headers
    assert r.content.startswith(XML_HEAD), r.content[:80]
    return ET.fromstring(r.content)


def records(r, fmt: str) -> list[dict]:
    """A list document (`<root><item>…</item></root>` or a JSON array) as a list of dicts."""
    if fmt == "json":
        assert r.headers["content-type"] == "application/json", r.headers
        return r.json()
    return [{child.tag: child.text for child in item} for item in xml(r)]


def refusal(r, fmt: str, status: int) -> str:
    """The spec's error document: one {code, description}; returns the description."""
    assert r.status_code == status, r.text
    errors = records(r, fmt)
    if fmt == "xml":
        assert xml(r).tag == "errors" and xml(r)[0].tag == "error"
    assert len(errors) == 1 and int(errors[0]["code"]) == status, errors
    assert errors[0]["description"], errors
    return errors[0]["description"]


def submit(api, api_key: str, fmt: str = "json", **fields) -> str:
    form = {"api_key": api_key, "service_code": "flooding", "description": "Ngập sâu", **CENTRE,
            **fields}
    r = api.post(f"{BASE}/requests.{fmt}", data=form)
    assert r.status_code == 200, r.text
    [created] = records(r, fmt)
    assert created["token"] == created["service_request_id"]
    return created["service_request_id"]


def one(api, request_id: str, fmt: str = "json") -> dict | None:
    r = api.get(f"{BASE}/requests/{request_id}.{fmt}")
    return records(r, fmt)[0] if r.status_code == 200 else None


def stored(settings) -> int:
    with connect(settings) as conn:
        return conn.execute("SELECT count(*) FROM citizen_reports").fetchone()[0]


def test_discovery_services_and_definitions(api):
    found = api.get(f"{BASE}/discovery.json").json()
    [endpoint] = found["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith(BASE) and endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert datetime.fromisoformat(found["changeset"]).tzinfo is not None
    root = xml(api.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery" and root.findtext("key_service")
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == endpoint["formats"]

    codes = load_taxonomy().codes
    services = api.get(f"{BASE}/services.json").json()
    assert [s["service_code"] for s in services] == list(codes)
    flooding = services[0]
    assert flooding["service_name"] == "Ngập nước" and flooding["type"] == "realtime"
    assert flooding["metadata"] is False and flooding["group"] and flooding["keywords"]
    root = xml(api.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and [s.findtext("service_code") for s in root] == list(codes)
    assert root[0].findtext("metadata") == "false" and root[0].findtext("group")

    definition = api.get(f"{BASE}/services/flooding.json").json()
    assert definition == {"service_code": "flooding", "attributes": []}
    root = xml(api.get(f"{BASE}/services/flooding.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "flooding"
    for fmt in ("json", "xml"):
        assert "ufo" in refusal(api.get(f"{BASE}/services/ufo.{fmt}"), fmt, 404)


def test_a_request_round_trips_with_its_text_escaped(api, api_key):
    text = 'Nước ngập tới gối ở đường CMT8 <script>alert("x")</script> & chợ'
    request_id = submit(api, api_key, "xml", description=text, address_string="12 CMT8",
                        first_name="Lan", last_name="Nguyễn", email="lan@example.vn",
                        account_id="acc-7")
    found = wait_until(lambda: one(api, request_id), 30, "the request is stored and readable")
    assert found["service_request_id"] == request_id and found["status"] == "open"
    assert found["description"] == text, "stored and returned exactly as sent"
    assert found["service_code"] == "flooding" and found["service_name"] == "Ngập nước"
    assert found["agency_responsible"] == "Công trình công cộng"
    assert found["address"] == "12 CMT8" and found["status_notes"] is None
    assert (found["lat"], found["long"]) == (10.9375, 107.2420)
    requested = datetime.fromisoformat(found["requested_datetime"])
    expected = datetime.fromisoformat(found["expected_datetime"])
    assert found["requested_datetime"].endswith("+07:00"), "the city's time, with its offset"
    assert expected - requested == timedelta(hours=2), "untriaged: the urgent SLA applies"

    raw = api.get(f"{BASE}/requests/{request_id}.xml")
    assert b"<script>" not in raw.content and b"&lt;script&gt;" in raw.content
    root = xml(raw)
    assert root.tag == "service_requests" and root[0].tag == "request"
    assert root[0].findtext("description") == text
    assert root[0].findtext("long") == "107.242"

    for fmt in ("json", "xml"):
        r = api.get(f"{BASE}/tokens/{request_id}.{fmt}")
        assert records(r, fmt) == [{"service_request_id": request_id, "token": request_id}]
        assert "token" in refusal(api.get(f"{BASE}/tokens/R-{uuid.uuid4().hex[:12]}.{fmt}"),
                                  fmt, 404)


def test_post_answers_with_id_notice_and_account(api, api_key):
    r = api.post(f"{BASE}/requests.json", data={
        "api_key": api_key, "service_code": "garbage", "description": "Rác ùn ứ", **CENTRE,
        "account_id": "acc-9", "jurisdiction_id": "longkhanh.dongnai.gov.vn"})
    assert r.status_code == 200, r.text
    [created] = r.json()
    assert created["service_request_id"].startswith("R-") and created["account_id"] == "acc-9"
    assert "first response due by" in created["service_notice"]
    # Some clients always send multipart/form-data.
    multipart = {k: (None, v) for k, v in {"api_key": api_key, "service_code": "noise",
                                           "description": "Karaoke", **CENTRE}.items()}
    r = api.post(f"{BASE}/requests.xml", files=multipart)
    assert r.status_code == 200, r.text
    assert xml(r)[0].findtext("service_request_id").startswith("R-")
    again = submit(api, api_key, description="Rác ùn ứ", service_code="garbage")
    assert again != created["service_request_id"], "no key: every POST is a new request"


def test_a_photo_uploaded_as_media_is_kept_and_linked(api, api_key):
    import cv2
    import numpy as np

    ok, jpeg = cv2.imencode(".jpg", np.full((48, 64, 3), 90, np.uint8))
    form = {"api_key": api_key, "service_code": "pothole", "description": "Ổ gà sâu", **CENTRE}
    r = api.post(f"{BASE}/requests.json", data=form,
                 files={"media": ("hole.jpg", jpeg.tobytes(), "image/jpeg")})
    assert r.status_code == 200, r.text
    request_id = r.json()[0]["service_request_id"]
    found = wait_until(lambda: one(api, request_id), 30, "the request is stored")
    assert found["media_url"].endswith(f"/api/reports/{request_id}/photo")
    photo = api.get(found["media_url"])
    assert photo.status_code == 200 and photo.content == jpeg.tobytes()

    not_image = {"media": ("notes.txt", b"just words", "text/plain")}
    assert "JPEG or PNG" in refusal(api.post(f"{BASE}/requests.json", data=form,
                                             files=not_image), "json", 400)
    both = {**form, "media_url": "https://example.org/p.jpg"}
    assert "not both" in refusal(api.post(f"{BASE}/requests.xml", data=both, files={
        "media": ("hole.jpg", jpeg.tobytes(), "image/jpeg")}), "xml", 400)


def test_list_filters_by_code_status_date_and_pages(api, api_key):
    flood_1 = submit(api, api_key)
    flood_2 = submit(api, api_key, description="Ngập đường Hùng Vương")
    garbage = submit(api, api_key, service_code="garbage", description="Rác ùn ứ ở chợ")
    for request_id in (flood_1, flood_2, garbage):
        wait_until(lambda rid=request_id: one(api, rid), 30, f"{request_id} is stored")

    def listed(fmt: str = "json", **params) -> list[str]:
        r = api.get(f"{BASE}/requests.{fmt}", params=params)
        assert r.status_code == 200, r.text
        return [x["service_request_id"] for x in records(r, fmt)]

    assert listed() == [garbage, flood_2, flood_1], "newest first"
    assert listed("xml") == [garbage, flood_2, flood_1]
    assert set(listed(service_code="flooding")) == {flood_1, flood_2}
    assert set(listed(service_code="flooding,garbage")) == {flood_1, flood_2, garbage}
    assert listed(page_size=2) == [garbage, flood_2]
    assert listed(page_size=2, page=2) == [flood_1]
    assert listed(page_size=2, page=3) == []
    assert listed(service_request_id=f"{flood_1},{garbage}", service_code="noise") == \
        [garbage, flood_1], "ids override every other filter"
    hour_ago = (datetime.now().astimezone() - timedelta(hours=1)).isoformat(timespec="seconds")
    assert len(listed(start_date=hour_ago)) == 3
    assert listed(end_date=hour_ago) == []
    assert len(listed(start_date=hour_ago.replace("+", " "))) == 3, "an unencoded '+'"

    op = {"Authorization": "Bearer " + api.post("/api/auth/login", json={
        "username": "op1", "password": "op1-password"}).json()["token"]}
    for report_id, action in ((garbage, {"action": "reject", "reason": "duplicate"}),
                              (flood_2, {"action": "respond", "note": "Đội thoát nước đang tới"})):
        r = api.post(f"/api/reports/{report_id}/actions", headers=op, json=action)
        assert r.status_code == 200, r.text
    rejected = wait_until(lambda: (x := one(api, garbage))["status"] == "closed" and x, 30,
                          "the rejection shows as closed")
    assert "duplicate" in rejected["status_notes"] and rejected["expected_datetime"] is None
    answered = wait_until(lambda: (x := one(api, flood_2, "xml"))["status_notes"] and x, 30,
                          "the response shows as status_notes")
    assert answered["status"] == "open" and answered["status_notes"] == "Đội thoát nước đang tới"
    resolve_by = datetime.fromisoformat(answered["expected_datetime"])
    assert resolve_by - datetime.fromisoformat(answered["requested_datetime"]) == \
        timedelta(hours=24), "answered: the expected time is the resolution's"
    assert listed(status="closed") == [garbage]
    assert listed(status="open") == [flood_2, flood_1]
    assert len(listed(status="open,closed")) == 3


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_refusals_use_the_spec_format_and_store_nothing(api, api_key, settings, fmt):
    good = {"api_key": api_key, "service_code": "flooding", "description": "Ngập", **CENTRE}

    def post(**changes) -> object:
        form = {k: v for k, v in {**good, **changes}.items() if v is not None}
        return api.post(f"{BASE}/requests.{fmt}", data=form)

    assert "api_key" in refusal(post(api_key=None), fmt, 403)
    assert "api_key" in refusal(post(api_key="ioc_not-a-key"), fmt, 403)
    in_url = api.post(f"{BASE}/requests.{fmt}", params={"api_key": api_key},
                      data={k: v for k, v in good.items() if k != "api_key"})
    assert "not in the URL" in refusal(in_url, fmt, 403), "a key in the URL ends up in logs"
    assert "api_key" in refusal(post(api_key=None, description=None), fmt, 403), \
        "the key is checked before anything else"
    assert "ufo" in refusal(post(service_code="ufo"), fmt, 400)
    assert "service_code" in refusal(post(service_code=None), fmt, 400)
    assert "description" in refusal(post(description=None), fmt, 400)
    assert "description" in refusal(post(description="   "), fmt, 400)
    assert "outside" in refusal(post(lat="21.03", long="105.85"), fmt, 400)
    assert "required in this jurisdiction" in refusal(
        post(lat=None, long=None, address_string="12 CMT8, Xuân An"), fmt, 400)
    assert "long" in refusal(post(long=None), fmt, 400)
    assert "lat" in refusal(post(lat="north"), fmt, 400)
    assert "media_url" in refusal(post(media_url="javascript:alert(1)"), fmt, 400)
    assert "jurisdiction_id" in refusal(post(jurisdiction_id="hanoi.gov.vn"), fmt, 400)

    listing = f"{BASE}/requests.{fmt}"
    assert "start_date" in refusal(api.get(listing, params={"start_date": "tomorrow"}), fmt, 400)
    assert "end_date" in refusal(api.get(listing, params={"end_date": "2025-13-01"}), fmt, 400)
    assert "at most 90 days" in refusal(api.get(listing, params={
        "start_date": "2025-01-01T00:00:00Z", "end_date": "2025-06-01T00:00:00Z"}), fmt, 400)
    assert "status" in refusal(api.get(listing, params={"status": "pending"}), fmt, 400)
    assert "page_size" in refusal(api.get(listing, params={"page_size": 5000}), fmt, 400)
    assert "ufo" in refusal(api.get(listing, params={"service_code": "ufo"}), fmt, 400)
    assert "no service request" in refusal(
        api.get(f"{BASE}/requests/R-{uuid.uuid4().hex[:12]}.{fmt}"), fmt, 404)
    assert "html" in refusal(api.get(f"{BASE}/requests.html"), "xml", 404)
    assert "no Open311 resource" in refusal(api.get(f"{BASE}/complaints.{fmt}"), fmt, 404)

    # The app's other routes keep their own error format.
    assert "detail" in api.get(f"/api/reports/R-{uuid.uuid4().hex[:12]}").json()
    # A request accepted after the refusals is the only one stored.
    last = submit(api, api_key, fmt)
    wait_until(lambda: one(api, last), 30, "the accepted request is stored")
    assert stored(settings) == 1, "refused requests leave nothing behind"
