"""Browser fixtures (a plugin of tests/conftest.py): headless Debian Chromium driven by
Playwright, one browser per module and a fresh context per test. A failing test leaves a
screenshot and the console in test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT_MS = 30_000
# An operator's action goes API -> broker -> persistence -> the next poll: about 2 s when the
# machine is quiet, longer on a loaded 2-core CI box. A wait is a bound, not a speed target.
expect.set_options(timeout=15_000)
KIOSK = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium; "
                    "never a downloaded browser)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, city, request) -> Iterator[Page]:
    """A fresh browser context (empty localStorage) at kiosk size. On failure: a screenshot and
    the console log in test-artifacts/<test name>.{png,log}."""
    context = browser.new_context(viewport=KIOSK)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    console: list[str] = []
    errors: list[str] = []
    foreign: list[str] = []
    allowed = {urlparse(city.dashboard_url).netloc, urlparse(city.api_url).netloc}
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: foreign.append(r.url)
            if urlparse(r.url).scheme in ("http", "https", "ws", "wss")
            and urlparse(r.url).netloc not in allowed else None)
    failed_before = request.session.testsfailed
    yield page
    if request.session.testsfailed > failed_before:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.log").write_text("\n".join(console + errors + foreign))
    context.close()
    # Checked for every test: the dashboard works offline and its scripts do not crash.
    assert not foreign, f"the page reached outside the city (offline product): {foreign[:5]}"
    assert not errors, f"uncaught errors in the page: {errors[:5]}"
