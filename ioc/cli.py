"""The `ioc` command. Commands are thin: parse, call one function, print.

Stages are imported lazily inside the commands that run them, so `ioc config` stays fast and the
core never depends on a stage at import time.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from ioc.config import Settings, describe, get_settings
from ioc.logging import setup_logging

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="IOC: Intelligent Operations Center for a city control room.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks; the last line is SUMMARY ...")
user_app = typer.Typer(no_args_is_help=True, help="Operator, leader, engineer and admin accounts.")
apikey_app = typer.Typer(no_args_is_help=True, help="Open311 API keys.")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(apikey_app, name="apikey")
app.add_typer(bench_app, name="bench")
triage_app = typer.Typer(
    invoke_without_command=True,
    help="Citizen report triage. `ioc triage --in FILE.jsonl --out FILE.jsonl` classifies a "
         "file; the subcommands build, train and evaluate the model.")
app.add_typer(triage_app, name="triage")

out = Console()
err = Console(stderr=True)
logger = logging.getLogger("ioc.cli")


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        lines = [f"  IOC_{'_'.join(map(str, e['loc'])).upper()}={e.get('input')!r}: {e['msg']}"
                 for e in exc.errors(include_url=False)]
        fail("invalid configuration:\n" + "\n".join(lines))
        raise  # unreachable


@app.command()
def config() -> None:
    """Print the effective configuration (secrets masked)."""
    table = Table("variable", "value", "meaning")
    for name, value, meaning in describe(settings_or_exit()):
        table.add_row(name, value, meaning)
    out.print(table)


@app.command()
def up() -> None:
    """Run the whole city: broker, database, workers, simulators, API, dashboard."""
    from ioc import up as city_up
    from ioc.embedded import EmbeddedError

    settings = settings_or_exit()
    setup_logging(settings.log_level, "up")
    stop = city_up.install_stop_signals()
    err.print("[bold]IOC[/] starting the city …")
    try:
        city = city_up.start_infrastructure(settings)
    except (city_up.StartupError, EmbeddedError) as exc:
        fail(str(exc))
    try:
        sup = city_up.start_services(city)
        for name, value in city_up.describe(city):
            out.print(f" [bold]{name:<14}[/] {value}", highlight=False, soft_wrap=True)
        if city.new_accounts:
            out.print("[bold]Accounts (shown once; change them with `ioc user add`):[/]")
            for username, role, password in city.new_accounts:
                out.print(f"  {username}  {role}  {password}", highlight=False)
        health = city_up.wait_healthy(city, stop)
        if stop.is_set():
            return
        if health is None:
            err.print(f"[yellow]not healthy yet[/]: see {city.api_url}/health and the logs")
        else:
            out.print("[bold green]The city is running.[/] Press Ctrl-C to stop.")
        while not stop.is_set():
            for note in sup.check():
                err.print(f"[yellow]{note}[/]")
            if city_up.broker_memory_mb(city) > settings.broker_memory_mb:
                err.print("[yellow]recycling the embedded broker (memory budget reached) …[/]")
                city_up.recycle_broker(city, stop)
            stop.wait(1.0)
    finally:
        err.print("stopping …")
        city_up.stop_infrastructure(city)
        err.print("stopped.")


@app.command()
def worker(name: Annotated[str, typer.Argument(help="persistence or triage")]) -> None:
    """Run one worker (a consumer-group member) until SIGTERM."""
    from ioc.worker import stop_on_signals

    settings = settings_or_exit()
    setup_logging(settings.log_level, name)
    if name == "persistence":
        from ioc.persistence import make_worker
    elif name == "triage":
        from analytics.triage.worker import make_worker
    else:
        fail(f"unknown worker {name!r}; known: persistence, triage")
    stop = stop_on_signals()
    make_worker(settings).run(stop)


@app.command()
def simulate() -> None:
    """Run the city simulators (sensors, citizen reports, cameras) on the scenario clock."""
    from ioc.clock import ScenarioClock
    from ioc.kafka import Publisher
    from ioc.worker import stop_on_signals
    from simulators import scenario

    settings = settings_or_exit()
    setup_logging(settings.log_level, "simulators")
    stop = stop_on_signals()
    publisher = Publisher(settings)
    try:
        clock = settings.clock()
        if not isinstance(clock, ScenarioClock):  # run on its own: the scenario starts now
            clock = ScenarioClock(speed=settings.scenario_speed)
        scenario.run(settings, publisher, clock, stop)
    finally:
        publisher.close()


@app.command()
def api() -> None:
    """Serve the HTTP API (FastAPI) on IOC_HOST:IOC_API_PORT."""
    import uvicorn

    settings = settings_or_exit()
    setup_logging(settings.log_level, "api")
    uvicorn.run("ioc.api.main:create_app", factory=True, host=settings.host,
                port=settings.api_port, log_config=None, access_log=False)


@app.command()
def ingest() -> None:
    """Serve the HTTP ingest door for sensor gateways on IOC_HOST:IOC_INGEST_PORT."""
    import uvicorn

    from ingest.http import create_app
    from ioc.kafka import Publisher

    settings = settings_or_exit()
    setup_logging(settings.log_level, "ingest")
    uvicorn.run(create_app(Publisher(settings)), host=settings.host, port=settings.ingest_port,
                log_config=None, access_log=False)


@app.command()
def dashboard() -> None:
    """Serve the Dash dashboard on IOC_HOST:IOC_DASHBOARD_PORT."""
    from dashboard.app import serve

    settings = settings_or_exit()
    setup_logging(settings.log_level, "dashboard")
    serve(settings)


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Username")],
    role: Annotated[str, typer.Option(help="operator, leader, engineer or admin")],
    password: Annotated[str | None, typer.Option(help="Generated and printed when omitted")] = None,
) -> None:
    """Create a user (or reset one's role and password)."""
    from ioc.accounts import AccountError, add_user
    from ioc.db.session import DatabaseUnavailable, connect

    settings = settings_or_exit()
    try:
        with connect(settings, autocommit=True) as conn:
            chosen = add_user(conn, name, role, password)
    except (AccountError, DatabaseUnavailable) as exc:
        fail(str(exc))
    out.print(f"user {name} ({role}) saved")
    if password is None:
        out.print(f"password: {chosen}", highlight=False)


@apikey_app.command("create")
def apikey_create(name: Annotated[str, typer.Argument(help="Who the key is for")]) -> None:
    """Create an Open311 API key; the key is the last line printed (shown once)."""
    from ioc.accounts import create_api_key
    from ioc.db.session import DatabaseUnavailable, connect

    settings = settings_or_exit()
    try:
        with connect(settings, autocommit=True) as conn:
            key = create_api_key(conn, name)
    except DatabaseUnavailable as exc:
        fail(str(exc))
    err.print(f"API key for {name} (store it now; it is not shown again):")
    out.print(key, highlight=False)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations to IOC_DATABASE_URL."""
    from ioc.db.migrate import upgrade

    settings = settings_or_exit()
    setup_logging(settings.log_level)
    upgrade(settings)
    out.print("schema is up to date")


@bench_app.command("ingest")
def bench_ingest(
    events: Annotated[int, typer.Option(help="Sensor readings to push through")] = 300_000,
    rate: Annotated[float, typer.Option(help="Events/s for the latency phase")] = 2_000,
) -> None:
    """Broker -> persistence worker -> PostgreSQL, against the raw broker and COPY rates."""
    from ioc.bench.ingest import run

    setup_logging("WARNING")
    for line in run(events=events, latency_rate=rate, console=err):
        out.print(line, highlight=False, soft_wrap=True)


@bench_app.command("dashboard")
def bench_dashboard(
    reports: Annotated[int, typer.Option(help="Open reports in the queue")] = 10_000,
) -> None:
    """The operator queue with many open reports: API and /control in headless Chromium."""
    from ioc.bench.dashboard import run

    setup_logging("WARNING")
    for line in run(reports=reports, console=err):
        out.print(line, highlight=False, soft_wrap=True)


@bench_app.command("triage")
def bench_triage(
    reports: Annotated[int, typer.Option(help="Reports to classify (from the generated set)")]
    = 12_000,
) -> None:
    """Triage reports/s in batches and single-report latency, against the raw TF-IDF rate."""
    from analytics.triage.commands import bench

    setup_logging("WARNING")
    try:
        for line in bench(reports=reports):
            out.print(line, highlight=False, soft_wrap=True)
    except FileNotFoundError as exc:
        fail(str(exc))


@triage_app.callback()
def triage(
    ctx: typer.Context,
    in_path: Annotated[Path | None, typer.Option(
        "--in", help='JSONL, one {"id","text"} per line ("lang" optional)')] = None,
    out_path: Annotated[Path | None, typer.Option(
        "--out", help='JSONL written: {"id","urgency","category","department","confidence",'
                      '"cues"} per line')] = None,
) -> None:
    """Classify citizen reports: category, department, urgency, confidence and cues."""
    if ctx.invoked_subcommand is not None:
        if in_path or out_path:
            fail("--in/--out classify a file on their own: `ioc triage --in FILE --out FILE`")
        return
    if in_path is None and out_path is None:
        out.print(ctx.get_help(), highlight=False)
        raise typer.Exit(0)
    if in_path is None or out_path is None:
        fail("give both --in FILE.jsonl and --out FILE.jsonl")
    from analytics.triage.commands import BadInput, classify_file

    setup_logging("WARNING")
    try:
        count = classify_file(in_path, out_path)
    except (BadInput, FileNotFoundError, UnicodeDecodeError) as exc:
        fail(str(exc))
    out.print(f"triaged {count} reports -> {out_path}", highlight=False, soft_wrap=True)


@triage_app.command("dataset")
def triage_dataset(
    out_path: Annotated[Path | None, typer.Option("--out", help="Default: the committed set")]
    = None,
    seed: Annotated[int, typer.Option(help="Sub-seeds are seed*100 + 0, 1, …")] = 1,
    count: Annotated[int, typer.Option(help="Reports to write")] = 24_000,
) -> None:
    """Write the generated training set (simulated reports with their labels) as JSONL."""
    from analytics.triage.evaluate import GENERATED_TRAIN
    from simulators.dataset import write_training_set

    path = out_path or GENERATED_TRAIN
    written = write_training_set(path, seed=seed, count=count)
    out.print(f"wrote {written} labelled reports -> {path}", highlight=False, soft_wrap=True)


def _triage_train(data: Path | None, dev: Path | None, overrides: Path | None) -> None:
    from analytics.triage.commands import train
    from analytics.triage.evaluate import DEV_PATH, GENERATED_TRAIN

    setup_logging("WARNING")
    data = data or GENERATED_TRAIN
    if not data.exists():  # the CLI is the pipeline: analytics never imports simulators
        from simulators.dataset import write_training_set

        err.print(f"{data} is missing: generating it …")
        write_training_set(data)
    try:
        lines = train(data, dev_path=dev or DEV_PATH, overrides_path=overrides,
                      progress=lambda msg: err.print(msg, highlight=False, soft_wrap=True))
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    for line in lines:
        out.print(line, highlight=False, soft_wrap=True)


@triage_app.command("train")
def triage_train(
    data: Annotated[Path | None, typer.Option(help="Generated training set (JSONL)")] = None,
    dev: Annotated[Path | None, typer.Option(help="Hand-written dev set used to tune")] = None,
    overrides: Annotated[Path | None, typer.Option(help="Operator overrides (JSONL)")] = None,
) -> None:
    """Train on the generated set, tune on its validation split + the dev set; save the model."""
    _triage_train(data, dev, overrides)


def _export_overrides(settings: Settings, path: Path) -> int:
    import json

    from ioc.db import reports
    from ioc.db.session import engine

    with engine(settings).connect() as conn:
        rows = [r for r in reports.overrides(conn) if r["category"] and r["urgency"]]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({**r, "ts": r["ts"].isoformat()}, ensure_ascii=False) + "\n")
    return len(rows)


@triage_app.command("export-overrides")
def triage_export_overrides(
    out_path: Annotated[Path, typer.Option("--out", help="JSONL to write")],
) -> None:
    """Export operator overrides (text + the label the operator gave) as labelled JSONL."""
    count = _export_overrides(settings_or_exit(), out_path)
    out.print(f"exported {count} overrides -> {out_path}", highlight=False, soft_wrap=True)


@triage_app.command("retrain")
def triage_retrain(
    overrides: Annotated[Path | None, typer.Option(
        help='Operator overrides, JSONL: {"id","text","category","urgency",…} per line; '
             'default: exported from the database (IOC_DATABASE_URL)')] = None,
    data: Annotated[Path | None, typer.Option(help="Generated training set (JSONL)")] = None,
    dev: Annotated[Path | None, typer.Option(help="Hand-written dev set used to tune")] = None,
) -> None:
    """Train again with operator overrides folded in (they weigh more than generated text)."""
    if overrides is None:
        settings = settings_or_exit()
        overrides = settings.data_dir / "triage" / "overrides.jsonl"
        count = _export_overrides(settings, overrides)
        err.print(f"{count} operator overrides exported from the database to {overrides}")
    _triage_train(data, dev, overrides)


@triage_app.command("evaluate")
def triage_evaluate(
    heldout: Annotated[Path | None, typer.Option(help="Held-out set (JSONL)")] = None,
) -> None:
    """Evaluate on the frozen held-out set; write heldout_metrics.json and the model card."""
    from analytics.triage.commands import evaluate
    from analytics.triage.evaluate import HELDOUT_PATH

    setup_logging("WARNING")
    try:
        lines = evaluate(heldout or HELDOUT_PATH)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    for line in lines:
        out.print(line, highlight=False, soft_wrap=True)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
