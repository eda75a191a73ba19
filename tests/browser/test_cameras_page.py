"""/cameras in a real browser against the running city (`ioc up`, the session's): the camera wall
with the simulated cameras' frames and status pills and the map with its legend; a tile opens
the camera's detail with its charts and its incident with the snapshot; a camera that stops
sending turns offline on screen without a reload; the incident reaches /control with its
evidence. Screenshots of the wall and the detail at 1920×1080 go to test-artifacts/.

The incident, its snapshot and traffic windows are published on the city's broker by the test,
as the vision worker would publish them: nothing here depends on the model detecting anything,
and it holds whether or not the city runs a vision worker.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import cv2
import httpx
import numpy as np
import pytest
from browser.chromium import ARTIFACTS
from playwright.sync_api import Page, expect
from waiting import wait_until

from ioc import events as ev
from ioc import topics as tp
from ioc.alarms import alarm_id_for
from ioc.config import Settings
from ioc.kafka import Publisher

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CAMERA = "cam-01"  # one of the city's simulated cameras: it sends frames throughout
SILENT = "cam-16"  # a site the city does not simulate: the test sends it one frame
WINDOWS = 12
PEAK = 0.82  # the congestion index of the newest seeded window


def jpeg(text: str, shade: int = 70) -> bytes:
    img = np.full((360, 640, 3), shade, np.uint8)
    cv2.rectangle(img, (0, 220), (640, 360), (55, 55, 55), -1)
    cv2.rectangle(img, (250, 200), (380, 280), (0, 0, 255), 3)
    cv2.putText(img, text, (12, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return buf.tobytes()


def city_now(city) -> datetime:
    return datetime.fromisoformat(httpx.get(f"{city.api_url}/api/alarms", timeout=10)
                                  .json()["now"])


def publisher_for(city) -> Publisher:
    found = re.search(r"broker\s+(?:embedded, memory-only, at|Kafka at) (\S+)", city.output())
    assert found, "ioc up did not say where its broker is"
    return Publisher(Settings(kafka_bootstrap=found.group(1)))


@pytest.fixture(scope="module")
def seeded(city) -> dict:
    """An incident on CAMERA (its alarm and snapshot), as the vision worker would send it;
    waits until the API serves it."""
    now = city_now(city)
    publisher = publisher_for(city)
    snapshot = ev.Snapshot(ts=now - timedelta(minutes=2), camera_id=CAMERA, frame_seq=1,
                           width=640, height=360, caption="Nghi va chạm / Crash-like stop")
    publisher.publish(tp.VISION_SNAPSHOTS, snapshot, payload=jpeg("EVIDENCE", 150))
    raised = ev.Alarm(ts=snapshot.ts, source_id=CAMERA, source_kind="camera", alarm_type="crash",
                      action=ev.AlarmAction.RAISE, severity=ev.Severity.CRITICAL,
                      message="Nghi va chạm: hai xe dừng đột ngột / Crash-like stop",
                      evidence_ref=f"/api/snapshots/{snapshot.event_id}.jpg")
    publisher.publish(tp.ALERTS, raised)
    publisher.flush()
    publisher.close()
    alarm_id = str(alarm_id_for(raised))
    wait_until(lambda: any(a["alarm_id"] == alarm_id for a in httpx.get(
        f"{city.api_url}/api/cameras/{CAMERA}/incidents", timeout=10).json()["incidents"]),
        60, "the API serves the seeded incident")
    assert httpx.get(f"{city.api_url}{raised.evidence_ref}", timeout=10).status_code == 200
    return {"alarm_id": alarm_id, "evidence_ref": raised.evidence_ref}


@pytest.fixture
def traffic(city) -> None:
    """The last WINDOWS minutes of CAMERA's traffic, the index climbing to PEAK; per test, as
    the city's clock runs 30x (an hour of windows is two minutes of the test's time)."""
    now = city_now(city)
    publisher = publisher_for(city)
    for i in range(WINDOWS):  # oldest first
        end = now - timedelta(minutes=WINDOWS - i)
        publisher.publish(tp.TRAFFIC_METRICS, ev.TrafficMetric(
            ts=end, camera_id=CAMERA, window_start=end - timedelta(minutes=1),
            counts={"motorcycle": 20 + i, "car": 4, "bus": 1, "person": 2},
            crossings={"motorcycle_in": 9, "car_out": 2}, occupancy=0.3,
            congestion_index=round(PEAK * (i + 1) / WINDOWS, 2), average_speed_kmh=18.0))
    publisher.flush()
    publisher.close()
    newest = (now - timedelta(minutes=1)).isoformat()
    wait_until(lambda: any(w["congestion_index"] == PEAK and w["ts"][:19] == newest[:19]
                           for w in httpx.get(f"{city.api_url}/api/cameras/{CAMERA}/traffic",
                                              timeout=10).json()["windows"]),
               60, "the API serves the seeded traffic windows")


def loaded(page: Page, selector: str) -> None:
    """Wait until an image under `selector` has loaded (not merely been placed)."""
    page.wait_for_function(
        "(sel) => [...document.querySelectorAll(sel)]"
        "  .some(img => img.complete && img.naturalWidth > 0)", arg=selector, timeout=30_000)


def test_the_wall_shows_each_camera_with_its_frame_status_counts_and_the_map(page: Page, city,
                                                                             seeded, traffic):
    page.goto(f"{city.dashboard_url}/cameras")
    live = page.locator(f".cam-tile[data-camera-id='{CAMERA}']")
    expect(live).to_be_visible()
    expect(live).to_have_attribute("data-status", "live")
    expect(live.locator(".pill")).to_have_text(re.compile("Trực tiếp"))
    loaded(page, f".cam-tile[data-camera-id='{CAMERA}'] img.cam-img")
    src = live.locator("img.cam-img").get_attribute("src")
    assert src.startswith("/camera-frame/") and "seq=" in src
    frame = page.request.get(f"{city.dashboard_url}{src}")
    assert frame.ok and frame.headers["content-type"] == "image/jpeg"
    assert frame.headers["cache-control"] == "no-store"
    # counts of the newest window by group, its congestion and the open incident's badge
    expect(live.locator(".cam-count[data-group='two_wheelers'] .cam-count-n")).to_have_text(
        re.compile(r"^\d+$"))
    expect(live.locator(".cam-congestion")).to_have_attribute(
        "data-level", re.compile("free|busy|congested"))
    expect(live.locator(".cam-alarms")).to_be_visible()
    expect(page.locator("#camera-count")).to_have_text(re.compile(r"^\d+ / \d+ trực tuyến$"))
    expect(page.locator("#camera-map .js-plotly-plot")).to_be_visible()
    legend = page.locator("#camera-map .legendtext")
    expect(legend.first).to_be_visible()
    assert {"Trực tiếp", "Chậm cập nhật", "Mất tín hiệu"} <= {
        re.sub(r" \(\d+\)$", "", text)
        for text in legend.evaluate_all("els => els.map(e => e.textContent)")}
    loaded(page, "#camera-grid img.cam-img")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cameras-wall.png"))


def test_a_tile_opens_the_detail_with_its_charts_and_the_incident_snapshot(page: Page, city,
                                                                           seeded, traffic):
    page.goto(f"{city.dashboard_url}/cameras")
    page.locator(f".cam-tile[data-camera-id='{CAMERA}'] .cam-link").click()
    expect(page).to_have_url(re.compile(rf"/cameras\?camera={CAMERA}$"))
    detail = page.locator("#camera-detail")
    expect(detail).to_be_visible()
    expect(page.locator("#cam-detail-pill .pill")).to_have_text(re.compile("Trực tiếp"))
    loaded(page, "#cam-detail-img")
    expect(page.locator("#cam-detail-img")).to_have_attribute("src", re.compile("^/camera-frame/"))

    expect(page.locator("#cam-detail-counts .js-plotly-plot")).to_be_visible()
    page.wait_for_function(
        "() => { const g = document.querySelector('#cam-detail-congestion .js-plotly-plot');"
        "  return g && g.data && g.data.length === 1 && g.data[0].y.length >= 1; }")
    traces = page.evaluate("document.querySelector('#cam-detail-counts .js-plotly-plot').data"
                           ".map(d => [d.name, d.x.length])")
    assert [name for name, _ in traces] == ["Xe hai bánh", "Ô tô", "Xe buýt, xe tải",
                                            "Người đi bộ"]
    assert all(n >= WINDOWS for _, n in traces), traces
    congestion = page.evaluate(
        "document.querySelector('#cam-detail-congestion .js-plotly-plot').data[0].y")
    assert PEAK in congestion

    card = page.locator(f".cam-incident[data-alarm='{seeded['alarm_id']}']")
    expect(card).to_be_visible()
    expect(card).to_have_attribute("data-type", "crash")
    expect(card).to_contain_text("Nghi va chạm giao thông")
    expect(card).to_contain_text("Khẩn cấp")  # critical, in words
    image = card.locator("img.cam-incident-img")
    expect(image).to_have_attribute("src", re.compile(r"^/camera-evidence/[0-9a-f-]{36}\.jpg$"))
    loaded(page, f".cam-incident[data-alarm='{seeded['alarm_id']}'] img")
    page.wait_for_timeout(300)  # let the charts finish their transition for the picture
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cameras-detail.png"))

    page.locator("#lang-en").click()  # the same view in English
    expect(page.locator("#cam-detail-pill .pill")).to_have_text(re.compile("Live"))
    expect(card).to_contain_text("Crash-like stop")
    page.locator("#cam-detail-back").click()
    expect(page).to_have_url(re.compile(r"/cameras$"))
    expect(detail).to_be_hidden()


def test_a_camera_that_stops_sending_turns_offline_without_a_reload(page: Page, city, seeded):
    page.goto(f"{city.dashboard_url}/cameras")
    expect(page.locator(f".cam-tile[data-camera-id='{CAMERA}']")).to_be_visible()
    page.evaluate("window.__sameDocument = true")
    # One frame, stamped 5 scenario minutes ahead (10 s at the city's 30x): live until it is
    # 150 s old on the city's clock (5 s of wall time on the way), stale to 3 times that, then
    # offline: 25 s of wall time in all.
    publisher = publisher_for(city)
    frame = ev.CameraFrame(ts=city_now(city) + timedelta(minutes=5), camera_id=SILENT, seq=1,
                           width=640, height=360)
    publisher.publish(tp.CAMERA_FRAMES, frame, payload=jpeg("ONE FRAME"))
    publisher.flush()
    publisher.close()
    tile = page.locator(f".cam-tile[data-camera-id='{SILENT}']")
    expect(tile).to_have_attribute("data-status", "live", timeout=30_000)
    expect(tile).to_have_attribute("data-status", "offline", timeout=60_000)
    expect(tile.locator(".pill")).to_have_text(re.compile("Mất tín hiệu"))
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def test_the_incident_reaches_control_with_its_evidence(page: Page, city, seeded):
    pressing = httpx.get(f"{city.api_url}/api/alarms", timeout=10).json()["alarms"][:8]
    assert seeded["alarm_id"] in [a["alarm_id"] for a in pressing], \
        "an unacknowledged critical crash is on the operator's first screen"
    page.goto(f"{city.dashboard_url}/control")
    row = page.locator(f".alarm-row[data-alarm='{seeded['alarm_id']}']")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Nghi va chạm giao thông")
    expect(row.locator("img.alarm-evidence")).to_have_attribute(
        "src", re.compile(r"^/camera-evidence/"))
    loaded(page, f".alarm-row[data-alarm='{seeded['alarm_id']}'] img.alarm-evidence")
