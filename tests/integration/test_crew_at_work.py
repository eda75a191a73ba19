"""The simulated crew works through the real API, broker and database: it acknowledges, assigns,
answers and resolves a report as a `sim-` operator, on the API's clock, and its citizen rates
the answer."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from waiting import wait_until

from analytics.triage.worker import make_worker as make_triage_worker
from ioc import topics as tp
from ioc.accounts import is_simulated
from ioc.api.main import create_app
from ioc.clock import FakeClock
from ioc.events import CitizenReport
from ioc.kafka import Publisher
from ioc.persistence import make_worker
from simulators import crew
from simulators.crew_service import Crew
from simulators.reports import citizen_key

pytestmark = pytest.mark.integration

T0 = datetime(2026, 9, 12, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam: the day shift
CENTRE = {"lat": 10.9375, "lon": 107.2420}


@pytest.fixture
def city(settings):
    clock = FakeClock(T0)
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop,))
               for w in (make_worker(settings), make_triage_worker(settings))]
    for thread in threads:
        thread.start()
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client, clock, settings
    stop.set()
    for thread in threads:
        thread.join(30)


def test_the_crew_takes_a_report_from_receipt_to_a_rating(city):
    client, clock, settings = city
    # A report as the simulator sends it, one whose plan is answered, resolved and rated.
    report_id = next(rid for i in range(100) if (rid := f"R-crew{i:04d}")
                     and (p := crew.plan_for(settings.seed, rid, "urgent", T0)).rated
                     and not p.reject)
    publisher = Publisher(settings)
    publisher.publish_durably(tp.CITIZEN_REPORTS, CitizenReport(
        ts=T0, report_id=report_id, client_key=citizen_key(report_id), ward="xuan-an",
        text="Cháy lớn tại chợ, lửa lan sang nhà dân, có người mắc kẹt", **CENTRE))
    publisher.close()
    row = wait_until(lambda: client.get(f"/api/reports/{report_id}").json().get("urgency"),
                     timeout_s=30, what="triage")
    assert row == "urgent"

    desk = Crew(settings, client=client)
    desk.enlist()
    plan = crew.plan_for(settings.seed, report_id, "urgent", T0)

    def status() -> str:
        return client.get(f"/api/reports/{report_id}").json()["status"]

    assert desk.tick() == 0  # nothing is due yet
    clock.set(T0 + plan.acknowledge_after + timedelta(seconds=1))
    desk.tick()
    expected = "rejected" if plan.reject else "acknowledged"
    wait_until(lambda: status() == expected, timeout_s=20, what=expected)
    if plan.reject:
        return
    desk.tick()  # assigns
    clock.set(T0 + plan.respond_after + timedelta(seconds=1))
    desk.tick()
    wait_until(lambda: status() == "responded", timeout_s=20, what="the response")
    detail = client.get(f"/api/reports/{report_id}").json()
    actors = {h["actor"] for h in detail["history"]
              if h["action"] in ("acknowledge", "assign", "respond")}
    assert actors and all(is_simulated(a) for a in actors)
    assert "Trung tâm đã tiếp nhận" in detail["last_response"]

    answered = T0 + plan.respond_after + timedelta(seconds=1)
    clock.set(answered + plan.resolve_after + timedelta(seconds=1))
    desk.tick()
    wait_until(lambda: status() == "resolved", timeout_s=20, what="resolution")
    assert report_id in desk.to_rate
    clock.set(answered + plan.resolve_after + plan.rate_after + timedelta(seconds=5))
    desk.tick()
    rating = wait_until(lambda: client.get(f"/api/reports/{report_id}").json()["rating"],
                        timeout_s=20, what="the citizen's rating")
    assert 1 <= rating <= 5 and report_id not in desk.to_rate


def test_the_simulated_citizen_key_is_the_one_the_simulator_sends():
    from ioc.city import load_city
    from ioc.taxonomy import load_taxonomy
    from simulators.reports import reports_between

    report, _ = next(reports_between(load_city(), load_taxonomy(), 7, T0,
                                     T0 + timedelta(hours=2), 30))
    assert report.client_key == citizen_key(report.report_id)
