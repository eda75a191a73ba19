"""The `ioc` command. Commands are thin: parse, call one function, print.

Stages are imported lazily inside the commands that run them, so `ioc config` stays fast and the
core never depends on a stage at import time. `ioc triage …` is triage's own (analytics/triage/
cli.py), registered here with the one thing it may not import itself: the simulators' generator
of its training set.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from analytics.triage.cli import TriageCommands
from analytics.vision.cli import VisionCommands
from ioc.config import Settings, describe, get_settings
from ioc.logging import setup_logging

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="IOC: Intelligent Operations Center for a city control room.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks; the last line is SUMMARY ...")
user_app = typer.Typer(no_args_is_help=True, help="Operator, leader, engineer and admin accounts.")
apikey_app = typer.Typer(no_args_is_help=True, help="Open311 API keys.")
history_app = typer.Typer(no_args_is_help=True,
                          help="A simulated past of the default city.")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(apikey_app, name="apikey")
app.add_typer(history_app, name="history")
app.add_typer(bench_app, name="bench")

out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        lines = [f"  IOC_{'_'.join(map(str, e['loc'])).upper()}={e.get('input')!r}: {e['msg']}"
                 for e in exc.errors(include_url=False)]
        fail("invalid configuration:\n" + "\n".join(lines))


def _write_training_set(path: Path, *, seed: int, count: int) -> int:
    from simulators.dataset import write_training_set

    return write_training_set(path, seed=seed, count=count)


def _write_vision_dataset(root: Path, **kw) -> Path:
    from simulators.vision_data import write_yolo_dataset

    return write_yolo_dataset(root, **kw)


def _simulated_views():
    """The simulated cameras' views from the renderer's own geometry: the count line, the
    carriageway over the distances the camera sees well, the image-to-ground homography."""
    import numpy as np

    from ioc.camera_views import CameraView
    from ioc.city import load_city
    from simulators.cameras import CameraSim

    views = []
    for camera in load_city().cameras:
        view = CameraSim(camera, seed=0, warm_up_s=0).view
        street, (near, far) = view.scene.street, view.view_m
        corners = np.array([[street.left_m, near], [street.right_m, near],
                            [street.right_m, far], [street.left_m, far]])
        road = view.cam.ground_to_pixels(corners)
        w, h = view.cam.width, view.cam.height
        road = np.clip(road, [0, 0], [w, h])
        views.append(CameraView(
            camera_id=camera.id, width=w, height=h, count_line=view.count_line,
            road=tuple((round(float(x), 1), round(float(y), 1)) for x, y in road),
            ground_from_image=tuple(tuple(float(f"{v:.6g}") for v in row)
                                    for row in np.asarray(view.homography))))
    return views


app.add_typer(TriageCommands(_write_training_set, settings_or_exit, fail).app(), name="triage")
VisionCommands(settings_or_exit, fail, _write_vision_dataset, _simulated_views).register(app)


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
    from ioc import up as city
    from ioc.embedded import EmbeddedError

    settings = settings_or_exit()
    try:
        city.run(settings, city.Terminal(out, err))
    except (city.StartupError, EmbeddedError) as exc:
        fail(str(exc))


@app.command()
def worker(name: Annotated[str, typer.Argument(
        help="persistence, triage, sensors or vision")]) -> None:
    """Run one worker (a consumer-group member) until SIGTERM."""
    from ioc.worker import stop_on_signals

    settings = settings_or_exit()
    setup_logging(settings.log_level, name)
    if name == "persistence":
        from ioc.persistence import make_worker
    elif name == "vision":
        from analytics.vision.detector import ModelError
        from analytics.vision.worker import make_worker

        try:
            make_worker(settings).run(stop_on_signals())
        except ModelError as exc:
            fail(str(exc))
        return
    elif name == "triage":
        from analytics.triage.worker import make_worker
    elif name == "sensors":
        from analytics.sensors.worker import make_worker
    else:
        fail(f"unknown worker {name!r}; known: persistence, triage, sensors, vision")
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
def crew() -> None:
    """Run the simulated control-room crew against the API (IOC_API_URL), until SIGTERM."""
    from ioc.worker import stop_on_signals
    from simulators.crew_service import Crew

    settings = settings_or_exit()
    setup_logging(settings.log_level, "crew")
    Crew(settings).run(stop_on_signals())


@app.command()
def api() -> None:
    """Serve the HTTP API (FastAPI) on IOC_HOST:IOC_API_PORT."""
    import uvicorn

    from ioc.api.main import create_app

    settings = settings_or_exit()
    setup_logging(settings.log_level, "api")
    app = create_app(settings, replay_sources=_replay_sources)
    freeze_startup_objects()
    uvicorn.run(app, host=settings.host, port=settings.api_port, log_config=None,
                access_log=False)


def freeze_startup_objects() -> None:
    """Move what a server built at start (modules, models, the app) out of the collector's
    reach: a KPI request makes some 100k objects, enough to set off a full collection every
    other request, which walked all 175k of them again (in process, on 30 days and 10,000
    open reports: window=7d p95 275 -> 165 ms, 30d 320 -> 189 ms)."""
    import gc

    gc.collect()
    gc.freeze()


def _replay_sources() -> list[dict]:
    """The shipped scenarios, for /replay."""
    from simulators.scenario_file import library

    return [{"name": i.name, "title_en": i.title_en, "title_vi": i.description_vi,
             "duration_s": i.duration.total_seconds(), "events": i.events,
             "expectations": i.expectations} for i in library()]


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
def mqtt() -> None:
    """Serve the MQTT door for sensor gateways: an embedded broker on IOC_MQTT_PORT (unless
    IOC_MQTT_URL names one) and the bridge from topic ioc/readings/<sensor_id> to Kafka."""
    from ingest.mqtt import MqttUnavailable, run
    from ingest.mqtt_broker import MqttBrokerError
    from ioc.worker import stop_on_signals

    settings = settings_or_exit()
    setup_logging(settings.log_level, "mqtt")
    try:
        run(settings, stop_on_signals())
    except (MqttBrokerError, MqttUnavailable) as exc:
        fail(str(exc))


@app.command("camera-ingest")
def camera_ingest(
    url: Annotated[str, typer.Argument(help="rtsp://…, http(s):// MJPEG, or a video file")],
    camera_id: Annotated[str, typer.Option(help="The id its frames carry, e.g. cam-17")],
    fps: Annotated[float, typer.Option(min=0.1, max=30, help="Frames/s kept")] = 2.0,
    loop: Annotated[bool, typer.Option(help="Play a video file again at its end")] = False,
) -> None:
    """Read a real camera stream with OpenCV and publish its frames as the simulator does."""
    from ingest.camera_stream import StreamUnreadable, run
    from ioc.kafka import BrokerUnavailable
    from ioc.worker import stop_on_signals

    settings = settings_or_exit()
    setup_logging(settings.log_level, "camera-ingest")
    try:
        run(settings, url, camera_id, stop_on_signals(), fps=fps, loop=loop)
    except (StreamUnreadable, BrokerUnavailable) as exc:
        fail(str(exc))


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


def _history_triage():
    """The shipped triage model, giving the events the live triage worker would."""
    from analytics.triage.model import TriageModel
    from analytics.triage.worker import triaged

    model = TriageModel.load()

    def triage(reports):
        results = model.predict([r.text for r in reports])
        return [triaged(r, result, model.model_version, r.ts)
                for r, result in zip(reports, results, strict=True)]

    return triage


def _history_detectors(sensors):
    from analytics.sensors.engine import SensorAnalytics
    from ioc.policy import load_policy

    return SensorAnalytics(load_policy(), sensors)


@history_app.command("generate")
def history_generate(
    days: Annotated[int, typer.Option(min=1, help="Days of history, back from --until")] = 30,
    until: Annotated[str | None, typer.Option(
        help="Where it ends, ISO 8601 (UTC without an offset); default: now on the scenario "
             "clock")] = None,
    reading_interval_s: Annotated[float, typer.Option(
        min=1, help="Seconds between stored sensor readings (live: IOC_SENSOR_INTERVAL_S)")]
    = 300,
    seed: Annotated[int | None, typer.Option(help="Scenario seed (default: IOC_SEED)")] = None,
) -> None:
    """Store a realistic past of the default city: reports, triage, the simulated crew's work,
    ratings, sensor readings, alarms. Run it again and it adds only what is new."""
    import time
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ioc.db.session import DatabaseUnavailable
    from ioc.embedded import EmbeddedError
    from simulators import history

    settings = settings_or_exit()
    setup_logging("WARNING")
    if until is None:
        end = settings.clock().now()
    else:
        try:
            end = datetime.fromisoformat(until)
        except ValueError:
            fail(f"--until {until!r} is not an ISO 8601 time, e.g. 2026-11-24T10:00:00+07:00")
        end = end if end.tzinfo else end.replace(tzinfo=UTC)
    seed = settings.seed if seed is None else seed
    start, end = history.window(end, days)
    local = ZoneInfo(settings.display_tz)
    err.print(f"history of the default city, {start.astimezone(local):%Y-%m-%d %H:%M} to "
              f"{end.astimezone(local):%Y-%m-%d %H:%M} ({settings.display_tz}), seed {seed}, "
              f"a reading every {reading_interval_s:g} s", highlight=False, soft_wrap=True)
    try:
        triage = _history_triage()
    except FileNotFoundError as exc:
        fail(str(exc))
    started = time.monotonic()
    with Progress(TextColumn("history"), BarColumn(),
                  TextColumn("{task.completed:.1f}/{task.total:.1f} days"),
                  TextColumn("{task.fields[events]:,} events"),
                  TextColumn("{task.fields[rate]:,.0f} events/s"), TimeElapsedColumn(),
                  console=err) as bar:
        task = bar.add_task("history", total=(end - start).total_seconds() / 86400, events=0,
                            rate=0.0)

        def progress(done: float, total: float, written: int) -> None:
            bar.update(task, completed=done, total=total, events=written,
                       rate=written / max(1e-6, time.monotonic() - started))

        try:
            summary = history.run(settings, days=days, until=end,
                                  reading_interval_s=reading_interval_s, seed=seed,
                                  triage=triage, detector_for=_history_detectors,
                                  progress=progress)
        except (DatabaseUnavailable, EmbeddedError) as exc:
            fail(str(exc))
    if summary.new_accounts:
        out.print("Accounts (shown once; change them with `ioc user add`):")
        for username, role, password in summary.new_accounts:
            out.print(f"  {username}  {role}  {password}", highlight=False, markup=False)
    if summary.new_rows == 0:
        out.print("nothing new: all of this history was already stored", highlight=False)
    c = summary.counts
    out.print(f"SUMMARY history days={days} reports={c.reports} "
              f"triage_results={c.triage_results} lifecycle_events={c.lifecycle_events} "
              f"ratings={c.ratings} readings={c.readings} alarms={c.alarms} "
              f"alarm_events={c.alarm_events} alarm_acks={c.alarm_acks} "
              f"new_rows={summary.new_rows} seconds={summary.seconds:.1f}",
              highlight=False, soft_wrap=True)


def _instant(value: str, option: str):
    from datetime import UTC, datetime

    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not an ISO 8601 time, e.g. 2026-11-24T10:00:00+07:00")
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@app.command()
def record(
    since: Annotated[str, typer.Option(help="Start, ISO 8601 (UTC without an offset)")],
    until: Annotated[str, typer.Option(help="End (not included), ISO 8601")],
    out_path: Annotated[Path, typer.Option("--out", help="The recording file to write")],
) -> None:
    """Record the city's input streams between two instants into one file, with their original
    ids, times and keys: citizen reports, lifecycle events, sensor readings, people's alarm
    actions and the camera frames the frame archive kept (one per camera every
    IOC_FRAME_ARCHIVE_EVERY_S s, for the last IOC_FRAME_ARCHIVE_HOURS h), with their JPEG
    bytes. `ioc replay FILE` plays it back."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ioc import recording
    from ioc.db import export
    from ioc.db.session import DatabaseUnavailable, connect
    from ioc.embedded import EmbeddedError
    from ioc.up import local_database

    start, end = _instant(since, "--since"), _instant(until, "--until")
    if end <= start:
        fail("--until must be after --since")
    settings = settings_or_exit()
    setup_logging("WARNING")
    try:
        with local_database(settings) as (s, _accounts), connect(s) as conn:
            total = sum(export.counts(conn, start, end).values())
            with Progress(TextColumn("recording"), BarColumn(), MofNCompleteColumn(),
                          console=err) as bar:
                task = bar.add_task("record", total=total)
                manifest = export.record(conn, out_path, start, end,
                                         frames_every_s=s.frame_archive_every_s or None,
                                         advance=lambda: bar.advance(task))
    except (DatabaseUnavailable, EmbeddedError, recording.RecordingError) as exc:
        fail(str(exc))
    topics = " ".join(f"{name}={n}" for name, n in sorted(manifest.topics.items()))
    out.print(f"recorded {manifest.events} events from {manifest.start.isoformat()} to "
              f"{manifest.end.isoformat()} into {out_path} ({topics}); sha256 "
              f"{manifest.sha256[:16]}…", highlight=False, soft_wrap=True)


def _replay_vision_worker(s: Settings, clock, stream):
    """Only for a recording with frames: otherwise the model is never loaded (nor imported)."""
    if not stream.frame_intervals:
        return None
    from analytics.vision.worker import make_worker as vision_worker

    return vision_worker(s, clock=clock, cameras=stream.frame_intervals)


def _replay_workers():
    from analytics.sensors.worker import make_worker as sensors_worker
    from analytics.triage.worker import make_worker as triage_worker
    from ioc.persistence import make_worker as persistence_worker

    return [lambda s, _clock, _stream: persistence_worker(s),
            lambda s, clock, _stream: triage_worker(s, clock=clock, at_receipt=True),
            lambda s, clock, _stream: sensors_worker(s, clock=clock, silent_since=clock.now()),
            _replay_vision_worker]


def _replay_prepare(settings: Settings, intervals: dict[str, float]) -> None:
    from ioc import sensors
    from ioc.city import load_city
    from ioc.db.migrate import upgrade
    from ioc.db.session import connect
    from ioc.kafka import ensure_topics

    upgrade(settings)
    ensure_topics(settings)
    city = [s.model_copy(update={"interval_s": intervals.get(s.sensor_id, s.interval_s)})
            for s in sensors.from_city(load_city(), settings.sensor_interval_s)]
    with connect(settings, autocommit=True) as conn:
        sensors.register(conn, city)


def _kpis_at(settings: Settings, at) -> dict:
    """The KPIs as the API computes them, on the replay's schema, at the stream's end."""
    import warnings

    with warnings.catch_warnings():  # Starlette's test client warns of httpx: not the user's
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from ioc.api.main import create_app
    from ioc.clock import FakeClock

    with TestClient(create_app(settings, clock=FakeClock(at))) as client:
        body = client.get("/api/kpis", params={"window_h": 24}).json()
    return {k["key"]: k["value"] for k in body["kpis"]}


def _replay_outcomes(conn, path, result, manifest):
    """What a scenario's expectations are checked against, read from the replay's schema."""
    from collections import defaultdict

    from ioc import recording
    from ioc import topics as tp
    from ioc.replay import stream_end
    from simulators.expectations import AlarmOutcome, Outputs, ReportOutcome

    end = stream_end(manifest)
    reports = {}
    for r in conn.execute(
            "SELECT s.report_id, s.urgency, s.category, s.received_at, s.due_at, "
            "s.first_response_at FROM report_state s").fetchall():
        answered = r[5]
        reports[r[0]] = ReportOutcome(r[1], r[2], r[3], r[4], answered,
                                      breached=(answered or end) > r[4])
    alarms = [AlarmOutcome(r[0], r[1], r[2], r[3], r[4]) for r in conn.execute(
        "SELECT e.source_id, e.alarm_type, e.severity, e.ts, s.ward FROM alarm_events e "
        "LEFT JOIN sensors s ON s.sensor_id = e.source_id WHERE e.action = 'raise' "
        "AND e.outcome = 'applied' ORDER BY e.ts")]
    readings = defaultdict(list)
    for entry in recording.read(path):
        if entry.topic is tp.SENSOR_READINGS:
            readings[entry.event.sensor_id].append((entry.event.ts, entry.event.value))
    return Outputs(end, reports, alarms, dict(readings), result.outputs["kpis"])


def _replay_expectations(expectations, path, result, manifest) -> list:
    if not expectations:
        return []
    from ioc.db.session import connect
    from simulators.expectations import check as check_expectations

    with connect(result.namespace.settings) as conn:
        return check_expectations(expectations, _replay_outcomes(conn, path, result, manifest))


def _replay_steered(path, manifest, s: Settings, pace, source: str, folder: Path,
                    expectations):
    """A replay the /replay page drives (ioc/replay_session.py): runs again from the start
    after a seek back; keeps its schema for the screens until the next replay starts.
    (result, expectations found), or None when it was stopped or failed (its status says
    which)."""
    import threading
    import uuid

    from ioc import replay as rp
    from ioc import replay_session as session
    from ioc.db.session import connect
    from ioc.replay import stream_end

    previous = session.read_status(folder)
    if previous and previous.get("tag"):
        with connect(s, autocommit=True) as conn:  # the last replay's screens end here
            conn.execute(f"DROP SCHEMA IF EXISTS replay_{previous['tag']} CASCADE")
    end, start_at, sent = stream_end(manifest), None, [0]
    while True:
        tag = f"{manifest.start:%Y%m%d}{uuid.uuid4().hex[:6]}"
        pacer, stop = rp.Pacer(manifest.start, pace), threading.Event()
        if start_at is not None:
            pacer.seek(start_at)
        steer = session.Steering(folder, source=source, tag=tag, start=manifest.start, end=end,
                                 events=manifest.events, pacer=pacer, stop=stop,
                                 sent=lambda: sent[0]).begin()

        def progress(n: int) -> None:
            sent[0] = n

        try:
            result = rp.run(path, s, _replay_workers(), pace, tag=tag, prepare=_replay_prepare,
                            kpis_at=_kpis_at, stop=stop, pacer=pacer, pace_to_end=True,
                            progress=progress)
        except rp.ReplayError as exc:
            if steer.restart_at is not None:
                steer.finish("starting")
                with connect(s, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA IF EXISTS replay_{tag} CASCADE")
                start_at, sent[0], pace = steer.restart_at, 0, pacer.speed
                continue
            steer.finish("stopped" if steer.stopped else "failed",
                         error=None if steer.stopped else str(exc))
            return None
        except Exception as exc:
            steer.finish("failed", error=f"{type(exc).__name__}: {exc}")
            raise
        sent[0] = result.events
        found = _replay_expectations(expectations, path, result, manifest)
        steer.finish("finished", digest=result.digest, expectations=[
            {"description": r.description, "met": r.met, "evidence": r.evidence}
            for r in found])
        return result, found


@app.command()
def replay(
    source: Annotated[str | None, typer.Argument(
        help="A recording (from `ioc record`) or a scenario name or .yaml")] = None,
    speed: Annotated[str, typer.Option(
        help="Stream seconds per wall second (1, 10, 60 …) or max")] = "1",
    check: Annotated[bool, typer.Option(
        "--check", help="Check the scenario's expectations; exit 1 if any is missed")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the shipped scenarios")] = False,
    keep: Annotated[bool, typer.Option(
        help="Keep the replay's database schema afterwards (replay_<tag>)")] = False,
    control: Annotated[Path | None, typer.Option(
        help="Take pause/resume/speed/seek/stop from DIR/control.json and write DIR/"
             "status.json (the /replay page's replays); keeps the schema until the next")
    ] = None,
) -> None:
    """Replay a recording or a scripted scenario through the pipeline, on the stream's own
    clock, in an isolated namespace; the last line is its SUMMARY with the outputs' digest."""
    import tempfile
    import uuid
    from pathlib import Path

    from ioc import recording
    from ioc import replay as rp
    from ioc.db.session import DatabaseUnavailable, connect
    from ioc.embedded import EmbeddedBroker, EmbeddedError, free_port, port_open
    from ioc.up import local_database

    if list_:
        from simulators.scenario_file import library

        for info in library():
            out.print(f"{info.name}  {info.description}", highlight=False, soft_wrap=True)
        return
    if source is None:
        fail("give a recording file or a scenario name (`ioc replay --list` shows them)")
    try:
        pace = rp.parse_speed(speed)
    except rp.ReplayError as exc:
        fail(str(exc))
    settings = settings_or_exit()
    setup_logging("WARNING")
    work = Path(tempfile.mkdtemp(prefix="ioc-replay-"))
    path = Path(source)
    expectations: list = []
    try:
        if not (path.is_file() and path.suffix not in (".yaml", ".yml")):
            from simulators.scenario_file import ScenarioError, compile_to

            try:
                manifest = compile_to(source, work / "scenario.zip", settings)
            except ScenarioError as exc:
                fail(str(exc))
            path = work / "scenario.zip"
        manifest = recording.verify(path)
        expectations = manifest.scenario.get("expectations", [])
    except recording.RecordingError as exc:
        fail(str(exc))
    tag = f"{manifest.start:%Y%m%d}{uuid.uuid4().hex[:6]}"
    broker = None
    try:
        with rp.ReplayLock(settings.data_dir), local_database(settings) as (s, _acc):
            if s.embedded_kafka:
                if port_open("127.0.0.1", s.broker_port):  # a running city's broker
                    s = s.model_copy(update={"kafka_bootstrap": f"127.0.0.1:{s.broker_port}"})
                else:
                    broker = EmbeddedBroker(free_port()).start()
                    s = s.model_copy(update={"kafka_bootstrap": broker.bootstrap})
            err.print(f"replaying {manifest.events} events ({manifest.source}, "
                      f"{manifest.start:%Y-%m-%d %H:%M} to {manifest.end:%H:%M} UTC) at "
                      f"{'max' if pace is None else f'{pace:g}x'} speed into replay_{tag}",
                      highlight=False, soft_wrap=True)
            if control is None:
                result = rp.run(path, s, _replay_workers(), pace, tag=tag,
                                prepare=_replay_prepare, kpis_at=_kpis_at)
                found = _replay_expectations(expectations, path, result, manifest)
            else:
                steered = _replay_steered(path, manifest, s, pace, source, control,
                                          expectations)
                if steered is None:
                    return  # stopped, or failed: status.json says which
                (result, found), keep = steered, True
            met = missed = 0
            for r in found:
                met += r.met
                missed += not r.met
                mark = "[green]met[/]   " if r.met else "[red]missed[/]"
                out.print(f"{mark} {r.description}: {r.evidence}", soft_wrap=True)
            if not keep:
                with connect(s, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA IF EXISTS replay_{tag} CASCADE")
    except (rp.ReplayError, DatabaseUnavailable, EmbeddedError) as exc:
        fail(str(exc))
    finally:
        if broker is not None:
            broker.stop(timeout_s=2)
    out.print(f"{len(result.outputs['triage'])} reports triaged, "
              f"{len(result.outputs['alarms'])} alarms, {len(result.outputs['breaches'])} SLA "
              f"breaches; {result.wall_s:.1f} s", highlight=False)
    out.print(f"SUMMARY replay digest={result.digest} events={result.events} "
              f"speed={'max' if pace is None else f'{pace:g}'} expectations_met={met} "
              f"expectations_missed={missed}", highlight=False, soft_wrap=True)
    if check and missed:
        raise typer.Exit(1)


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
    history_days: Annotated[int, typer.Option(
        min=0, help="Days of the city's history stored first (ioc history generate)")] = 30,
) -> None:
    """The operator queue with many open reports on a month of history: API, KPIs, /control
    and /wall in headless Chromium."""
    from ioc.bench.dashboard import run

    def history(settings: Settings, days: int) -> None:
        from simulators import history as past

        past.run(settings, days=days, until=settings.clock().now(), reading_interval_s=300,
                 seed=settings.seed, triage=_history_triage(),
                 detector_for=_history_detectors)

    setup_logging("WARNING")
    for line in run(reports=reports, console=err, history_days=history_days, history=history):
        out.print(line, highlight=False, soft_wrap=True)


@bench_app.command("replay")
def bench_replay(
    seconds: Annotated[int, typer.Option(min=20, help="Seconds of the city's stream to record "
                                         "(replayed once at 1x)")] = 120,
    ingest_events: Annotated[int, typer.Option(help="Readings for the ingest rate")] = 50_000,
) -> None:
    """The fastest speed at which a recording replays identically to 1x, against the ingest
    pipeline's rate in the same run."""
    import tempfile
    import uuid
    from datetime import timedelta

    from pydantic import SecretStr

    from ioc import recording
    from ioc import replay as rp
    from ioc import topics as tp
    from ioc.bench import ingest as bench_ingest
    from ioc.bench.replay import run
    from ioc.embedded import EmbeddedBroker, EmbeddedPostgres, free_port
    from ioc.events import SensorReading
    from simulators.scenario import schedule

    setup_logging("WARNING")
    base = settings_or_exit()

    def make_recording(path: Path) -> recording.Manifest:
        """A day-old stretch of the city: every sensor, and citizen reports at 600 an hour."""
        start = base.clock().now().replace(microsecond=0) - timedelta(days=1)
        busy = base.model_copy(update={"report_rate_per_h": 600.0})
        entries = [recording.Entry(tp.SENSOR_READINGS if isinstance(e, SensorReading)
                                   else tp.CITIZEN_REPORTS, e)
                   for e in schedule(busy, start, start + timedelta(seconds=seconds))]
        return recording.write(path, entries, source="bench")

    root = Path(tempfile.mkdtemp(prefix="ioc-bench-replay-"))
    root.chmod(0o755)
    pg = EmbeddedPostgres(root / "pg", free_port()).start()
    broker = EmbeddedBroker(free_port(), log_path=root / "broker.log").start()
    s = base.model_copy(update={"kafka_bootstrap": broker.bootstrap,
                                "database_url": SecretStr(pg.url), "data_dir": root})

    def replay_at(path: Path, speed: float | None) -> rp.ReplayResult:
        return rp.run(path, s, _replay_workers(), speed, tag=uuid.uuid4().hex[:8],
                      prepare=_replay_prepare, kpis_at=_kpis_at)

    def ingest():
        return bench_ingest.run(events=ingest_events, latency_rate=1000, console=err)

    try:
        for line in run(err, make_recording, replay_at, ingest):
            out.print(line, highlight=False, soft_wrap=True)
    finally:
        broker.stop(timeout_s=2)
        pg.stop()


def _camera_frames(cameras: int, seconds: int, fps: float):
    """The simulated city's cameras (the live scenes), `seconds` of video at `fps`, in time
    order, interleaved across cameras."""
    from datetime import UTC, datetime, timedelta

    from ioc.city import load_city
    from simulators.cameras import CameraSim

    sites = load_city().cameras
    sims = [CameraSim(sites[i % len(sites)], seed=7 + i // len(sites), fps=fps)
            for i in range(cameras)]
    start = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam
    frames = []
    for k in range(int(seconds * fps)):
        for sim in sims:
            frame, jpeg, _ = sim.next_frame(start + timedelta(seconds=k / fps))
            frames.append((frame, jpeg))
    return frames


COUNT_RATES = (5.0, 2.0)
COUNT_CLIPS = 4  # cameras' scenes, 120 s each, at each rate


def _clips(fps: float):
    """Clips of the simulated city's camera scenes at `fps` with their truth (the same seeds at
    every rate: the same traffic, sampled differently)."""
    import tempfile

    import cv2

    from ioc.city import load_city
    from simulators.camera_scene import street_scene
    from simulators.vision_data import write_clip

    clips = []
    for camera in load_city().cameras[:COUNT_CLIPS]:
        with tempfile.TemporaryDirectory() as tmp:
            truth = write_clip(tmp, seconds=120, fps=fps, seed=f"bench:{camera.id}",
                               scene=street_scene(camera.id))
            images = [cv2.imread(str(p)) for p in sorted(Path(tmp).glob("*.jpg"))]
        clips.append((images, truth))
    return clips


def _render_incident_clip(job: tuple[str, str, str | None, float, float, float, str, str]
                          ) -> dict:
    from simulators.camera_scene import street_scene
    from simulators.camera_traffic import Incident
    from simulators.vision_data import write_clip

    camera_id, name, kind, seconds, lead_in_s, fps, seed, directory = job
    incidents = [Incident(kind, lead_in_s, seconds)] if kind else []
    return write_clip(directory, seconds=seconds, fps=fps, seed=f"{seed}:{name}",
                      scene=street_scene(camera_id), incidents=incidents)


def _incident_clips(cameras: int, seconds: float, fps: float, seed: str = "incidents",
                    lead_in_s: float = 60.0):
    """Clips of the city's first `cameras` camera scenes at `fps`: one per incident kind the
    renderer scripts, starting `lead_in_s` in, and one without any (for false alarms), rendered
    two at a time in other processes while the detector works on the ones before. The seed
    draws the traffic: the figures on record are the default's; tune on another."""
    import multiprocessing
    import shutil
    import tempfile

    import cv2

    from ioc.camera_views import load_views
    from ioc.city import load_city
    from simulators.camera_traffic import INCIDENT_KINDS

    root = Path(tempfile.mkdtemp(prefix="ioc-bench-incidents-"))
    jobs = [(camera.id, f"{camera.id}-{kind or 'quiet'}", kind, seconds, lead_in_s, fps, seed,
             str(root / f"{camera.id}-{kind or 'quiet'}"))
            for camera in load_city().cameras[:cameras] for kind in (*INCIDENT_KINDS, None)]

    def clips():
        try:
            with multiprocessing.get_context("spawn").Pool(2) as pool:
                for job, truth in zip(jobs, pool.imap(_render_incident_clip, jobs),
                                      strict=True):
                    directory = Path(job[-1])
                    images = (cv2.imread(str(p)) for p in sorted(directory.glob("*.jpg")))
                    yield job[1], images, truth, load_views().get(job[0])
                    shutil.rmtree(directory, ignore_errors=True)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    return clips, len(jobs)


def _bench_detector():
    """The configured detector for a benchmark, or a clear exit naming the model file."""
    from analytics.vision.cli import load_detector
    from analytics.vision.detector import ModelError

    settings = settings_or_exit()
    setup_logging("WARNING")
    try:
        return load_detector(settings)
    except ModelError as exc:
        fail(str(exc))


@bench_app.command("incidents")
def bench_incidents(
    cameras: Annotated[int, typer.Option(min=1, max=16, help="City cameras whose scenes are "
                                          "rendered")] = 4,
    seconds: Annotated[float, typer.Option(min=120, help="Video seconds per clip")] = 300,
    fps: Annotated[float, typer.Option(min=0.5, max=30, help="Frames/s")] = 2.0,
    batch: Annotated[int, typer.Option(min=1, max=64, help="Frames per model call")] = 8,
    seed: Annotated[str, typer.Option(help="Draws the clips' traffic; the figures on record "
                                           "are the default's, so tune the rules on another")]
    = "incidents",
    lead_in: Annotated[float, typer.Option(min=0, help="Seconds of ordinary traffic before the "
                                                      "incident (the tracker learns the lanes)")]
    = 60,
) -> None:
    """Incident alarms on rendered clips with scripted incidents (stalled vehicle, wrong way,
    crash, congestion) and without: recall within 3 min, and false alarms per camera-hour."""
    from analytics.vision.bench import incident_recall

    detector = _bench_detector()
    if lead_in >= seconds:
        fail(f"--lead-in {lead_in:g} leaves no time for the incident in a {seconds:g}-s clip")
    clips, count = _incident_clips(cameras, seconds, fps, seed, lead_in)
    err.print(f"{count} clips of {seconds:g} s at {fps:g} frames/s, rendered as they go …")
    for line in incident_recall(detector, clips, batch, err):
        out.print(line, highlight=False, soft_wrap=True)


@bench_app.command("vision")
def bench_vision(
    cameras: Annotated[int, typer.Option(min=1, max=64)] = 8,
    seconds: Annotated[int, typer.Option(min=5, help="Video seconds per camera")] = 30,
    fps: Annotated[float, typer.Option(min=0.5, max=30, help="Frames/s per camera")] = 2.0,
    batch: Annotated[int, typer.Option(min=1, max=64, help="Frames per model call")] = 8,
    counts: Annotated[bool, typer.Option(help="Also score line counts at 5 and 2 frames/s "
                                              "against the renderer's truth")] = True,
    rounds: Annotated[int, typer.Option(min=1, max=20, help="Turns of raw, then end to end")]
    = 3,
) -> None:
    """Vision frames/s end to end (decode, detect, track, count, publish) against the raw model
    on the same frames, per-frame latency, and how many cameras one machine carries."""
    from analytics.vision.bench import counting, run

    detector = _bench_detector()

    count_lines = list(counting(detector, _clips, COUNT_RATES, err)) if counts else []
    count_pairs = count_lines.pop().removeprefix("SUMMARY vision-counts") if counts else ""
    lines = [*count_lines,
             *run(detector, _camera_frames, cameras, seconds, fps, batch, err, rounds)]
    lines[-1] += count_pairs  # one SUMMARY line, the last
    for line in lines:
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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
