"""Fixtures: a real broker and a real PostgreSQL, started once per run on free ports.

Each test gets its own topics (a unique prefix) and its own database schema, so tests never see
each other's data. `city` runs the whole stack with `ioc up`, as a user would.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from waiting import wait_until

from ioc.config import Settings
from ioc.embedded import EmbeddedBroker, EmbeddedPostgres, free_port, free_ports

ROOT = Path(__file__).resolve().parent.parent

# Client threads (kafka-python's) that outlive a test log into streams pytest has closed; by
# default logging then prints a traceback for each failed emit, and on CPython 3.11.7 two
# threads formatting tracebacks at once (traceback parses source lines with `ast`) can trip
# "SystemError: AST constructor recursion depth mismatch" (a race in CPython, gh-106905).
logging.raiseExceptions = False
pytest_plugins = [
    "browser.chromium",  # the `browser` and `page` fixtures
    "integration.reports_api",  # `api`: the citizen-report API with its workers
]


@dataclass
class Infra:
    broker: EmbeddedBroker
    postgres: EmbeddedPostgres
    root: Path


@pytest.fixture(scope="session")
def infra():
    root = Path(tempfile.mkdtemp(prefix="ioc-test-"))
    root.chmod(0o755)
    postgres = EmbeddedPostgres(root / "pg", free_port(), fast_unsafe=True).start()
    broker = EmbeddedBroker(free_port(), log_path=root / "broker.log").start()
    yield Infra(broker, postgres, root)
    broker.stop(timeout_s=2)
    postgres.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def settings(infra: Infra) -> Settings:
    """Settings for one test: its own schema (migrated) and its own topics (created)."""
    from ioc.db.migrate import upgrade
    from ioc.kafka import ensure_topics

    tag = uuid.uuid4().hex[:8]
    s = Settings(kafka_bootstrap=infra.broker.bootstrap,
                 database_url=SecretStr(infra.postgres.url),
                 db_schema=f"t_{tag}", topic_prefix=f"t{tag}.",
                 data_dir=infra.root / f"data-{tag}", batch_max=500, heartbeat_interval_s=0.5)
    upgrade(s)
    ensure_topics(s)
    return s


@dataclass
class RunningCity:
    proc: subprocess.Popen
    api_url: str
    dashboard_url: str
    data_dir: Path
    log: Path
    db_url: str
    mqtt_port: int = 0
    last_health: str = "(no answer yet)"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def submit_report(self, text: str, lat: float = 10.9375, lon: float = 107.2420) -> str:
        """A citizen report through the citizen app's door (POST /api/reports); its id."""
        response = httpx.post(f"{self.api_url}/api/reports", timeout=10,
                              json={"text": text, "lat": lat, "lon": lon})
        assert response.status_code == 201, response.text
        return response.json()["report_id"]

    @property
    def operator(self) -> tuple[str, str]:
        """The demo operator `ioc up` created and printed once: (username, password)."""
        return self.account("operator")

    def account(self, role: str) -> tuple[str, str]:
        for line in self.output().splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] == role:
                return parts[0], parts[2]
        raise AssertionError(f"ioc up printed no {role} account")


def start_city(data_dir: Path, **env_overrides: str) -> RunningCity:
    """`ioc up` on free ports with its own embedded broker and database."""
    api_port, dash_port, db_port, mqtt_port, broker_port, ingest_port = free_ports(6)
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update({
        "IOC_DATA_DIR": str(data_dir), "IOC_API_PORT": str(api_port),
        "IOC_DASHBOARD_PORT": str(dash_port), "IOC_BROKER_PORT": str(broker_port),
        "IOC_INGEST_PORT": str(ingest_port), "IOC_MQTT_PORT": str(mqtt_port),
        "IOC_DB_PORT": str(db_port), "IOC_SCENARIO_SPEED": "30",
        "IOC_REPORT_RATE_PER_H": "600", "IOC_REPORT_BACKLOG_H": "0", "PYTHONUNBUFFERED": "1",
        "IOC_HISTORY_DAYS": "0",  # a test city starts empty unless a test asks for a past
        **env_overrides,
    })
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"up-{uuid.uuid4().hex[:6]}.out"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "ioc.cli", "up"], env=env, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return RunningCity(proc, f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{dash_port}",
                       data_dir, log, f"postgresql://postgres@127.0.0.1:{db_port}/ioc",
                       mqtt_port)


def healthy(city: RunningCity) -> bool:
    if city.proc.poll() is not None:
        raise AssertionError(f"ioc up exited with {city.proc.returncode}:\n{city.output()[-3000:]}")
    response = httpx.get(f"{city.api_url}/health", timeout=5)
    city.last_health = response.text
    return response.status_code == 200


def wait_healthy(city: RunningCity, timeout_s: float = 180) -> None:
    """Until /health is green; if it never is, the failure shows what the city said: /health's
    last answer, ioc up's output and the end of every service's log."""
    try:
        wait_until(lambda: healthy(city), timeout_s, "ioc up reports a green /health")
    except AssertionError as exc:
        logs = "".join(f"\n--- {log.name}\n" + "\n".join(log.read_text(errors="replace")
                                                        .splitlines()[-15:])
                       for log in sorted((city.data_dir / "logs").glob("*.log")))
        raise AssertionError(f"{exc}\n/health said: {city.last_health[:2000]}\n"
                             f"ioc up said:\n{city.output()[-3000:]}{logs}") from None


def stop_city(city: RunningCity, timeout_s: float = 20) -> int:
    if city.proc.poll() is None:
        city.proc.send_signal(signal.SIGINT)
        try:
            city.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(city.proc.pid, signal.SIGKILL)
            raise
    return city.proc.returncode


# The session's city sends no citizen reports of its own (sensors and cameras still run): a test
# that needs reports submits them, so what it sees never depends on what a simulator sent.
# Nor does a simulated crew act on them: the tests are the operators.
QUIET = {"IOC_REPORT_RATE_PER_H": "0", "IOC_REPORT_BACKLOG_H": "0", "IOC_CREW": "false"}


_session_city: list[tuple[RunningCity, Path]] = []


@pytest.fixture(scope="session")
def city():
    root = Path(tempfile.mkdtemp(prefix="ioc-city-"))
    root.chmod(0o755)
    running = start_city(root / "data", **QUIET)
    _session_city.append((running, root))
    try:
        wait_healthy(running)
        yield running
    finally:
        _stop_session_city()


def _stop_session_city() -> None:
    while _session_city:
        running, root = _session_city.pop()
        stop_city(running)
        shutil.rmtree(root, ignore_errors=True)


# A running city keeps a third of a core busy (cameras, vision, sensors): the tests that use it run
# together, first, and it stops after the last of them instead of loading the rest of the suite.
def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: "city" not in item.fixturenames)  # stable: files keep their order


@pytest.hookimpl(trylast=True)  # after the test's own fixtures, which may still call the city
def pytest_runtest_teardown(item, nextitem):
    if "city" in item.fixturenames and (nextitem is None or "city" not in nextitem.fixturenames):
        _stop_session_city()
