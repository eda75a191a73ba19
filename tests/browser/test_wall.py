"""The leaders' /wall in a real browser against the running city, seen through an API proxy the
test controls: passing answers through, holding one answer (the data stops), or not answering
(the API is unreachable). The wall runs in a dashboard of the test's own pointed at the proxy;
the city itself (`ioc up`, the session's) keeps running untouched.

- the wall's figures are the KPIs of the very answer it shows (held, so both sides see the same
  moment);
- it turns visibly stale when data stops and when the API stops answering, and recovers by
  itself;
- kiosk mode hides the navigation and rotates the pages;
- screenshots of every page at 1920×1080 and 3840×2160 go to test-artifacts/ (look at them).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from browser.chromium import ARTIFACTS
from playwright.sync_api import Browser, Page, expect
from waiting import wait_until

from ioc.city import load_city
from ioc.config import Settings
from ioc.embedded import free_port

pytestmark = [pytest.mark.browser, pytest.mark.integration]

STALE_WAIT_MS = 45_000  # the wall turns stale after 30 s without new data
SIZES = ((1920, 1080), (3840, 2160))
URGENT = ("Cháy lớn tại chợ, có người mắc kẹt", "Nước ngập sâu, có người bị cuốn trôi",
          "Tai nạn giao thông nghiêm trọng, có người bị thương nặng",
          "Cây đổ đè lên người đi đường, cần cấp cứu",
          "Rò rỉ khí gas tại khu dân cư, nguy cơ cháy nổ")
NORMAL = ("Đèn đường hỏng ở ngã tư, tối om", "Rác thải ùn ứ trên vỉa hè nhiều ngày",
          "Ổ gà lớn trên đường, xe máy dễ té")


# ------------------------------------------------------------------ the API the wall sees

class ApiProxy:
    """Forwards GETs to the city's API. `hold()`: every answer already seen is served again as
    it was (the data stops; the API still answers). `down()`: requests get no answer at all.
    `resume()`: back to forwarding."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.mode = "pass"
        self.last: dict[str, tuple[int, bytes, str]] = {}
        self.held: dict[str, tuple[int, bytes, str]] = {}
        self.lock = threading.Lock()
        self.client = httpx.Client(timeout=10)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                if proxy.mode == "down":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)  # no answer at all
                    return
                with proxy.lock:
                    held = proxy.held.get(self.path) if proxy.mode == "hold" else None
                if held is None:
                    r = proxy.client.get(proxy.upstream + self.path)
                    held = (r.status_code, r.content, r.headers.get("content-type", ""))
                    with proxy.lock:
                        proxy.last[self.path] = held
                status, body, ctype = held
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def hold(self) -> None:
        with self.lock:
            self.held = dict(self.last)
            self.mode = "hold"

    def down(self) -> None:
        self.mode = "down"

    def resume(self) -> None:
        self.mode = "pass"

    def held_kpis(self) -> dict:
        [body] = [json.loads(b) for path, (_, b, _) in self.held.items()
                  if path.startswith("/api/kpis")]
        return body

    def close(self) -> None:
        self.server.shutdown()
        self.client.close()


class Dashboard:
    """The dashboard (create_app) served in this process, its API the proxy."""

    def __init__(self, settings: Settings) -> None:
        from waitress import create_server

        from dashboard.app import create_app

        self.server = create_server(create_app(settings).server, host="127.0.0.1",
                                    port=settings.dashboard_port, threads=8)
        self.url = f"http://127.0.0.1:{settings.dashboard_port}"
        threading.Thread(target=self.server.run, daemon=True).start()
        wait_until(lambda: httpx.get(f"{self.url}/wall", timeout=5).status_code == 200, 30,
                   "the test's dashboard serves /wall")

    def close(self) -> None:
        self.server.close()


@dataclass
class WallCity:
    """What the `page` fixture needs of a city (chromium.py), plus the proxy and the city."""

    real: object
    proxy: ApiProxy
    dashboard: Dashboard

    @property
    def api_url(self) -> str:
        return self.proxy.url

    @property
    def dashboard_url(self) -> str:
        return self.dashboard.url


def seed(city) -> None:
    """Reports of the test's own, some answered in time, resolved and rated, two urgent ones left
    waiting, so every panel has figures (the session's city sends none)."""
    api = httpx.Client(base_url=city.api_url, timeout=20)
    username, password = city.operator
    token = api.post("/api/auth/login", json={"username": username,
                                              "password": password}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    wards = load_city().wards
    sent = []
    for i, text in enumerate(URGENT + NORMAL):
        key = f"wall-{uuid.uuid4().hex}"
        lat, lon = wards[i % len(wards)].centroid
        r = api.post("/api/reports", json={"text": text, "lat": lat, "lon": lon,
                                           "client_key": key})
        assert r.status_code == 201, r.text
        sent.append((r.json()["report_id"], key))

    def triaged(report_id: str) -> bool:
        r = api.get(f"/api/reports/{report_id}")
        return r.status_code == 200 and r.json()["urgency"] is not None

    for report_id, _ in sent:
        wait_until(lambda rid=report_id: triaged(rid), 60, f"{report_id} is stored and triaged")

    def act(report_id: str, action: str, **body) -> None:
        r = api.post(f"/api/reports/{report_id}/actions", headers=auth,
                     json={"action": action, **body})
        assert r.status_code in (200, 202, 409), r.text  # 409: the crew got there first

    answered = sent[:3] + sent[5:7]  # three urgent, two normal; two urgent left waiting
    for n, (report_id, key) in enumerate(answered):
        act(report_id, "respond", note="Đã tiếp nhận, tổ công tác đang đến hiện trường.")
        act(report_id, "resolve")
        rating = (5, 4, 5, 2, 4)[n]
        wait_until(lambda rid=report_id: api.get(f"/api/reports/{rid}").json()["status"]
                   in ("resolved", "closed"), 30, f"{report_id} is resolved")
        r = api.post(f"/api/reports/{report_id}/rating", json={"rating": rating,
                                                               "client_key": key})
        assert r.status_code == 202, r.text

    def kpis() -> dict:
        return {k["key"]: k for k in api.get("/api/kpis", params={"window": "7d"}).json()["kpis"]}

    wait_until(lambda: kpis()["satisfied_pct"]["value"] is not None, 30,
               "the ratings reach the KPIs")


@pytest.fixture(scope="module")
def city(city):
    """The session's city, with the test's reports, seen through the proxy by a dashboard of the
    test's own (same scenario speed, so "N s ago" is in wall seconds as in production)."""
    seed(city)
    proxy = ApiProxy(city.api_url)
    speed = httpx.get(f"{city.api_url}/health", timeout=10).json()["clock"]["speed"]
    board = Dashboard(Settings(api_url=proxy.url, scenario_speed=speed,
                               dashboard_port=free_port()))
    yield WallCity(city, proxy, board)
    board.close()
    proxy.close()


@pytest.fixture
def proxy(city):
    city.proxy.resume()
    yield city.proxy
    city.proxy.resume()


# ------------------------------------------------------------------ what the wall should say

def shown(value) -> str:
    """A figure as the wall writes it in Vietnamese: as the API rounded it, without ",0",
    thousands grouped with dots and decimals with a comma; "—" without a value."""
    if value is None:
        return "—"
    v = float(value)
    text = f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"
    return text.translate(str.maketrans(",.", ".,"))


def minutes_text(seconds: float) -> str:
    m = int(abs(seconds)) // 60
    return f"{m or '< 1'} phút" if m < 60 else f"{m // 60} giờ {m % 60:02d} phút"


def open_wall(page: Page, city, query: str = "") -> None:
    page.goto(f"{city.dashboard_url}/wall{query}")
    page.evaluate("window.__no_reload_marker = 1")
    expect(page.locator("#wall-updated")).to_have_text(re.compile(r"Cập nhật \d+ giây trước"))


def test_wall_figures_are_the_kpis_of_the_answer_it_shows(page: Page, city, proxy):
    open_wall(page, city)
    expect(page.locator("#wall-tiles .wall-sla [data-kpi='breaches_today']")).to_be_visible()
    proxy.hold()  # from now on the wall and the test read the same answer
    body = proxy.held_kpis()
    k = {x["key"]: x for x in body["kpis"]}
    assert body["window"] == "168h" and body["data_as_of"], "the wall asks for the last 7 days"
    sla = page.locator("#wall-tiles .wall-sla")
    now = datetime.fromisoformat(body["now"].replace("Z", "+00:00"))
    expect(sla).to_have_attribute("data-now", now.isoformat())  # the held answer is on screen

    for key, selector in (("urgent_responded_in_2h_pct_today", ".kpi-value"),
                          ("urgent_responded_in_2h_pct_7d", ".wall-second-value")):
        block = sla.locator(f"[data-key='{key}']")
        expect(block.locator(selector)).to_have_text(shown(k[key]["value"]))
        if k[key]["value"] is not None:
            d = k[key]["detail"]
            expect(block).to_contain_text(f"{d['on_time']}/{d['decided']}")
        expect(block).to_have_attribute("data-state", k[key]["status"])
    expect(sla.locator("[data-kpi='urgent_responded_in_2h_pct']")).to_contain_text("2 giờ")
    expect(sla.locator("[data-key='breaches_today'] .kpi-value")).to_have_text(
        shown(k["breaches_today"]["value"]))
    expect(sla.locator("[data-key='open_urgent'] .kpi-value")).to_have_text(
        shown(k["open_urgent"]["value"]))
    least = k["urgent_least_time_left"]
    tile = sla.locator("[data-key='urgent_least_time_left']")
    if least["value"] is None:
        expect(tile.locator(".kpi-value")).to_have_text("—")
    else:
        expect(tile.locator(".kpi-value")).to_have_text(minutes_text(least["value"]))
        expect(tile).to_contain_text(least["detail"]["report_id"])
        expect(tile).to_contain_text("quá hạn" if least["value"] < 0 else "còn lại")
    median, p90 = (k[x]["value"] for x in ("response_minutes_median", "response_minutes_p90"))
    expect(sla.locator("[data-kpi='response_minutes_median'] .kpi-value")).to_have_text(
        "—" if median is None and p90 is None
        else " / ".join("—" if m is None else f"{m:,.0f}".replace(",", ".")
                        for m in (median, p90)))
    resolved = sla.locator("[data-key='resolved_on_time_pct']")
    expect(resolved.locator(".kpi-value")).to_have_text(shown(k["resolved_on_time_pct"]["value"]))
    expect(resolved).to_contain_text("Thanh Hóa 97,63 %")  # the reference beside the figure
    satisfied = sla.locator("[data-kpi='satisfaction']")
    expect(satisfied.locator(".kpi-value")).to_have_text(shown(k["satisfied_pct"]["value"]))
    expect(satisfied).to_contain_text("≥ 90 %")  # the national target beside the figure
    assert k["satisfied_pct"]["value"] is not None, "the test's ratings are counted"
    expect(page.locator("#wall-tiles .wall-city [data-kpi='reports_24h'] .kpi-value")).to_have_text(
        shown(k["reports_24h"]["value"]))

    page.locator("#wall-tab-1").click()  # the city now
    expect(page.locator("#wall-page-city")).to_be_visible()
    wards = k["aqi_by_ward"]["detail"]["wards"]
    rows = page.locator("#wall-aqi-list [data-ward]")
    expect(rows).to_have_count(len(wards))
    for slug, w in wards.items():
        row = page.locator(f"#wall-aqi-list [data-ward='{slug}']")
        expect(row).to_have_attribute("data-aqi", str(w["aqi"]))
        expect(row).to_contain_text(w["band_vi"])  # the band in words, not only its colour
        expect(row.locator(".wall-list-value")).to_have_text(
            f"{w['aqi']}{'*' if w['basis'] == 'latest' else ''}")
    expect(page.locator("#wall-aqi-map path.js-fill")).to_have_count(len(load_city().wards))
    gauges = k["water_levels"]["detail"]["gauges"]
    expect(page.locator("#wall-water [data-gauge]")).to_have_count(min(len(gauges), 6))
    for gauge in gauges:
        row = page.locator(f"#wall-water [data-gauge='{gauge['sensor_id']}']")
        if not row.count():
            continue  # beyond the six most pressing: counted in "+N more"
        expect(row).to_have_attribute("data-status", gauge["status"])
        level = f"{gauge['level_m']:.2f}".replace(".", ",") if gauge["online"] else "—"
        expect(row.locator(".wall-gauge-value")).to_have_text(level)
        expect(row).to_contain_text("III")  # the alert levels are drawn
    if k["congestion_by_ward"]["value"] is None:  # cameras make no traffic metrics yet
        expect(page.locator("#wall-traffic-list")).to_contain_text("Chưa có số liệu")
        expect(page.locator("#wall-traffic-list .wall-list-value")).to_have_text("—")
    for key in ("sensors_online_pct", "cameras_online_pct"):
        expect(page.locator(f"#wall-online [data-kpi='{key}'] .kpi-value")).to_have_text(
            shown(k[key]["value"]))

    page.locator("#wall-tab-2").click()  # the last 7 days
    expect(page.locator("#wall-page-trends")).to_be_visible()
    days = k["trend_7d"]["detail"]["days"]
    received = page.locator("#wall-trend-received .js-plotly-plot")
    expect(received).to_be_visible()
    drawn = received.evaluate("el => el.data[0].y")
    assert list(drawn) == [d["received"] for d in days]
    expect(page.locator("#wall-trend-summary [data-kpi='trend_7d'] .kpi-value")).to_have_text(
        shown(k["trend_7d"]["value"]))
    assert page.evaluate("window.__no_reload_marker") == 1


def test_wall_turns_stale_when_data_stops_and_recovers_by_itself(page: Page, city, proxy):
    open_wall(page, city, "?kiosk=1&rotate=300")
    expect(page.locator(".app-header")).to_be_hidden()  # kiosk: no navigation
    banner, body = page.locator("#wall-banner"), page.locator("#wall-body")
    expect(banner).to_be_hidden()
    expect(body).not_to_have_class(re.compile(r"\bstale\b"))

    proxy.hold()  # the API answers, but nothing new arrives
    expect(banner).to_be_visible(timeout=STALE_WAIT_MS)
    expect(banner).to_contain_text("SỐ LIỆU ĐÃ CŨ")
    expect(body).to_have_class(re.compile(r"\bstale\b"))  # the figures dimmed
    expect(page.locator("#wall-updated")).to_have_text(
        re.compile(r"Cập nhật ([3-9]\d|\d{3,}) giây trước"))
    expect(page.locator("#wall-updated")).to_have_class(re.compile("is-stale"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "wall-1920x1080-stale.png"))

    proxy.down()  # the API stops answering
    expect(banner).to_contain_text("MẤT KẾT NỐI API")
    expect(page.locator("#wall-updated")).to_have_class(re.compile("is-down"))
    expect(page.locator("#wall-tiles [data-kpi]").first).to_be_attached()  # last figures kept
    page.screenshot(path=str(ARTIFACTS / "wall-1920x1080-api-down.png"))

    proxy.resume()  # back, and nobody touches the wall
    expect(banner).to_be_hidden()
    expect(body).not_to_have_class(re.compile(r"\bstale\b"))
    expect(page.locator("#wall-updated")).to_have_text(re.compile(r"Cập nhật \d giây trước"))
    assert page.evaluate("window.__no_reload_marker") == 1, "the wall reloaded to recover"


def test_kiosk_rotates_its_pages(page: Page, city):
    open_wall(page, city, "?kiosk=1&rotate=5")
    tabs = [page.locator(f"#wall-page-{name}") for name in ("reports", "city", "trends")]
    expect(tabs[0]).to_be_visible()
    expect(tabs[1]).to_be_visible(timeout=9_000)
    expect(tabs[0]).to_be_hidden()
    expect(tabs[2]).to_be_visible(timeout=9_000)


def test_wall_speaks_english_through_the_language_switch(page: Page, city):
    open_wall(page, city)
    page.locator("#lang-switch").get_by_role("button", name="EN").click()
    expect(page.locator("#wall-tab-0")).to_contain_text("Citizen reports")
    expect(page.locator("#wall-updated")).to_have_text(re.compile(r"Updated \d+ s ago"))
    expect(page.locator("#wall-tiles [data-kpi='urgent_responded_in_2h_pct']")).to_contain_text(
        "Urgent reports answered within 2 h")


def _drawn_at_scale(page: Page, scale: float) -> None:
    """Wait until the charts are drawn at the screen's scale (the first drawing is at 1)."""
    page.wait_for_function(
        """(scale) => [...document.querySelectorAll('.wall-page.active .js-plotly-plot')]
             .every(p => p._fullLayout && Math.abs(p._fullLayout.font.size - 20 * scale) < 0.5)""",
        arg=scale)


@pytest.mark.parametrize("width, height", SIZES)
def test_wall_screenshots_fill_the_screen(browser: Browser, city, width, height):
    """Every kiosk page at full HD and at 4K, saved for a person to look at; none scrolls."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": height})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        scale = min(width / 1920, height / 1080)
        for n, name in enumerate(("reports", "city", "trends"), start=1):
            open_wall(page, city, f"?kiosk=1&rotate=300&page={n}")
            expect(page.locator(f"#wall-page-{name}")).to_be_visible()
            expect(page.locator("#wall-tiles [data-kpi]").first).to_be_attached()
            if name == "city":
                expect(page.locator("#wall-water [data-gauge]").first).to_be_visible()
                expect(page.locator("#wall-aqi-map path.js-fill").first).to_be_attached()
            _drawn_at_scale(page, scale)
            page.screenshot(path=str(ARTIFACTS / f"wall-{width}x{height}-{n}-{name}.png"))
            overflow = page.evaluate("[document.documentElement.scrollWidth - innerWidth, "
                                     "document.documentElement.scrollHeight - innerHeight]")
            assert overflow[0] <= 0 and overflow[1] <= 0, \
                f"/wall page {n} scrolls by {overflow} px at {width}×{height}"
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors[:5]}"


def test_kpis_api_reads_the_window_and_defines_every_kpi(city):
    """`GET /api/kpis?window=…` (the route the wall reads; docs/kpis.md)."""
    def get(**params) -> httpx.Response:
        return httpx.get(f"{city.real.api_url}/api/kpis", params=params, timeout=10)

    for window, hours in (("today", None), ("24h", 24), ("7d", 168), ("30d", 720),
                          ("PT6H", 6), ("P1DT12H", 36)):
        body = get(window=window).json()
        assert body["window"] == window and body["data_as_of"], window
        if hours is not None:
            assert body["window_h"] == hours, window
        k = {x["key"]: x for x in body["kpis"]}
        assert k["urgent_responded_in_2h_pct"]["window"] == window
        assert k["urgent_responded_in_2h_pct_today"]["window"] == "today"
        assert all(x["definition_en"] and x["definition_vi"] and x["window"]
                   for x in body["kpis"])
        assert k["satisfied_pct"]["target"]["value"] == 90
        assert k["resolved_on_time_pct"]["target"] == {
            **k["resolved_on_time_pct"]["target"], "value": 97.63, "kind": "reference"}
    assert get(window_h=168).json()["window"] == "168h"
    assert get().json()["window"] == "24h" and get().json()["window_h"] == 24
    for bad in ("week", "P1M", "-PT1H", "P400D", "1d"):
        r = get(window=bad)
        assert r.status_code == 422, bad
        detail = r.json()["detail"]
        assert bad in detail and ("today, 24h, 7d" in detail or "366 days" in detail), bad
    r = get(window="7d", window_h=3)
    assert r.status_code == 422 and "not both" in r.json()["detail"]
