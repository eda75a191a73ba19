"""`ioc bench dashboard`: is the operator's queue responsive with 10,000 open reports?

Runs a city without simulators (embedded broker and PostgreSQL, persistence, triage, API,
dashboard), pushes N open citizen reports through Kafka, then measures:
  - how fast they become queue entries (publish -> triage -> persistence -> report_state);
  - the queue API (first page, and filtered) against the raw SQL of the same query;
  - the /control page in headless Chromium: time until the queue shows, and the duration of
    the dashboard's refresh callbacks while it is open.
"""

from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
from rich.console import Console

from ioc import events as ev
from ioc import topics as tp
from ioc.config import Settings
from ioc.embedded import free_port

TEXTS = (
    "Nước ngập sâu trên đường {n}, xe máy chết máy hàng loạt",
    "Đèn đường trước số {n} bị hỏng mấy hôm nay, tối om",
    "Rac thai chat dong o hem {n} da 3 ngay chua thu gom",
    "A tree has fallen across the road near number {n}, cars cannot pass",
    "Có ổ gà lớn trước nhà số {n}, nhiều người đi xe máy bị té",
    "Tieng karaoke o so {n} on den 1 gio sang",
)


def _ms(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100)[q - 1] * 1000 if len(samples) > 1 else 0.0


def _timed_get(client: httpx.Client, url: str, times: int) -> list[float]:
    samples = []
    for _ in range(times):
        t0 = time.perf_counter()
        client.get(url, timeout=30).raise_for_status()
        samples.append(time.perf_counter() - t0)
    return samples


def _reports(n: int, now, city) -> list[ev.CitizenReport]:
    rng = random.Random(5)
    wards = city.wards
    out = []
    for i in range(n):
        ward = wards[i % len(wards)]
        lat, lon = ward.centroid
        out.append(ev.CitizenReport(
            ts=now - timedelta(seconds=rng.uniform(0, 100 * 60)), report_id=f"R-b{i:010d}",
            text=rng.choice(TEXTS).format(n=rng.randint(1, 400)), lat=lat, lon=lon,
            ward=ward.slug, source=ev.ReportSource.APP))
    return out


def run(reports: int, console: Console) -> Iterator[str]:
    from ioc import up as city_up
    from ioc.city import load_city
    from ioc.db.session import connect
    from ioc.kafka import Publisher

    root = Path(tempfile.mkdtemp(prefix="ioc-bench-dash-"))
    root.chmod(0o755)
    settings = Settings(data_dir=root, simulate=False, api_port=free_port(),
                        dashboard_port=free_port(), ingest_port=free_port(),
                        broker_port=free_port(), db_port=free_port(), log_level="WARNING")
    city = city_up.start_infrastructure(settings)
    try:
        city_up.start_services(city)
        stop = threading.Event()
        if city_up.wait_healthy(city, stop, timeout_s=120) is None:
            raise RuntimeError(f"the city did not become healthy; logs in {root / 'logs'}")
        s = city.settings
        publisher = Publisher(s)
        batch = _reports(reports, s.clock().now(), load_city())
        console.print(f"publishing {reports} reports …")
        t0 = time.perf_counter()
        for r in batch:
            publisher.publish(tp.CITIZEN_REPORTS, r)
        publisher.close()
        with connect(s) as conn:
            while conn.execute("SELECT count(*) FROM report_state WHERE status = 'triaged'"
                               ).fetchone()[0] < reports:
                time.sleep(0.2)
        intake_per_s = reports / (time.perf_counter() - t0)

        api = city.api_url
        with httpx.Client() as client:
            first_page = _timed_get(client, f"{api}/api/reports/queue?limit=100", 30)
            filtered = _timed_get(client, f"{api}/api/reports/queue?limit=100&sla_state=warning"
                                          f"&urgency=normal", 30)
            kpis = _timed_get(client, f"{api}/api/kpis", 10)
        raw = []
        with connect(s) as conn:
            for _ in range(30):
                t0 = time.perf_counter()
                conn.execute("SELECT s.*, r.* FROM report_state s JOIN citizen_reports r "
                             "USING (report_id) WHERE s.is_open ORDER BY "
                             "(s.first_response_at IS NOT NULL), s.due_at, s.report_id LIMIT 100"
                             ).fetchall()
                conn.execute("SELECT count(*) FROM report_state WHERE is_open").fetchone()
                raw.append(time.perf_counter() - t0)
        page_ready_s, callbacks = _browser(city.dashboard_url)
    finally:
        city_up.stop_infrastructure(city)
        shutil.rmtree(root, ignore_errors=True)

    yield f"{reports} open reports; 2 cores"
    yield f"intake -> triage -> queue   {intake_per_s:>8,.0f} reports/s"
    yield (f"queue API, first 100       p50 {_ms(first_page, 50):.0f} ms, "
           f"p95 {_ms(first_page, 95):.0f} ms (raw SQL p50 {_ms(raw, 50):.1f} ms)")
    yield f"queue API, filtered         p50 {_ms(filtered, 50):.0f} ms, p95 {_ms(filtered, 95):.0f} ms"
    yield f"KPIs API                    p50 {_ms(kpis, 50):.0f} ms"
    yield (f"/control in Chromium        queue shown after {page_ready_s * 1000:.0f} ms; "
           f"refresh callbacks p50 {_ms(callbacks, 50):.0f} ms, p95 {_ms(callbacks, 95):.0f} ms "
           f"({len(callbacks)} calls in 10 s)")
    yield (f"SUMMARY dashboard open_reports={reports} intake_reports_per_s={intake_per_s:.0f} "
           f"queue_api_p50_ms={_ms(first_page, 50):.0f} queue_api_p95_ms={_ms(first_page, 95):.0f} "
           f"queue_raw_sql_p50_ms={_ms(raw, 50):.1f} filtered_p50_ms={_ms(filtered, 50):.0f} "
           f"kpis_p50_ms={_ms(kpis, 50):.0f} page_ready_ms={page_ready_s * 1000:.0f} "
           f"callback_p50_ms={_ms(callbacks, 50):.0f} callback_p95_ms={_ms(callbacks, 95):.0f}")


def _browser(dashboard_url: str) -> tuple[float, list[float]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        started: dict = {}
        durations: list[float] = []
        page.on("request", lambda r: started.__setitem__(r, time.perf_counter())
                if "_dash-update-component" in r.url else None)
        page.on("requestfinished", lambda r: durations.append(time.perf_counter() - started.pop(r))
                if r in started else None)
        t0 = time.perf_counter()
        page.goto(f"{dashboard_url}/control")
        page.wait_for_selector("#queue-list .q-row:not(.q-head)", timeout=60_000)
        ready = time.perf_counter() - t0
        durations.clear()
        page.wait_for_timeout(10_000)
        browser.close()
    return ready, durations
