"""The API of a running city (`ioc up`): health, KPIs from the database, metrics, OpenAPI,
and errors a person can act on."""

from __future__ import annotations

import httpx
import pytest
from waiting import wait_until

pytestmark = pytest.mark.integration


def get(city, path: str, **kw) -> httpx.Response:
    return httpx.get(f"{city.api_url}{path}", timeout=10, **kw)


def test_health_names_every_part(city):
    body = wait_until(lambda: (b := get(city, "/health").json())["workers"]["persistence"]
                      ["processed"] > 0 and b, 30, "the persistence worker reports its work")
    assert body["status"] == "ok" and body["problems"] == []
    assert body["broker"]["status"] == body["database"]["status"] == "ok"


def submit_report(city, text: str = "Đèn đường hỏng ở ngã tư, tối om") -> str:
    """A report of the test's own: tests never wait on what the simulators happen to send."""
    r = httpx.post(f"{city.api_url}/api/reports", timeout=10,
                   json={"text": text, "lat": 10.9375, "lon": 107.2420})
    assert r.status_code == 201, r.text
    return r.json()["report_id"]


def test_kpis_come_from_live_data(city):
    def kpis() -> dict:
        return {k["key"]: k for k in get(city, "/api/kpis").json()["kpis"]}

    report_id = submit_report(city)
    wait_until(lambda: get(city, f"/api/reports/{report_id}").status_code == 200, 30,
               "the report is stored")
    values = wait_until(lambda: (k := kpis())["reports_24h"]["value"] > 0 and k, 30,
                        "the report is counted in the KPIs")
    assert values["sensors_online_pct"]["value"] > 50
    assert values["aqi_max"]["value"] is not None
    assert values["cameras_online_pct"]["value"] == 100
    assert sum(values["reports_by_ward"]["detail"].values()) >= values["reports_24h"]["value"]

    ward, count = max(((w, n) for w, n in values["reports_by_ward"]["detail"].items()
                       if w != "?"), key=lambda kv: kv[1])
    one = get(city, "/api/kpis", params={"ward": ward}).json()
    by_ward = {k["key"]: k for k in one["kpis"]}["reports_by_ward"]["detail"]
    assert one["ward"] == ward and set(by_ward) == {ward} and by_ward[ward] >= count


def test_live_readings_reports_and_cameras(city):
    sensors = wait_until(lambda: get(city, "/api/sensors/latest").json(), 30, "readings arrive")
    assert {"sensor_id", "kind", "value", "unit", "ts"} <= set(sensors[0])
    submit_report(city)
    reports = wait_until(lambda: get(city, "/api/reports/recent").json(), 30, "reports arrive")
    assert reports[0]["text"] and -90 <= reports[0]["lat"] <= 90
    cameras = wait_until(lambda: get(city, "/api/cameras").json(), 30, "frames arrive")
    jpeg = get(city, f"/api/cameras/{cameras[0]['camera_id']}/snapshot.jpg")
    assert jpeg.headers["content-type"] == "image/jpeg" and jpeg.content[:2] == b"\xff\xd8"


def test_metrics_are_prometheus_text(city):
    text = get(city, "/metrics").text
    assert "ioc_up 1.0" in text
    assert 'ioc_worker_up{worker="persistence"} 1.0' in text
    assert 'ioc_http_responses_total{status_class="2xx"}' in text


def test_openapi_lists_the_routes_and_documents_their_answers(city):
    spec = get(city, "/openapi.json").json()
    paths = spec["paths"]
    assert {"/health", "/metrics", "/api/kpis"} <= set(paths)

    def answer(path: str, code: str = "200") -> str:
        schema = paths[path]["get"]["responses"][code]["content"]["application/json"]["schema"]
        return schema["$ref"].rsplit("/", 1)[-1]

    assert answer("/api/reports/queue") == "Queue"
    assert answer("/api/reports/{report_id}") == "ReportDetail"
    assert answer("/api/kpis") == "KpiReport"
    assert answer("/api/city") == "City"
    assert answer("/health") == answer("/health", "503") == "Health"
    row = spec["components"]["schemas"]["ReportRow"]["properties"]
    assert {"due_at", "warn_at", "clock", "sla_state"} <= set(row)
    assert not {"contact", "client_key"} & set(row), "the citizen's contact never leaves the API"


def test_bad_input_gets_a_4xx_that_says_what_to_fix(city):
    r = get(city, "/api/kpis", params={"window_h": "-3"})
    assert r.status_code == 422
    assert "window_h" in r.json()["detail"] and "greater than 0" in r.json()["detail"]
    r = get(city, "/api/kpis", params={"ward": "atlantis"})
    assert r.status_code == 422 and "atlantis" in r.json()["detail"]
    r = get(city, "/api/kpis", params={"category": "dragons"})
    assert r.status_code == 422 and "flooding" in r.json()["detail"]
    r = get(city, "/api/cameras/cam-99/snapshot.jpg")
    assert r.status_code == 404 and "cam-99" in r.json()["detail"]
