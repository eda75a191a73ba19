"""The dashboard in a real browser against the whole running city (`ioc up`).

Headless Debian Chromium driven by Playwright; every wait is an auto-waiting `expect(...)`.
A failing test leaves a screenshot and the browser console in test-artifacts/.
"""

from __future__ import annotations

import re

import pytest
from browser.chromium import WAIT_MS
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.integration]

def test_control_room_shows_live_data_without_reload(page: Page, city):
    city.submit_report("Đèn đường hỏng ở ngã tư, tối om")  # the city sends none of its own
    page.goto(f"{city.dashboard_url}/control")
    page.evaluate("window.__no_reload_marker = 1")

    tiles = page.locator("#kpi-tiles [data-kpi]")
    expect(tiles.first).to_be_visible()
    expect(page.locator("#kpi-tiles [data-kpi='reports_24h'] .kpi-value")).to_have_text(
        re.compile(r"^\d+$"))
    expect(page.locator("#kpi-tiles [data-kpi='sensors_online_pct'] .kpi-value")).to_have_text(
        re.compile(r"^\d+$"))
    expect(page.locator("#queue-list .q-row").first).to_be_visible()
    expect(page.locator("#queue-list .q-text").first).not_to_be_empty()
    expect(page.locator("#city-map .js-plotly-plot")).to_be_visible()
    expect(page.locator("#city-map path.js-fill")).not_to_have_count(0)  # the wards are drawn
    expect(page.locator("#clock")).to_contain_text(re.compile(r"\d\d:\d\d:\d\d"))
    expect(page.locator("#clock")).to_contain_text("giờ Việt Nam")
    expect(page.locator("#health-badge")).not_to_have_text(re.compile("Đang kiểm tra"))

    last_update = page.locator("#last-update")
    expect(last_update).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    first_seen = last_update.inner_text()
    expect(last_update).not_to_have_text(first_seen)  # new data arrived by itself
    assert page.evaluate("window.__no_reload_marker") == 1, "the page reloaded to get new data"


def test_language_switch_to_english_sticks(page: Page, city):
    page.goto(f"{city.dashboard_url}/control")
    expect(page.locator("#nav-control")).to_have_text("Điều hành")

    page.locator("#lang-switch").get_by_role("button", name="EN").click()
    expect(page.locator("#nav-control")).to_have_text("Control")
    expect(page.get_by_role("heading", name="Report queue")).to_be_visible()
    expect(page.locator("#clock")).to_contain_text("Vietnam time")
    expect(page).to_have_title(re.compile(r"Control · IOC"))

    page.reload()  # the choice is kept in the browser (localStorage)
    expect(page.locator("#nav-control")).to_have_text("Control")
    expect(page.locator("#kpi-tiles [data-kpi]").first).to_be_visible()


def test_wall_fits_a_kiosk_screen(page: Page, city):
    page.goto(f"{city.dashboard_url}/wall")
    tiles = page.locator("#wall-tiles [data-kpi]")
    # The citizen-report SLA is the headline row; the city's own figures come second.
    for key in ("urgent_responded_in_2h_pct", "open_urgent", "breaches_today",
                "response_minutes_median", "satisfaction"):
        expect(page.locator(f"#wall-tiles .wall-sla [data-kpi='{key}']")).to_be_visible()
    for key in ("aqi_max", "water_level_max_m", "sensors_online_pct", "cameras_online_pct",
                "reports_24h"):
        expect(page.locator(f"#wall-tiles .wall-city [data-kpi='{key}']")).to_be_visible()
    expect(tiles.first).to_have_attribute("data-kpi", "urgent_responded_in_2h_pct")
    # A KPI without data says so instead of showing a number.
    for tile in page.locator("#wall-tiles .wall-sla [data-status='unknown']").all():
        expect(tile.locator(".kpi-value")).to_have_text("—")
    # Status is never colour alone: every tile names its status in words.
    expect(tiles.first.locator(".pill")).to_have_text(
        re.compile("Bình thường|Cảnh báo|Báo động|Không có dữ liệu"))
    expect(page.locator("#wall-by-ward .js-plotly-plot")).to_be_visible()
    expect(page.locator("#wall-by-category .js-plotly-plot")).to_be_visible()
    expect(page.locator("#wall-asof")).to_have_text(re.compile(r"\d\d:\d\d:\d\d"))
    overflow = page.evaluate("document.documentElement.scrollHeight - window.innerHeight")
    assert overflow <= 0, f"/wall scrolls by {overflow} px at 1920×1080 (a kiosk must not)"


def test_cameras_show_their_newest_frames(page: Page, city):
    page.goto(f"{city.dashboard_url}/cameras")
    expect(page.locator("#camera-grid .camera-card").first).to_be_visible()
    expect(page.locator("#camera-map .js-plotly-plot")).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#camera-grid img')]"
        "      .some(img => img.complete && img.naturalWidth > 0)", timeout=WAIT_MS)
    src = page.locator("#camera-grid img").first.get_attribute("src")
    assert src and "seq=" in src, f"snapshot URL without a cache-busting parameter: {src!r}"
    response = page.request.get(f"{city.dashboard_url}{src}")
    assert response.ok and response.headers["content-type"] == "image/jpeg"


def test_home_opens_the_control_room(page: Page, city):
    page.goto(city.dashboard_url + "/")
    expect(page).to_have_url(re.compile(r"/control$"))
    expect(page.locator("#kpi-tiles")).to_be_visible()
