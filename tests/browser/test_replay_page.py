"""/replay in headless Chromium on the running city: an engineer (here the admin) signs in,
replays the night-flood scenario at 300x, and sees the 2-hour countdown of its first urgent
report run at that speed, the water-level alarm appear at its event time, the header's clock
follow the replay's, a pause hold every clock still, and a seek to the end finish the replay
with its digest and every expectation met."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from test_operator_queue import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SHOTS = Path("test-artifacts")
SPEED = 300
HMS = re.compile(r"(\d+):(\d\d):(\d\d)")


def _left_s(page: Page, due: str) -> int:
    """Seconds left on the countdown of the report due at `due`. The list may redraw its row
    between two reads, and a redrawn countdown is empty until the clock's next frame: read
    until it shows a time."""
    for _ in range(100):
        text = page.evaluate("due => { const el = document.querySelector("
                             "`#replay-reports .countdown[data-due='${due}']`);"
                             " return el ? el.textContent : ''; }", due)
        if found := HMS.search(text):
            h, m, s = found.groups()
            return int(h) * 3600 + int(m) * 60 + int(s)
        page.wait_for_timeout(50)
    raise AssertionError(f"the countdown due at {due} never showed a time")


def _status(city) -> dict:
    return httpx.get(f"{city.api_url}/api/replay", timeout=5).json()


def _choose(page: Page, dropdown: str, option: str | re.Pattern) -> None:
    page.locator(f"#{dropdown}").click()
    page.get_by_role("option", name=option).click()


def test_a_replay_runs_on_its_own_clock(page: Page, city):
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{city.dashboard_url}/replay")
    expect(page.locator("#replay-reports")).to_contain_text("Chưa có bản phát lại")
    page.locator("#replay-start").click()  # not signed in: told so, nothing starts
    expect(page.locator("#replay-message")).to_contain_text("Đăng nhập")

    sign_in(page, *city.account("admin"))
    expect(page.locator("#auth-who")).to_be_visible()
    _choose(page, "replay-source", re.compile("night_flood"))
    _choose(page, "replay-speed", f"{SPEED}×")
    page.locator("#replay-start").click()
    expect(page.locator("#replay-state [data-state='running']")).to_be_visible(timeout=30_000)

    # The first urgent report's countdown runs at the replay's speed
    clock = page.locator("#replay-reports .countdown").first
    expect(clock).to_have_text(HMS, timeout=30_000)
    due = clock.get_attribute("data-due")  # the same report's, however the list redraws
    first, t0 = _left_s(page, due), time.monotonic()
    page.wait_for_timeout(2000)
    ran = (first - _left_s(page, due)) / (time.monotonic() - t0)
    assert SPEED / 2 < ran < SPEED * 1.5, f"the countdown ran {ran:.0f} s a second at {SPEED}x"
    # The header's clock is the replay's (both read in one go: a tick cannot fall between)
    header, replay = page.evaluate("() => [document.getElementById('clock-time').textContent,"
                                   " document.getElementById('replay-clock').textContent]")
    assert header == replay

    # The flood alarm appears at its event time (within the page's 1-s refresh at 300x)
    alarm = page.locator("#replay-alarms [data-type='water_level']").first
    expect(alarm).to_be_visible(timeout=60_000)
    raised = datetime.fromisoformat(alarm.get_attribute("data-raised"))
    now = datetime.fromisoformat(_status(city)["now"])
    assert timedelta(0) <= now - raised < timedelta(minutes=15), (raised, now)
    page.screenshot(path=str(SHOTS / "replay-running.png"))

    # Paused, the replay's clocks stand still
    page.locator("#replay-pause").click()
    expect(page.locator("#replay-state [data-state='paused']")).to_be_visible()
    page.wait_for_timeout(1200)  # the clock takes the paused status at the next tick
    held = page.locator("#replay-clock").inner_text()
    page.wait_for_timeout(1500)
    assert page.locator("#replay-clock").inner_text() == held
    page.locator("#replay-pause").click()  # resume
    expect(page.locator("#replay-state [data-state='running']")).to_be_visible()

    # A seek to the end: the rest at once, then the outcome
    rail = page.locator("#replay-seek").bounding_box()
    page.mouse.click(rail["x"] + rail["width"] - 1, rail["y"] + rail["height"] / 2)
    expect(page.locator("#replay-state [data-state='finished']")).to_be_visible(timeout=120_000)
    expect(page.locator("#replay-digest")).to_have_text(re.compile(r"^[0-9a-f]{32}$"))
    met = page.locator(".replay-expectation[data-met='1']")
    expect(met.first).to_be_visible()
    assert page.locator(".replay-expectation[data-met='0']").count() == 0
    assert met.count() == len(_status(city)["expectations"]) >= 10
    page.screenshot(path=str(SHOTS / "replay-finished.png"), full_page=True)
