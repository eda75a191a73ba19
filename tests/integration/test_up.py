"""`ioc up` brings the city to a green /health; Ctrl-C stops everything it started; a second
`ioc up` finds the data of the first."""

from __future__ import annotations

import httpx
import psutil
import pytest
from conftest import healthy, start_city, stop_city, wait_healthy
from waiting import wait_until

pytestmark = pytest.mark.integration


def _descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def _reports(api_url: str) -> set[str]:
    return {r["report_id"] for r in httpx.get(f"{api_url}/api/reports/recent?limit=1000",
                                              timeout=5).json()}


def test_up_runs_the_city_and_ctrl_c_leaves_nothing_behind(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("up") / "data"
    data_dir.parent.chmod(0o755)
    first = start_city(data_dir)
    try:
        wait_healthy(first)
        health = httpx.get(f"{first.api_url}/health", timeout=5).json()
        assert health["workers"]["persistence"]["status"] in ("ok", "lagging")
        reports = wait_until(lambda: _reports(first.api_url), 60, "simulated reports are stored")
        # What the person at the terminal is told (ioc up polls /health on its own clock).
        wait_until(lambda: "The city is running." in first.output(), 30,
                   "ioc up tells its terminal that the city is running")
        children = _descendants(first.proc.pid)
        names = " ".join(" ".join(p.cmdline()) for p in children)
        for part in ("tansu", "postgres", "worker persistence", " api", "dashboard", "simulate"):
            assert part in names, f"{part!r} not among the processes ioc up started: {names}"
    finally:
        code = stop_city(first, timeout_s=15)
    assert code == 0, first.output()[-3000:]
    alive = [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"left behind: {[p.cmdline() for p in alive]}"

    second = start_city(data_dir)
    try:
        wait_healthy(second)
        assert reports & _reports(second.api_url), "the second run sees the first run's reports"
        assert "Accounts (shown once" in first.output()
        assert "Accounts (shown once" not in second.output(), "credentials are printed once"
        assert first.output().count("The city is running.") == 1
        assert '{"ts": ' not in first.output(), "the terminal gets short lines; JSON goes to up.log"
        assert '"msg": "the city is healthy"' in (data_dir / "logs" / "up.log").read_text()
    finally:
        stop_city(second, timeout_s=15)


def _pids(city, name: str) -> set[int]:
    return {p.pid for p in _descendants(city.proc.pid) if name in " ".join(p.cmdline())}


def test_a_crashed_worker_is_restarted_and_the_broker_stays_within_its_memory(
        tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("recycle") / "data"
    data_dir.parent.chmod(0o755)
    # Many fast cameras fill the memory-only broker quickly; a small budget makes it recycle.
    city = start_city(data_dir, IOC_CAMERAS="16", IOC_CAMERA_FPS="8", IOC_BROKER_MEMORY_MB="96")
    try:
        wait_healthy(city)
        (worker,) = _pids(city, "worker persistence")
        psutil.Process(worker).kill()
        wait_until(lambda: _pids(city, "worker persistence") - {worker}, 30,
                   "the killed persistence worker is started again")
        wait_until(lambda: "embedded broker recycled" in city.output(), 180,
                   "the broker is drained and restarted at its memory budget")
        before = wait_until(lambda: healthy(city) and len(_reports(city.api_url)), 90,
                            "the city is healthy again after the recycle")
        wait_until(lambda: len(_reports(city.api_url)) > before, 90,
                   "reports flow again after the recycle")
    finally:
        stop_city(city, timeout_s=15)
    terminal = city.output()
    assert "persistence was killed by SIGKILL; restarting it" in terminal
    assert '{"ts": ' not in terminal, "the terminal gets short lines; JSON goes to up.log"
    log = (data_dir / "logs" / "up.log").read_text()
    assert "crashed; restarting" in log and '"service": "persistence"' in log
