"""The operator's queue on /control in a real browser against the whole running city.

A citizen's urgent report must reach the operator without a reload, with its 2-hour clock
ticking, and the operator must be able to sign in, acknowledge it and answer the citizen.
Headless Debian Chromium driven by Playwright; every wait is an auto-waiting `expect(...)`.
A failing test leaves a screenshot and the browser console in test-artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from ioc.city import load_city

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SHOTS = Path("/tmp/ioc-queue-shots")
# The page polls every second and persistence adds about one more; the wait is generous so a
# busy machine does not fail it (how fast is `ioc bench dashboard`'s to measure, not this).
ARRIVAL_MS = 30_000
LAT, LON = 10.9375, 107.2420
FIRE = "Cháy lớn tại chợ, có người mắc kẹt"
ANSWER = "Đã điều xe chữa cháy và cứu nạn đến chợ, dự kiến có mặt trong 10 phút."
COUNTDOWN = re.compile(r"^\d+:\d\d:\d\d$")  # h:mm:ss, always


def shot(name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / name


def open_control(page: Page, city) -> None:
    """/control filtered to the ward the test reports come from, watching for arrivals."""
    ward = load_city().ward_at(LAT, LON).slug
    page.goto(f"{city.dashboard_url}/control?ward={ward}")
    page.evaluate("window.__no_reload_marker = 1")
    expect(page.locator("#queue-range")).to_have_text(re.compile(r"\d+"))  # the queue is read
    # The arrival watch has read what was already there; from now on, new is new.
    expect(page.locator("#alert-banner")).to_have_attribute("data-armed", "true")


def submit(city, text: str) -> str:
    return city.submit_report(text, LAT, LON)


def sign_in(page: Page, username: str, password: str) -> None:
    page.locator("#auth-open").click()
    page.locator("#auth-username").fill(username)
    page.locator("#auth-password").fill(password)
    page.locator("#auth-submit").click()


def test_urgent_report_alerts_the_operator_who_answers_it(page: Page, city):
    username, password = city.operator
    open_control(page, city)

    report_id = submit(city, FIRE)
    arrival = page.locator(f"#alert-list [data-report-id='{report_id}']")
    expect(arrival).to_be_visible(timeout=ARRIVAL_MS)  # no reload: the page polls
    expect(page.locator("#alert-banner")).to_be_visible()
    expect(arrival).to_contain_text(FIRE)
    clock = arrival.locator(".countdown")
    expect(clock).to_have_text(COUNTDOWN)
    expect(clock).not_to_have_text(clock.inner_text())  # it ticks in the browser

    arrival.click()
    expect(page.locator("#detail-text")).to_have_text(FIRE)
    detail_clock = page.locator("#detail-countdown")
    expect(detail_clock).to_have_text(COUNTDOWN)
    expect(detail_clock).not_to_have_text(detail_clock.inner_text())
    expect(page.locator("#detail-sla .sla-pill")).to_have_text(
        re.compile("Trong hạn|Sắp hết hạn"))  # a word beside the colour and the icon
    expect(page.locator("#detail-readonly")).to_be_visible()  # reading needs no sign-in

    sign_in(page, username, password)
    expect(page.locator("#auth-who")).to_contain_text(username)
    expect(page.locator("#detail-readonly")).to_be_hidden()

    page.locator("#act-acknowledge").click()
    expect(page.locator("#action-feedback")).to_contain_text("Tiếp nhận")
    expect(page.locator("#detail-status")).to_have_text("Đã tiếp nhận")
    expect(arrival).to_have_count(0)  # acknowledged: no longer an alert

    page.locator("#form-response").fill(ANSWER)
    page.locator("#act-respond").click()
    expect(page.locator("#detail-status")).to_have_text("Đã phản hồi")
    expect(page.locator("#detail-sla")).to_have_attribute("data-sla", "met")
    expect(page.locator("#detail-sla .sla-pill")).to_contain_text("Phản hồi đúng hạn")
    expect(page.locator("#detail-last-response")).to_have_text(ANSWER)
    history = page.locator("#detail-history")
    expect(history).to_contain_text("Phản hồi người dân")
    expect(history).to_contain_text(username)
    expect(page.locator("#detail-export")).to_have_attribute(
        "href", re.compile(rf"/report-files/{report_id}/history\.csv$"))

    # The queue shows it answered, and the API agrees with the screen.
    page.locator("#sla-chip-responded").click()
    row = page.locator(f"#queue-list [data-report-id='{report_id}']")
    expect(row).to_be_visible()
    expect(row.locator(".sla-pill")).to_contain_text("Phản hồi đúng hạn")
    body = httpx.get(f"{city.api_url}/api/reports/{report_id}", timeout=5).json()
    assert (body["status"], body["sla_state"], body["last_response"]) == \
        ("responded", "met", ANSWER)
    csv = page.request.get(f"{city.dashboard_url}/report-files/{report_id}/history.csv")
    assert csv.ok and "respond" in csv.text()
    assert page.evaluate("window.__no_reload_marker") == 1, "the page reloaded"

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "control-vi.png"))
    page.locator("#detail-panel").screenshot(path=str(SHOTS / "detail-vi.png"))
    page.locator("#lang-switch").get_by_role("button", name="EN").click()
    expect(page.locator("#queue-panel .panel-title")).to_have_text("Report queue")
    expect(row).to_be_visible()  # the filters and the open report stay through the switch
    expect(row.locator(".sla-pill")).to_contain_text("Met")
    expect(page.locator("#detail-status")).to_have_text("Responded")
    expect(page.locator("#detail-sla .sla-pill")).to_contain_text("Met")
    page.screenshot(path=str(SHOTS / "control-en.png"))


def test_citizen_text_is_shown_as_text_and_actions_need_sign_in(page: Page, city):
    open_control(page, city)
    # Urgent wording, so that it alerts whether or not triage has seen it yet.
    hostile = ("<script>window.__xss = 1</script><img src=x onerror=\"window.__xss = 2\"> "
               + FIRE)
    report_id = submit(city, hostile)
    arrival = page.locator(f"#alert-list [data-report-id='{report_id}']")
    expect(arrival).to_be_visible(timeout=ARRIVAL_MS)  # the newest: never folded away
    expect(arrival).to_contain_text("<script>window.__xss = 1</script>")

    arrival.click()
    expect(page.locator("#detail-text")).to_have_text(hostile)  # literally, tags and all
    assert page.evaluate("window.__xss") is None, "citizen text ran as code"
    assert page.locator("#detail-text script, #detail-text img").count() == 0

    page.locator("#act-acknowledge").click()  # not signed in
    expect(page.locator("#action-feedback")).to_have_text(re.compile("Cần đăng nhập"))
    sign_in(page, "operator", "not-the-password")
    expect(page.locator("#auth-error")).to_have_text("Sai tên đăng nhập hoặc mật khẩu.")
    page.locator("#auth-cancel").click()
    expect(page.locator("#auth-modal")).to_be_hidden()
    body = httpx.get(f"{city.api_url}/api/reports/{report_id}", timeout=5).json()
    assert body["status"] in ("received", "triaged"), "an action went through without sign-in"


def alert(page: Page, report_id: str):
    return page.locator(f"#alert-list [data-report-id='{report_id}']")


def shown_order(page: Page) -> list[str]:
    """The report ids of the banner's rows that show, top to bottom."""
    return page.locator("#alert-list .alert-row:visible").evaluate_all(
        "rows => rows.map(r => r.dataset.reportId)")


def test_a_burst_of_arrivals_never_hides_the_newest_one(page: Page, city):
    open_control(page, city)
    burst = [submit(city, f"Cháy lớn ở kho hàng số {n}, có người mắc kẹt") for n in range(1, 21)]
    expect(page.locator("#alert-list .alert-row")).to_have_count(20, timeout=3 * ARRIVAL_MS)
    # Folded: how many, the newest and the most pressing (the least time left: the first).
    expect(page.locator("#alert-title")).to_have_text(re.compile(r"^20 phản ánh mới"))
    expect(page.locator("#alert-more")).to_contain_text("18")
    assert shown_order(page) == [burst[-1], burst[0]]
    expect(alert(page, burst[-1]).locator(".alert-role")).to_have_text("Mới nhất")
    expect(alert(page, burst[0]).locator(".alert-role")).to_have_text("Gấp nhất")

    fire = submit(city, FIRE)
    expect(alert(page, fire)).to_be_visible(timeout=ARRIVAL_MS)  # no click, no scroll
    expect(alert(page, fire).locator(".alert-role")).to_have_text("Mới nhất")
    expect(page.locator("#alert-title")).to_have_text(re.compile(r"^21 phản ánh mới"))
    assert shown_order(page) == [fire, burst[0]]
    page.locator("#alert-banner").screenshot(path=str(shot("burst-folded-vi.png")))

    # Unfolded, all of them: the newest on top, then the least time left first.
    page.locator("#alert-more").click()
    expect(page.locator("#alert-list .alert-row:visible")).to_have_count(21)
    assert shown_order(page) == [fire, *burst]
    page.locator("#alert-banner").screenshot(path=str(shot("burst-expanded-vi.png")))
    page.mouse.move(5, 1000)  # away from the banner, which the operator has scrolled down
    page.locator("#alert-banner").evaluate("b => { b.scrollTop = b.scrollHeight; }")
    later = submit(city, "Tai nạn giao thông nghiêm trọng, có người bị thương nặng")
    expect(alert(page, later)).to_be_in_viewport(timeout=ARRIVAL_MS)  # scrolled into view
    assert shown_order(page)[:2] == [later, burst[0]]


def test_a_row_stays_under_the_pointer_while_others_arrive(page: Page, city):
    open_control(page, city)
    first, second = (submit(city, f"Ngập sâu ở hẻm {n}, nước tràn vào nhà dân, có người già "
                                  "mắc kẹt") for n in (1, 2))
    expect(alert(page, second)).to_be_visible(timeout=ARRIVAL_MS)
    assert shown_order(page) == [second, first]

    # Folded: the pointer rests on the newest row; one more arrives.
    row = alert(page, second)
    row.hover()
    where = row.bounding_box()
    third = submit(city, FIRE)
    expect(alert(page, third)).to_be_visible(timeout=ARRIVAL_MS)  # shown below, not over it
    assert shown_order(page) == [second, third, first]
    assert row.bounding_box() == where, "the row moved from under the pointer"
    row.click()  # the report the operator aimed at is the one that opens
    expect(page.locator("#detail-text")).to_contain_text("hẻm 2")

    # The pointer leaves: the banner settles, the newest on top.
    page.mouse.move(5, 1000)
    expect(page.locator("#alert-list .alert-row:visible").first).to_have_attribute(
        "data-report-id", third)
    assert shown_order(page) == [third, first]

    # Unfolded, with the pointer on a row further down.
    page.locator("#alert-more").click()
    row = alert(page, first)
    row.hover()
    where = row.bounding_box()
    fourth = submit(city, "Cây đổ đè người đi đường, cần cấp cứu gấp")
    expect(alert(page, fourth)).to_be_visible(timeout=ARRIVAL_MS)
    assert shown_order(page) == [third, first, fourth, second]
    assert row.bounding_box() == where, "the row moved from under the pointer"


ARRANGE = """([alerts, seen, expanded, hold]) => {
  const plan = IOC.alerts.arrange(alerts.map(([key, at]) => ({key, at})), new Set(seen),
                                  expanded, hold);
  return [plan.rows.slice(0, plan.shown).map(a => a.key), plan.roles];
}"""


@pytest.mark.parametrize(("rows", "seen", "expanded", "hold", "shown", "roles"), [
    # rows come the least time left first: (id, received at)
    ([("old", "08:00"), ("mid", "08:05"), ("new", "08:10")], [], False, None,
     ["new", "old"], {"new": ["newest"], "old": ["pressing"]}),
    ([("old", "08:00"), ("mid", "08:05"), ("new", "08:10")], [], True, None,
     ["new", "old", "mid"], {"new": ["newest"], "old": ["pressing"]}),
    # opened (or dismissed): the newest the operator has not seen takes its place
    ([("old", "08:00"), ("mid", "08:05"), ("new", "08:10")], ["new"], False, None,
     ["mid", "old"], {"mid": ["newest"], "old": ["pressing"]}),
    ([("old", "08:00"), ("new", "08:10")], ["old", "new"], False, None,
     ["old"], {"old": ["pressing"]}),
    # the pointer rests on "mid", shown first before "new" came: it stays, "new" shows below
    ([("old", "08:00"), ("mid", "08:05"), ("new", "08:10")], [], False, ["mid"],
     ["mid", "new", "old"], {"new": ["newest"], "old": ["pressing"]}),
    ([("old", "08:00"), ("mid", "08:05"), ("new", "08:10")], [], True, ["mid", "old"],
     ["mid", "old", "new"], {"new": ["newest"], "old": ["pressing"]}),
    # one alone needs no label; the newest may also be the most pressing
    ([("only", "08:00")], [], False, None, ["only"], {}),
    ([("new", "08:10"), ("calm", "08:00")], [], False, None,
     ["new"], {"new": ["newest", "pressing"]}),
])
def test_the_banner_shows_the_newest_not_seen_and_the_most_pressing(
        page: Page, city, rows, seen, expanded, hold, shown, roles):
    """The banner's rule (assets/alerts.js `arrange`), on made-up rows."""
    page.goto(f"{city.dashboard_url}/replay")
    alerts = [[key, f"2026-12-02T{at}:00+00:00"] for key, at in rows]
    assert page.evaluate(ARRANGE, [alerts, seen, expanded, hold]) == [shown, roles]
