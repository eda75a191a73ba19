"""`ioc up`: the whole city on one machine.

Starts the embedded broker and PostgreSQL unless external ones are configured, applies the
migrations, creates the topics, then supervises the workers, simulators, API and dashboard until
Ctrl-C, and stops everything it started.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from pydantic import SecretStr

from ioc.config import Settings, _mask
from ioc.embedded import EmbeddedBroker, EmbeddedPostgres, port_open
from ioc.supervisor import Supervisor, ioc_command

logger = logging.getLogger(__name__)

WORKERS = ("persistence", "triage")
PRODUCERS = ("simulators", "api", "ingest")  # services that publish: paused while the broker recycles


class StartupError(RuntimeError):
    """Something `ioc up` needs is missing; the message names it and how to fix it."""


@dataclass
class City:
    settings: Settings
    broker: EmbeddedBroker | None = None
    new_accounts: list[tuple[str, str, str]] = field(default_factory=list)
    postgres: EmbeddedPostgres | None = None
    supervisor: Supervisor | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.api_port}"

    @property
    def dashboard_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.dashboard_port}"


def _check_kafka(bootstrap: str) -> None:
    hosts = [h.strip() for h in bootstrap.split(",") if h.strip()]
    for hostport in hosts:
        host, _, port = hostport.rpartition(":")
        if port.isdigit() and port_open(host or "127.0.0.1", int(port)):
            return
    raise StartupError(
        f"no Kafka broker answers at IOC_KAFKA_BOOTSTRAP={bootstrap!r}. Start the broker, fix "
        "the address, or unset IOC_KAFKA_BOOTSTRAP to use the embedded broker.")


def _check_ports(settings: Settings) -> None:
    for name, port in (("IOC_API_PORT", settings.api_port),
                       ("IOC_DASHBOARD_PORT", settings.dashboard_port),
                       ("IOC_INGEST_PORT", settings.ingest_port)):
        if port_open(settings.host, port):
            raise StartupError(f"port {port} ({name}) is already in use: is another `ioc up` "
                               f"running? Stop it or set {name} to a free port.")


def start_infrastructure(settings: Settings) -> City:
    """Broker, database, migrations, topics. Returns a City with the effective settings."""
    from ioc.accounts import bootstrap
    from ioc.db.migrate import upgrade
    from ioc.db.session import DatabaseUnavailable, connect
    from ioc.kafka import ensure_topics

    _check_ports(settings)
    city = City(settings)
    updates: dict = {}
    try:
        if settings.embedded_kafka:
            city.broker = EmbeddedBroker(settings.broker_port,
                                         log_path=settings.data_dir / "logs" / "broker.log")
            (settings.data_dir / "logs").mkdir(parents=True, exist_ok=True)
            city.broker.start()
            updates["kafka_bootstrap"] = city.broker.bootstrap
        else:
            _check_kafka(settings.kafka_bootstrap)
        if settings.embedded_db:
            city.postgres = EmbeddedPostgres(settings.data_dir, settings.db_port).start()
            updates["database_url"] = SecretStr(city.postgres.url)
        now = datetime.now(UTC)
        updates["scenario_start"] = settings.scenario_start or now
        updates["scenario_epoch"] = settings.scenario_epoch or now
        effective = settings.model_copy(update=updates)
        try:
            connect(effective).close()
        except DatabaseUnavailable as exc:
            raise StartupError(str(exc)) from None
        upgrade(effective)
        ensure_topics(effective)
        with connect(effective, autocommit=True) as conn:
            city.new_accounts = bootstrap(conn)
    except BaseException:
        stop_infrastructure(city)
        raise
    city.settings = effective
    city.env = child_env(effective)
    return city


def child_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update({
        "IOC_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "IOC_DATABASE_URL": settings.database_url.get_secret_value(),
        "IOC_DB_SCHEMA": settings.db_schema,
        "IOC_TOPIC_PREFIX": settings.topic_prefix,
        "IOC_DATA_DIR": str(settings.data_dir),
        "IOC_HOST": settings.host,
        "IOC_API_PORT": str(settings.api_port),
        "IOC_DASHBOARD_PORT": str(settings.dashboard_port),
        "IOC_INGEST_PORT": str(settings.ingest_port),
        "IOC_SEED": str(settings.seed),
        "IOC_SCENARIO_SPEED": str(settings.scenario_speed),
        "IOC_SCENARIO_START": settings.scenario_start.isoformat(),
        "IOC_SCENARIO_EPOCH": settings.scenario_epoch.isoformat(),
        "IOC_SENSOR_INTERVAL_S": str(settings.sensor_interval_s),
        "IOC_REPORT_RATE_PER_H": str(settings.report_rate_per_h),
        "IOC_CAMERA_FPS": str(settings.camera_fps),
        "IOC_CAMERAS": str(settings.cameras),
        "IOC_LOG_LEVEL": settings.log_level,
        "IOC_SECRET_KEY": settings.secret_key.get_secret_value(),
        "IOC_API_URL": settings.api_base_url,
        "IOC_EXPECTED_WORKERS": ",".join(WORKERS),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def start_services(city: City) -> Supervisor:
    s = city.settings
    sup = Supervisor(s.data_dir / "logs", city.env)
    for worker in WORKERS:
        sup.add(worker, ioc_command("worker", worker))
    sup.add("api", ioc_command("api"))
    sup.add("ingest", ioc_command("ingest"))
    sup.add("dashboard", ioc_command("dashboard"))
    if s.simulate:
        sup.add("simulators", ioc_command("simulate"))
    sup.start_all()
    city.supervisor = sup
    return sup


def stop_infrastructure(city: City) -> None:
    if city.supervisor is not None:
        city.supervisor.stop_all()
    if city.broker is not None:
        city.broker.stop(timeout_s=2)
    if city.postgres is not None:
        city.postgres.stop()


def wait_healthy(city: City, stop: threading.Event, timeout_s: float = 90) -> dict | None:
    """Poll /health until it is green; returns its body, or None if time ran out."""
    deadline = time.monotonic() + timeout_s
    body = None
    while time.monotonic() < deadline and not stop.is_set():
        try:
            r = httpx.get(f"{city.api_url}/health", timeout=2)
            body = r.json()
            if r.status_code == 200:
                return body
        except (httpx.HTTPError, ValueError):
            pass
        if city.supervisor is not None:
            city.supervisor.check()
        stop.wait(0.5)
    return None


def describe(city: City) -> list[tuple[str, str]]:
    s = city.settings
    return [
        ("Dashboard", city.dashboard_url + "/control"),
        ("KPI wall", city.dashboard_url + "/wall"),
        ("API", city.api_url + "/docs"),
        ("Sensor ingest", f"http://{s.host}:{s.ingest_port}/ingest/v1/readings"),
        ("Health", city.api_url + "/health"),
        ("Kafka", f"{s.kafka_bootstrap} ({'embedded, memory-only' if city.broker else 'external'})"),
        ("PostgreSQL", f"{_mask(s.database_url.get_secret_value())} "
                       f"({'embedded, data in ' + str(s.data_dir / 'postgres') if city.postgres else 'external'})"),
        ("Logs", str(s.data_dir / "logs")),
    ]


def broker_memory_mb(city: City) -> float:
    import psutil

    if city.broker is None or city.broker.proc is None:
        return 0.0
    try:
        return psutil.Process(city.broker.proc.pid).memory_info().rss / 2**20
    except psutil.NoSuchProcess:
        return 0.0


# Upstream first: triage publishes what persistence then stores.
DRAIN_ORDER = ("triage", "persistence")


def _drained_after(city: City, worker: str, since):
    """When `worker` last reported an empty poll after `since` (all it was given is handled and
    committed), else None."""
    from ioc.db import queries
    from ioc.db.session import engine

    with engine(city.settings).connect() as conn:
        rows = queries.worker_status(conn)
    times = [r["ts"] for r in rows if r["worker"] == worker and r["ts"] > since
             and r["caught_up"] and r["lag_s"] == 0]
    return min(times) if times else None


def recycle_broker(city: City, stop: threading.Event, drain_timeout_s: float = 60) -> bool:
    """Bound the memory-only embedded broker: pause producers, let every worker drain, then
    restart the broker empty. Nothing unconsumed is lost; camera frames in flight are (they are
    only worth anything live). Returns False if the workers did not drain (retry later)."""
    from ioc.kafka import ensure_topics

    sup = city.supervisor
    logger.warning("embedded broker over its memory budget; recycling it",
                   extra={"rss_mb": round(broker_memory_mb(city)),
                          "budget_mb": city.settings.broker_memory_mb})
    sup.stop(set(PRODUCERS))
    since = datetime.now(UTC)
    deadline = time.monotonic() + drain_timeout_s
    for worker in DRAIN_ORDER:  # each must drain after the one upstream of it has
        while (drained_at := _drained_after(city, worker, since)) is None:
            if time.monotonic() > deadline or stop.is_set():
                logger.error("workers did not drain; broker not recycled, will retry",
                             extra={"worker": worker})
                sup.start_all()
                return False
            stop.wait(0.5)
        since = drained_at
    sup.stop(set(WORKERS))
    city.broker.stop(timeout_s=2)
    city.broker.start()
    ensure_topics(city.settings)
    sup.start_all()
    logger.warning("embedded broker recycled", extra={"rss_mb": round(broker_memory_mb(city))})
    return True


def install_stop_signals() -> threading.Event:
    stop = threading.Event()

    def _handler(_signum, _frame):
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGHUP: the terminal closed
        signal.signal(sig, _handler)
    return stop
