"""Input at the API's edges: bodies that are not JSON, text that is not Unicode, NULs in the URL,
dates and pages out of range, and queue filters that can never match. Each gets a 4xx that says
what to fix, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ioc.api.main import create_app
from ioc.city import load_city
from ioc.taxonomy import load_taxonomy

pytestmark = pytest.mark.integration

BASE = "/open311/v2"
CENTRE = {"lat": 10.9375, "lon": 107.2420}
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def api(settings):
    with TestClient(create_app(settings)) as client:
        yield client


def refused(r, status: int = 422) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json", r.headers
    return r.json()["detail"]


@pytest.mark.parametrize("path, kw", [
    ("/api/reports", {"data": {"text": "x"}}),
    ("/api/reports", {"content": b"x", "headers": {"Content-Type": "text/plain"}}),
    ("/api/reports", {"content": b"\xff\xfe", "headers": {"Content-Type": "text/plain"}}),
    ("/api/auth/login", {"data": {"username": "op1", "password": "pw"}}),
])
def test_a_body_that_is_not_json_is_asked_for_as_json(api, path, kw):
    assert "Content-Type: application/json" in refused(api.post(path, **kw))


def test_text_that_is_not_unicode_is_refused_not_echoed(api):
    for body in ('{"text": "a \\ud800", "lat": 10.9375, "lon": 107.2420}',
                 '{"text": "a", "\\udfff": "\\ud800"}', '{"text": NaN}'):
        detail = refused(api.post("/api/reports", content=body, headers=JSON))
        assert "\ud800" not in detail and "\udfff" not in detail


def test_a_body_that_is_not_json_says_where(api):
    detail = refused(api.post("/api/reports", content='{"text":\n  oops}', headers=JSON))
    assert detail.startswith("body: is not valid JSON (line 2, column 3"), detail


@pytest.mark.parametrize("path", [
    "/api/reports/queue?q=abc%00", "/api/reports/abc%00", "/api/reports/abc%00/status",
    "/api/reports/abc%00/history.csv", "/api/reports/queue?x%00=1",
])
def test_a_nul_in_the_url_is_refused(api, path):
    assert "NUL" in refused(api.get(path), 400)


def open311_refusal(r, status: int = 400) -> str:
    assert r.status_code == status, r.text
    [error] = r.json()
    assert error["code"] == status
    return error["description"]


@pytest.mark.parametrize("path", [
    f"{BASE}/requests/abc%00.json", f"{BASE}/tokens/abc%00.json",
    f"{BASE}/requests.json?service_request_id=abc%00",
])
def test_a_nul_in_an_open311_url_is_refused_in_the_spec_format(api, path):
    assert "NUL" in open311_refusal(api.get(path))
    r = api.get(path.replace(".json", ".xml"))
    assert r.status_code == 400 and b"<errors><error><code>400</code>" in r.content, r.content


@pytest.mark.parametrize("query, name", [
    ("start_date=9999-12-31T00:00:00Z", "start_date"),
    ("end_date=0001-01-01T00:00:00Z", "end_date"),
])
def test_dates_at_the_ends_of_the_calendar_are_refused(api, query, name):
    assert name in open311_refusal(api.get(f"{BASE}/requests.json?{query}"))


def test_dates_near_the_ends_of_the_calendar_are_answered(api):
    for query in ("start_date=9999-12-30T00:00:00Z&end_date=9999-12-31T00:00:00Z",
                  "start_date=0001-01-01T00:00:00%2B07:00&end_date=0001-01-02T00:00:00Z"):
        r = api.get(f"{BASE}/requests.json?{query}")
        assert r.status_code == 200 and r.json() == [], r.text


def test_pages_beyond_the_upper_bound_are_refused(api):
    assert "less than or equal" in open311_refusal(
        api.get(f"{BASE}/requests.json?page=1000000000000000000"))
    assert "less than or equal" in refused(
        api.get("/api/reports/queue?offset=9223372036854775808"))


def test_queue_filters_that_can_never_match_are_refused(api):
    ward = load_city().wards[0].slug
    taxonomy = load_taxonomy()
    category, department = taxonomy.codes[0], taxonomy.departments[0].code
    for params, names in (({"status": "resolved"}, ("received", "reopened")),
                          ({"status": ["triaged", "closed"]}, ("closed", "triaged")),
                          ({"ward": "atlantis"}, (ward,)),
                          ({"category": "ufo"}, (category,)),
                          ({"department": "nasa"}, (department,))):
        detail = refused(api.get("/api/reports/queue", params=params))
        assert all(n in detail for n in names), detail
    r = api.get("/api/reports/queue", params={"ward": ward, "category": category,
                                              "department": department, "status": "triaged"})
    assert r.status_code == 200 and r.json()["reports"] == [], r.text
