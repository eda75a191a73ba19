"""The dashboard parses every API answer with the model the API made it from: an answer that
does not validate (a renamed field, a missing clock, not JSON at all) is `ApiUnavailable`, so a
panel says "data unavailable" instead of a callback crashing; it is logged once, by key path,
never with its values. The API is faked with httpx.MockTransport: no network."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import timedelta

import httpx
import pytest
from api_answers import T0, report_json
from dash import Dash

from dashboard import api as api_module
from dashboard import app as shell
from dashboard.api import ApiUnavailable, CityApi
from dashboard.citymap import CityModel
from dashboard.context import Context
from dashboard.i18n import t
from dashboard.pages import cameras, wall
from dashboard.pages.control import alerts, detail, queue_panel, side
from ioc.api.models import Queue
from ioc.city import load_city
from ioc.health import assess
from ioc.kpis import KpiInputs, ReportFacts, compute
from ioc.policy import load_policy
from ioc.sla import ClockKind, SlaState

HOSTILE = '<img src=x onerror="alert(1)">'
COUNTS = {"all": 1, "breached": 0, "warning": 0, "ok": 1, "responded": 0}
KPI = {"key": "aqi_max", "value": 42, "unit": "VN_AQI", "label_vi": "AQI cao nhất",
       "label_en": "Highest AQI", "status": "ok", "detail": {"band": "good"}}


def queue_json(*rows: dict) -> dict:
    return {"now": T0.isoformat(), "total": len(rows), "counts": COUNTS, "reports": list(rows)}


def kpis_json(*kpis: dict) -> dict:
    return {"now": T0.isoformat(), "window_h": 24, "kpis": list(kpis)}


class FakeApi:
    """Answers each path with the body given (JSON unless bytes), and counts the requests."""

    def __init__(self, **bodies: object) -> None:
        self.bodies = {"/" + k.replace("__", "/"): v for k, v in bodies.items()}
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url.path)
        if request.url.path not in self.bodies:
            return httpx.Response(404, json={"detail": "Not Found"})
        body = self.bodies[request.url.path]
        if isinstance(body, bytes):
            return httpx.Response(200, content=body)
        return httpx.Response(200, json=body)

    def client(self) -> CityApi:
        return CityApi("http://api.test", transport=httpx.MockTransport(self))


@pytest.fixture(autouse=True)
def forget_logged_errors():
    api_module._log_rejected.cache_clear()  # each test sees its own first warning
    yield
    api_module._log_rejected.cache_clear()


@pytest.fixture
def city_json() -> dict:
    """What `GET /api/city` returns."""
    return load_city().model_dump(mode="json")


def test_a_queue_parses_into_the_model_it_was_made_from():
    again = T0 + timedelta(hours=30)
    row = report_json(status="reopened", text=HOSTILE,
                      clock={"kind": "response_again", "due_at": again.isoformat()})
    got = FakeApi(api__reports__queue=queue_json(row)).client().queue()
    assert isinstance(got, Queue)
    [r] = got.reports
    assert (r.clock.kind, r.clock.state, r.clock.due_at) == (
        ClockKind.RESPONSE_AGAIN, SlaState.OK, again)
    assert (r.text, got.counts.ok) == (HOSTILE, 1)


def _without_clock(row: dict) -> dict:
    del row["clock"]
    return row


def _status_unknown(row: dict) -> dict:
    row["status"] = "archived"  # not an ioc.lifecycle.Status
    return row


@pytest.mark.parametrize(("broken", "loc"), [(_without_clock, "reports.0.clock"),
                                              (_status_unknown, "reports.0.status")])
def test_a_queue_row_that_does_not_validate_is_unavailable_not_a_crash(broken, loc, caplog):
    api = FakeApi(api__reports__queue=queue_json(broken(report_json(text=HOSTILE)))).client()
    with caplog.at_level(logging.WARNING, logger="dashboard.api"), \
            pytest.raises(ApiUnavailable, match=f"validation error for Queue: {loc}"):
        api.queue()
    [record] = caplog.records
    assert loc in [e["loc"] for e in record.errors]
    assert "onerror" not in repr(record.__dict__), "a log names keys, never citizen text"


def test_a_kpi_report_with_a_renamed_field_is_unavailable():
    renamed = {**{k: v for k, v in KPI.items() if k != "value"}, "val": 42}
    api = FakeApi(api__kpis=kpis_json(renamed)).client()
    with pytest.raises(ApiUnavailable, match=r"KpiReport: kpis\.0\.value: Field required"):
        api.kpis()
    api = FakeApi(api__kpis={"now": T0.isoformat(), "window_h": 24, "indicators": []}).client()
    with pytest.raises(ApiUnavailable, match="kpis: Field required"):
        api.kpis()


def test_viewers_within_a_second_share_one_kpi_fetch(monkeypatch):
    fake = FakeApi(api__kpis=kpis_json(KPI))
    api = fake.client()
    now = [100.0]
    monkeypatch.setattr(api_module.time, "monotonic", lambda: now[0])
    first = api.kpis()
    now[0] += 0.5
    assert api.kpis() is first and fake.calls == ["/api/kpis"]
    api.kpis(window_h=168)  # another window is another answer
    now[0] += 0.6
    api.kpis()
    assert fake.calls == ["/api/kpis"] * 3


def test_kpis_are_the_cores_own_dataclass():
    [kpi] = FakeApi(api__kpis=kpis_json(KPI)).client().kpis().kpis
    assert (kpi.key, kpi.value, kpi.detail) == ("aqi_max", 42, {"band": "good"})


@pytest.mark.parametrize("call", [lambda a: a.sensors_latest(), lambda a: a.cameras(),
                                  lambda a: a.recent_reports(), lambda a: a.health(),
                                  lambda a: a.report("R-1")])
def test_an_answer_that_is_not_json_is_unavailable(call):
    bodies = {p: b"<html>502 Bad Gateway</html>" for p in (
        "api__sensors__latest", "api__cameras", "api__reports__recent", "health",
        "api__reports__R-1")}
    with pytest.raises(ApiUnavailable, match="Invalid JSON"):
        call(FakeApi(**bodies).client())


def test_the_same_bad_answer_is_logged_once_not_on_every_poll(caplog):
    api = FakeApi(api__reports__queue=queue_json(_without_clock(report_json()))).client()
    with caplog.at_level(logging.WARNING, logger="dashboard.api"):
        for _ in range(3):
            with pytest.raises(ApiUnavailable):
                api.queue()
    assert len(caplog.records) == 1


# ------------------------------------------------------------------------------ the city


def test_the_city_is_validated_once_and_kept_with_its_document(city_json):
    fake = FakeApi(api__city=city_json)
    api = fake.client()
    first, second = api.city(), api.city()
    assert isinstance(first, CityModel) and first is second
    assert first.model_dump() == load_city().model_dump()
    assert fake.calls == ["/api/city"]


def _without_wards(raw: dict) -> dict:
    del raw["wards"]
    return raw


def _ward_polygon_renamed(raw: dict) -> dict:
    raw["wards"][0]["boundary"] = raw["wards"][0].pop("polygon")
    return raw


def _sensor_without_lat(raw: dict) -> dict:
    del raw["sensors"][3]["lat"]
    return raw


@pytest.mark.parametrize(("broken", "loc"), [
    (_without_wards, "wards"),
    (_ward_polygon_renamed, "wards.0.polygon"),
    (_sensor_without_lat, "sensors.3.lat"),
])
def test_a_city_that_does_not_validate_is_no_city_and_is_logged_once(city_json, caplog, broken,
                                                                     loc):
    fake = FakeApi(api__city=broken(city_json))
    api = fake.client()
    with caplog.at_level(logging.WARNING, logger="dashboard.api"):
        for _ in range(3):
            with pytest.raises(ApiUnavailable, match=f"validation errors? for CityModel: {loc}"):
                api.city()
    [record] = caplog.records
    assert loc in [e["loc"] for e in record.errors]
    assert record.error_count == len(record.errors)
    assert fake.calls == ["/api/city"], "a bad document is kept too, not fetched every 2 s"


@pytest.mark.parametrize("raw", [None, [], "Long Khánh", {"detail": "Not Found"}])
def test_a_document_that_is_not_a_city_at_all_is_no_city(raw, caplog):
    with caplog.at_level(logging.WARNING, logger="dashboard.api"), \
            pytest.raises(ApiUnavailable):
        FakeApi(api__city=raw).client().city()
    assert len(caplog.records) == 1


def test_the_log_names_keys_not_values(city_json, caplog):
    city_json["cameras"][0]["id"] = {"name": HOSTILE}
    with caplog.at_level(logging.WARNING, logger="dashboard.api"), \
            pytest.raises(ApiUnavailable) as raised:
        FakeApi(api__city=city_json).client().city()
    [record] = caplog.records
    assert "onerror" not in repr(record.__dict__) and "onerror" not in str(raised.value)


def test_an_unreachable_api_is_tried_again_on_the_next_refresh(city_json):
    answers = iter([httpx.ConnectError("refused"), None])

    def handler(request: httpx.Request) -> httpx.Response:
        if error := next(answers):
            raise error
        return httpx.Response(200, json=city_json)

    api = CityApi("http://api.test", transport=httpx.MockTransport(handler))
    with pytest.raises(ApiUnavailable, match="ConnectError"):
        api.city()
    assert isinstance(api.city(), CityModel)


# --------------------------------------------------------------- what a callback then shows


def context(fake: FakeApi) -> Context:
    return Context(api=fake.client(), tz="Asia/Ho_Chi_Minh", policy=load_policy(),
                   sensor_stale=timedelta(seconds=30), camera_stale=timedelta(seconds=10),
                   scenario_speed=1.0, scenario_start=None)


def callback(app: Dash, output_id: str):
    """The function a page registered for an output, as Dash calls it."""
    [entry] = [v for k, v in app.callback_map.items() if f"{output_id}." in k]
    return entry["callback"].__wrapped__


def test_the_wall_says_data_unavailable_for_a_kpi_report_it_cannot_read(city_json):
    fake = FakeApi(api__kpis=kpis_json({**KPI, "status": ["not", "a", "status"]}),
                   api__city=city_json)
    app = Dash(__name__)
    wall.register_callbacks(app, context(fake))
    tiles, *_charts, as_of = callback(app, "wall-tiles")(0, "en")
    assert tiles[0].children == t("data.unavailable", "en") and as_of == "—"


def test_the_queue_says_data_unavailable_for_a_row_without_its_clock():
    fake = FakeApi(api__reports__queue=queue_json(_without_clock(report_json())))
    app = Dash(__name__)
    queue_panel.register(app, context(fake))
    chosen = dict.fromkeys(("ward", "category", "department", "urgency", "search"))
    got = callback(app, "queue-view")(0, {**chosen, "chip": "all"}, 0, "en", None)
    assert json.dumps(got["view"]["notice"]).count(t("data.unavailable", "en")) == 1
    assert got["sig"] == {"rows": "unavailable", "total": 0}


def test_a_good_queue_draws_its_rows():
    rows = [report_json(1, text=HOSTILE), report_json(2)]
    app = Dash(__name__)
    queue_panel.register(app, context(FakeApi(api__reports__queue=queue_json(*rows))))
    chosen = dict.fromkeys(("ward", "category", "department", "urgency", "search"))
    got = callback(app, "queue-view")(0, {**chosen, "chip": "all"}, 0, "en", None)
    assert [i["key"] for i in got["view"]["items"]] == ["R-1", "R-2"]
    assert got["clock"] == {"now": T0.isoformat()}
    json.dumps(got["view"])  # what goes to the browser is plain JSON


def city_answers(city_json: dict) -> FakeApi:
    """A whole city's worth of well-formed answers, made the way the API makes them."""
    city = load_city()
    facts = ReportFacts(received_at=T0, urgency="urgent", due_at=T0 + timedelta(hours=2),
                        first_response_at=None, resolved_at=None,
                        resolve_due_at=T0 + timedelta(hours=24), is_open=True, rating=None,
                        category="fire", ward="xuan-an")
    kpis = compute(KpiInputs(sensor_ids=[s.id for s in city.sensors], latest=[],
                             camera_ids=[c.id for c in city.cameras], camera_last_seen={},
                             reports=[facts]),
                   T0, window_start=T0 - timedelta(hours=24), day_start=T0 - timedelta(hours=3),
                   sensor_stale=timedelta(seconds=30), camera_stale=timedelta(seconds=10),
                   water=load_policy().water_level)
    _, health = assess(now=T0, broker=None, database=None, expected_workers=[],
                       beats=[], stale_s=30, lag_warn_s=5)
    sensor = city.sensors[0]
    ts = T0.isoformat()
    row = report_json(1, text=HOSTILE, ward="xuan-an")
    return FakeApi(
        api__city=city_json, api__kpis={**kpis_json(), "kpis": [asdict(k) for k in kpis]},
        api__reports__queue=queue_json(row),
        **{"api__reports__R-1": {**row, "allowed_actions": ["acknowledge"], "history": [
            {"ts": ts, "action": "receive", "actor": "app", "outcome": "applied"}]}},
        api__sensors__latest=[{"sensor_id": sensor.id, "kind": sensor.kind, "value": 12.5,
                               "unit": "µg/m³", "ts": ts}],
        api__reports__recent=[{"report_id": "R-1", "ts": ts, "text": HOSTILE, "lat": 10.93,
                               "lon": 107.24, "source": "app", "urgency": "urgent"}],
        api__cameras=[{"camera_id": city.cameras[0].id, "ts": ts, "seq": 7, "width": 640,
                       "height": 360}],
        health={**health, "checked_at": ts, "clock": {"now": ts, "speed": 30}})


def test_every_panel_draws_from_well_formed_answers(city_json):
    """Each page's callbacks, called as Dash calls them, against answers the API could send."""
    ctx = context(city_answers(city_json))
    app = Dash(__name__)
    for module in (side, detail, alerts):
        module.register(app, ctx)
    for page in (wall, cameras):
        page.register_callbacks(app, ctx)
    shell._register_shell_callbacks(app, ctx)
    unavailable = t("data.unavailable", "en")

    tiles = callback(app, "kpi-tiles")(0, "en", None)["tiles"]
    assert [tile.to_plotly_json()["props"]["data-kpi"] for tile in tiles][:2] == [
        "aqi_max", "water_level_max_m"]
    wall_tiles, *_, as_of = callback(app, "wall-tiles")(0, "en")
    assert unavailable not in json.dumps(wall_tiles, default=str) and as_of != "—"
    _grid, count, *_ = callback(app, "camera-grid")(0, "en", None)
    assert count == "1 / 1 online", "its frame is as new as the stream's clock"
    shown = callback(app, "detail-head")(0, "R-1", None, None, "en", None)
    assert shown["no_report"] is False and shown["disabled"]["acknowledge"] is False
    store = callback(app, "alert-store")(0, None, "en")
    assert store["baseline"] == ["R-1"], "what is open on opening is not an arrival"
    health = callback(app, "health-badge")(0, "en")
    assert health["look"] == "health status-ok" and health["clock"]["speed"] == 30
    json.dumps(health["clock"]), json.dumps(store)  # stores stay plain JSON
