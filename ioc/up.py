"""`ioc up`: the whole city on one machine.

Starts the embedded broker and PostgreSQL unless external ones are configured, applies the
migrations, creates the topics, then supervises the workers, simulators, API and dashboard until
Ctrl-C, and stops everything it started.

The terminal is for the person who started it: short lines saying what is ready, the URLs, the
accounts, and what went wrong and what to do. The JSON log of this process goes to
`<data_dir>/logs/up.log`, next to each child's `<name>.log`.
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pydantic import SecretStr
from rich.console import Console
from rich.markup import escape

from ioc.config import Settings, _mask
from ioc.embedded import EmbeddedBroker, EmbeddedError, EmbeddedPostgres, port_open
from ioc.logging import setup_logging
from ioc.supervisor import Supervisor, ioc_command

logger = logging.getLogger(__name__)

WORKERS = ("persistence", "triage", "sensors", "vision")
# They publish: paused while the broker recycles.
PRODUCERS = ("simulators", "api", "ingest", "mqtt")
HEALTHY_WITHIN_S = 90  # after this long without a green /health, say what is still wrong

Ready = Callable[[str, str], None]  # (what, detail): a part of the city is up


def _unheard(_what: str, _detail: str) -> None:
    """For callers with no one at a terminal (the benchmarks)."""


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
    ports = [("IOC_API_PORT", settings.api_port), ("IOC_DASHBOARD_PORT", settings.dashboard_port),
             ("IOC_INGEST_PORT", settings.ingest_port)]
    if settings.embedded_mqtt:
        ports.append(("IOC_MQTT_PORT", settings.mqtt_port))
    listening = list(ports)
    if settings.embedded_kafka:
        listening.append(("IOC_BROKER_PORT", settings.broker_port))
    if settings.embedded_db:
        listening.append(("IOC_DB_PORT", settings.db_port))
    for (name, port), (other, same) in itertools.combinations(listening, 2):
        if port == same:
            raise StartupError(f"{name} and {other} are both {port}: each service needs its "
                               "own port. Set one of them to another.")
    for name, port in ports:
        if port_open(settings.host, port):
            raise StartupError(f"port {port} ({name}) is already in use: is another `ioc up` "
                               f"running? Stop it or set {name} to a free port.")


def _check_vision_model(settings: Settings) -> None:
    """The vision worker's model loads, or `ioc up` stops here naming the file and the fix
    (rather than a worker that restarts for ever)."""
    from analytics.vision.cli import load_detector
    from analytics.vision.detector import ModelError

    try:
        load_detector(settings)
    except ModelError as exc:
        raise StartupError(f"{exc}. Run `make model` to train the default one, or set "
                           "IOC_VISION_MODEL to an Ultralytics detection model exported to ONNX"
                           ) from None


def start_infrastructure(settings: Settings, ready: Ready = _unheard) -> City:
    """Broker, database, migrations, topics. Returns a City with the effective settings."""
    from ioc import sensors, topics
    from ioc.accounts import bootstrap
    from ioc.city import load_city
    from ioc.db.migrate import upgrade
    from ioc.db.session import DatabaseUnavailable, connect
    from ioc.kafka import BrokerUnavailable, ensure_topics

    _check_ports(settings)
    _check_vision_model(settings)
    city = City(settings)
    updates: dict = {}
    try:
        if settings.embedded_kafka:
            city.broker = EmbeddedBroker(settings.broker_port,
                                         log_path=settings.data_dir / "logs" / "broker.log")
            (settings.data_dir / "logs").mkdir(parents=True, exist_ok=True)
            city.broker.start()
            updates["kafka_bootstrap"] = city.broker.bootstrap
            ready("broker", f"embedded, memory-only, at {city.broker.bootstrap}")
        else:
            _check_kafka(settings.kafka_bootstrap)
            ready("broker", f"Kafka at {settings.kafka_bootstrap}")
        if settings.embedded_db:
            city.postgres = EmbeddedPostgres(settings.data_dir, settings.db_port).start()
            updates["database_url"] = SecretStr(city.postgres.url)
        now = datetime.now(UTC)
        updates["scenario_start"] = settings.scenario_start or now
        updates["scenario_epoch"] = settings.scenario_epoch or now
        updates["expected_workers"] = ",".join(WORKERS)  # /health expects what this city runs
        updates["api_url"] = settings.api_base_url  # where the dashboard finds the API
        effective = settings.model_copy(update=updates)
        try:
            connect(effective).close()
        except DatabaseUnavailable as exc:
            raise StartupError(str(exc)) from None
        url = _mask(effective.database_url.get_secret_value())
        ready("database", f"embedded PostgreSQL at {url}, data in {city.postgres.pgdata}"
              if city.postgres else f"PostgreSQL at {url}")
        upgrade(effective)
        ready("schema", f"{effective.db_schema!r} migrated to the latest revision")
        try:
            ensure_topics(effective)
        except BrokerUnavailable as exc:
            raise StartupError(str(exc)) from None
        ready("topics", f"{len(topics.ALL)} ready")
        with connect(effective, autocommit=True) as conn:
            city.new_accounts = bootstrap(conn)
            sensors.register(conn, sensors.from_city(load_city(), effective.sensor_interval_s))
    except BaseException:
        stop_infrastructure(city)
        raise
    city.settings = effective
    city.env = child_env(effective)
    return city


@contextmanager
def local_database(settings: Settings) -> Iterator[tuple[Settings, list[tuple[str, str, str]]]]:
    """The city's database as `ioc up` prepares it: the embedded PostgreSQL from the data
    folder when no IOC_DATABASE_URL is set (or the one a running `ioc up` already serves),
    migrated, with the city's sensors registered and the first accounts made. Yields the
    settings that reach it and the new accounts (username, role, password: shown once)."""
    from ioc import sensors
    from ioc.accounts import bootstrap
    from ioc.city import load_city
    from ioc.db.migrate import upgrade
    from ioc.db.session import connect
    from ioc.embedded import postgres_url

    postgres = None
    try:
        if settings.embedded_db:
            if not port_open("127.0.0.1", settings.db_port):
                postgres = EmbeddedPostgres(settings.data_dir, settings.db_port).start()
            settings = settings.model_copy(update={
                "database_url": SecretStr(postgres_url(settings.db_port))})
        connect(settings).close()  # DatabaseUnavailable says what is wrong, before migrating
        upgrade(settings)
        with connect(settings, autocommit=True) as conn:
            new_accounts = bootstrap(conn)
            sensors.register(conn, sensors.from_city(load_city(), settings.sensor_interval_s))
        yield settings, new_accounts
    finally:
        if postgres is not None:
            postgres.stop()


def child_env(settings: Settings) -> dict[str, str]:
    """This process's environment with every IOC_* variable taken from `settings` (and none
    inherited), so each child runs on exactly the configuration `ioc up` decided."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update(settings.as_env())
    env["PYTHONUNBUFFERED"] = "1"
    return env


def store_history(city: City, ready: Ready = _unheard) -> None:
    """On a first start of a simulated city, its recent past (`ioc history generate`), so the
    wall's figures, resolved on time and satisfaction included, are real from the first
    minute instead of waiting hours for the first resolutions and ratings."""
    import subprocess

    from ioc.db.session import connect

    s = city.settings
    if not (s.simulate and s.history_days):
        return
    with connect(s) as conn:
        if conn.execute("SELECT 1 FROM citizen_reports LIMIT 1").fetchone():
            return  # not a first start: the city has its own past
    log = log_dir(s) / "history.log"
    with open(log, "ab") as out:
        done = subprocess.run(ioc_command("history", "generate", "--days", str(s.history_days)),
                              env=city.env, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise StartupError(f"storing the city's past failed (see {log}); set "
                           "IOC_HISTORY_DAYS=0 to start without it")
    ready("history", f"the last {s.history_days} day(s) of the simulated city stored "
                     f"(simulated crew included; log {log})")


def start_services(city: City, ready: Ready = _unheard) -> Supervisor:
    s = city.settings
    sup = Supervisor(s.data_dir / "logs", city.env)
    for worker in WORKERS:
        sup.add(worker, ioc_command("worker", worker))
    sup.add("api", ioc_command("api"))
    sup.add("ingest", ioc_command("ingest"))
    sup.add("mqtt", ioc_command("mqtt"))
    sup.add("dashboard", ioc_command("dashboard"))
    if s.simulate:
        sup.add("simulators", ioc_command("simulate"))
    if s.crew:
        sup.add("crew", ioc_command("crew"))
    sup.start_all()
    city.supervisor = sup
    ready("services", "started " + ", ".join(service.name for service in sup.services))
    return sup


def stop_infrastructure(city: City) -> None:
    if city.supervisor is not None:
        city.supervisor.stop_all()
    if city.broker is not None:
        city.broker.stop(timeout_s=2)
    if city.postgres is not None:
        city.postgres.stop()


def health(city: City) -> dict:
    """/health's body ("status" is "ok" when the city is green), or what stands in for it while
    the API does not answer yet."""
    try:
        return httpx.get(f"{city.api_url}/health", timeout=2).json()
    except (httpx.HTTPError, ValueError):
        return {"status": "down", "problems": [f"the API does not answer at {city.api_url} yet"]}


def wait_healthy(city: City, stop: threading.Event, timeout_s: float = HEALTHY_WITHIN_S,
                 note: Callable[[str], None] = lambda _line: None) -> dict | None:
    """Poll /health until it is green; returns its body, or None if time ran out. Restarts
    crashed children meanwhile, and tells `note` about each."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not stop.is_set():
        body = health(city)
        if body.get("status") == "ok":
            return body
        if city.supervisor is not None:
            for line in city.supervisor.check():
                note(line)
        stop.wait(0.5)
    return None


def describe(city: City) -> list[tuple[str, str]]:
    s = city.settings
    return [
        ("Dashboard", city.dashboard_url + "/control"),
        ("KPI wall", city.dashboard_url + "/wall"),
        ("API", city.api_url + "/docs"),
        ("Sensor ingest", f"http://{s.host}:{s.ingest_port}/ingest/v1/readings"),
        ("Sensor MQTT", (f"mqtt://{s.host}:{s.mqtt_port}" if s.embedded_mqtt else s.mqtt_url)
         + "  topic ioc/readings/<sensor_id>"),
        ("Health", city.api_url + "/health"),
        ("Logs", str(log_dir(s))),
    ]


def log_dir(settings: Settings) -> Path:
    return settings.data_dir / "logs"


def broker_memory_mb(city: City) -> float:
    import psutil

    if city.broker is None or city.broker.proc is None:
        return 0.0
    try:
        return psutil.Process(city.broker.proc.pid).memory_info().rss / 2**20
    except psutil.NoSuchProcess:
        return 0.0


# Upstream first: triage publishes what persistence then stores.
DRAIN_ORDER = ("triage", "sensors", "vision", "persistence")


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


@dataclass
class Terminal:
    """What `ioc up` tells the person who started it: results (the URLs, the accounts, "the city
    is running") on stdout; progress and problems on stderr. Short lines, never JSON."""

    out: Console
    err: Console

    def ready(self, what: str, detail: str) -> None:
        self.err.print(f"  [green]✓[/] {what:<9} {escape(detail)}", highlight=False,
                       soft_wrap=True)

    def note(self, line: str) -> None:
        self.err.print(f"  [yellow]![/] {escape(line)}", highlight=False, soft_wrap=True)

    def welcome(self, city: City) -> None:
        for name, value in describe(city):
            self.out.print(f" [bold]{name:<14}[/] {escape(value)}", highlight=False,
                           soft_wrap=True)
        if city.new_accounts:
            self.out.print("[bold]Accounts (shown once; change them with `ioc user add`):[/]")
            for username, role, password in city.new_accounts:  # tests read these three words
                self.out.print(f"  {username}  {role}  {password}", highlight=False,
                               markup=False)

    def running(self) -> None:
        self.out.print("[bold green]The city is running.[/] Press Ctrl-C to stop.")


def run(settings: Settings, terminal: Terminal) -> None:
    """`ioc up` from the first line to Ctrl-C: start the city, say where it is, supervise it,
    stop everything it started. Raises StartupError or EmbeddedError, each saying what to do,
    when the city cannot start."""
    _log_to_file(settings)
    stop = install_stop_signals()
    terminal.err.print(f"[bold]IOC[/] starting the city; its logs go to {log_dir(settings)}",
                       highlight=False, soft_wrap=True)
    try:
        city = start_infrastructure(settings, terminal.ready)
    except (StartupError, EmbeddedError) as exc:
        logger.error("the city did not start", extra={"reason": str(exc)})
        raise
    try:
        if stop.is_set():
            return
        store_history(city, terminal.ready)
        start_services(city, terminal.ready)
        terminal.welcome(city)
        terminal.err.print("  … waiting for the workers and the API to report healthy",
                           highlight=False)
        supervise(city, stop, terminal)
    finally:
        logger.info("stopping the city")
        terminal.err.print("stopping …")
        stop_infrastructure(city)
        terminal.err.print("stopped.")


def _log_to_file(settings: Settings) -> None:
    path = log_dir(settings) / "up.log"
    try:
        setup_logging(settings.log_level, "up", log_file=path)
    except OSError as exc:
        raise StartupError(f"cannot write the log {path} ({exc.strerror}): set IOC_DATA_DIR to "
                           "a folder you can write to.") from None


def supervise(city: City, stop: threading.Event, terminal: Terminal) -> None:
    """Until `stop`: say once when the city is green (or, after a while, what is still wrong),
    restart crashed children, and keep the embedded broker within its memory budget."""
    s = city.settings
    patience_until = time.monotonic() + HEALTHY_WITHIN_S
    green = told_not_green = False
    while not stop.is_set():
        for line in city.supervisor.check():
            terminal.note(line)
        if not green:
            body = health(city)
            green = body.get("status") == "ok"
            if green:
                logger.info("the city is healthy")
                terminal.running()
            elif not told_not_green and time.monotonic() > patience_until:
                problems = "; ".join(body.get("problems") or ["unknown"])
                terminal.note(f"not healthy after {HEALTHY_WITHIN_S} s: {problems}. See "
                              f"{city.api_url}/health and the logs in {log_dir(s)}")
                told_not_green = True
        if city.broker is not None and (held := broker_memory_mb(city)) > s.broker_memory_mb:
            terminal.note(f"the embedded broker holds {held:.0f} MB, over its budget "
                          f"(IOC_BROKER_MEMORY_MB={s.broker_memory_mb}): pausing the producers "
                          "until the workers catch up, then restarting it empty …")
            if recycle_broker(city, stop):
                terminal.note(f"embedded broker recycled; it holds "
                              f"{broker_memory_mb(city):.0f} MB now")
            elif not stop.is_set():
                terminal.note("the workers did not catch up in time, so the broker was not "
                              "recycled; trying again")
        stop.wait(1.0 if green else 0.5)
