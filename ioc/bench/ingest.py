"""`ioc bench ingest`: sensor readings from the broker into PostgreSQL through the real
persistence worker, against the raw broker and database rates measured in the same run.

Phases (each on fresh topics/schemas of one embedded broker and one embedded PostgreSQL with
durable settings, as `ioc up` runs them):
  1. raw produce: kafka-python sends the pre-encoded readings, nothing else;
  2. raw consume: a consumer group reads them back, nothing else;
  3. raw COPY: the same rows COPYed into a plain table; then the idempotent pattern (COPY into
     a staging table + INSERT ... ON CONFLICT DO NOTHING into the partitioned table);
  4. end to end: the persistence worker (its own process, as deployed) drains a backlog;
  5. latency: readings produced at a steady rate while the worker runs; event time -> stored.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr
from rich.console import Console
from rich.progress import Progress

from ioc import events as ev
from ioc import topics as tp
from ioc.config import Settings
from ioc.db.migrate import upgrade
from ioc.db.session import connect
from ioc.embedded import EmbeddedBroker, EmbeddedPostgres, free_port
from ioc.kafka import ensure_topics, make_consumer, make_producer


def _readings(n: int, start: datetime) -> list[ev.SensorReading]:
    return [ev.SensorReading(ts=start + timedelta(milliseconds=i), sensor_id=f"bench-{i % 500}",
                             kind=ev.SensorKind.PM25, value=float(i % 97), unit="µg/m³")
            for i in range(n)]


def _settings(broker: EmbeddedBroker, pg: EmbeddedPostgres, tag: str, root: Path) -> Settings:
    s = Settings(kafka_bootstrap=broker.bootstrap, database_url=SecretStr(pg.url),
                 db_schema=f"bench_{tag}", topic_prefix=f"bench{tag}.", data_dir=root)
    upgrade(s)
    ensure_topics(s, (tp.SENSOR_READINGS, tp.HEARTBEATS, tp.DEADLETTER))
    return s


def _produce(settings: Settings, events: list[ev.SensorReading], progress, label: str) -> float:
    producer = make_producer(settings)
    topic = settings.topic(tp.SENSOR_READINGS.name)
    encoded = [(e.sensor_id.encode(), e.model_dump_json().encode()) for e in events]
    task = progress.add_task(label, total=len(encoded))
    t0 = time.perf_counter()
    for i, (key, value) in enumerate(encoded):
        producer.send(topic, key=key, value=value)
        if i % 5000 == 0:
            progress.update(task, completed=i)
    producer.flush()
    elapsed = time.perf_counter() - t0
    progress.update(task, completed=len(encoded))
    producer.close()
    return len(encoded) / elapsed


def _consume(settings: Settings, n: int, progress) -> float:
    consumer = make_consumer(settings, "bench-raw")
    consumer.subscribe([settings.topic(tp.SENSOR_READINGS.name)])
    task = progress.add_task("raw consume", total=n)
    got, t0 = 0, None
    while got < n:
        batch = consumer.poll(500, max_records=5000)
        count = sum(len(b) for b in batch.values())
        if count and t0 is None:
            t0 = time.perf_counter() - 1e-9  # time from the first record: excludes group join
        got += count
        progress.update(task, completed=got)
    elapsed = time.perf_counter() - t0
    consumer.close()
    return (got - 1) / elapsed if got > 1 else 0.0


def _copy_rates(settings: Settings, events: list[ev.SensorReading], progress) -> tuple[float, float]:
    from ioc.db import writes
    from ioc.db.storage import Partitions, day_of

    rows = [(e.event_id, e.ts, e.sensor_id, e.kind.value, e.value, e.unit) for e in events]
    cols = ("event_id", "ts", "sensor_id", "kind", "value", "unit")
    task = progress.add_task("raw COPY", total=2)
    with connect(settings, autocommit=True) as conn:
        conn.execute("CREATE TABLE raw_copy (LIKE sensor_readings INCLUDING DEFAULTS)")
        t0 = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur, cur.copy(
                f"COPY raw_copy ({', '.join(cols)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        raw = len(rows) / (time.perf_counter() - t0)
        progress.update(task, advance=1)
        Partitions().ensure(conn, "sensor_readings", {day_of(e.ts) for e in events})
        t0 = time.perf_counter()
        for i in range(0, len(rows), 5000):
            with conn.transaction():
                writes.insert_new(conn, "sensor_readings", cols, rows[i:i + 5000])
        upsert = len(rows) / (time.perf_counter() - t0)
        progress.update(task, advance=1)
    return raw, upsert


def _count(settings: Settings) -> int:
    with connect(settings) as conn:
        return conn.execute("SELECT count(*) FROM sensor_readings").fetchone()[0]


def _worker(settings: Settings, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update({"IOC_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
                "IOC_DATABASE_URL": settings.database_url.get_secret_value(),
                "IOC_DB_SCHEMA": settings.db_schema, "IOC_TOPIC_PREFIX": settings.topic_prefix,
                "IOC_LOG_LEVEL": "WARNING"})
    return subprocess.Popen([sys.executable, "-m", "ioc.cli", "worker", "persistence"], env=env,
                            stdout=subprocess.DEVNULL, stderr=open(log, "ab"))  # noqa: SIM115


def _drain(settings: Settings, n: int, progress, log: Path) -> float:
    worker = _worker(settings, log)
    task = progress.add_task("persistence worker", total=n)
    first_at = first_count = None
    try:
        while True:
            count = _count(settings)
            progress.update(task, completed=count)
            if count and first_at is None:
                first_at, first_count = time.perf_counter(), count
            if count >= n:
                break
            if worker.poll() is not None:
                raise RuntimeError(f"the persistence worker died; see {log}")
            time.sleep(0.05)
        return (n - first_count) / (time.perf_counter() - first_at)
    finally:
        worker.terminate()
        worker.wait(15)


def _latency(settings: Settings, rate: float, seconds: float, progress, log: Path) -> list[float]:
    worker = _worker(settings, log)
    try:
        # Wait for the worker to join its group (its first heartbeat row).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with connect(settings) as conn:
                if conn.execute("SELECT count(*) FROM worker_status").fetchone()[0]:
                    break
            time.sleep(0.2)
        producer = make_producer(settings, linger_ms=0)
        topic = settings.topic(tp.SENSOR_READINGS.name)
        total = int(rate * seconds)
        task = progress.add_task(f"latency at {rate:.0f}/s", total=total)
        t0 = time.perf_counter()
        for i in range(total):
            due = t0 + i / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            e = ev.SensorReading(ts=ev.utcnow(), sensor_id=f"lat-{i % 50}",
                                 kind=ev.SensorKind.PM25, value=1.0, unit="µg/m³")
            producer.send(topic, key=e.sensor_id.encode(), value=e.model_dump_json().encode())
            if i % 500 == 0:
                progress.update(task, completed=i)
        producer.flush()
        producer.close()
        progress.update(task, completed=total)
        deadline = time.monotonic() + 60
        while _count(settings) < total and time.monotonic() < deadline:
            time.sleep(0.1)
        with connect(settings) as conn:
            return [r[0] for r in conn.execute(
                "SELECT extract(epoch FROM stored_at - ts) * 1000 FROM sensor_readings")]
    finally:
        worker.terminate()
        worker.wait(15)


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else float("nan")


def run(events: int, latency_rate: float, console: Console) -> Iterator[str]:
    root = Path(tempfile.mkdtemp(prefix="ioc-bench-"))
    root.chmod(0o755)
    pg = EmbeddedPostgres(root / "pg", free_port()).start()
    broker = EmbeddedBroker(free_port(), log_path=root / "broker.log").start()
    log = root / "worker.log"
    try:
        data = _readings(events, datetime(2026, 7, 1, tzinfo=UTC))
        with Progress(console=console, transient=True) as progress:
            raw_side = _settings(broker, pg, "raw", root)
            produce = _produce(raw_side, data, progress, "raw produce")
            consume = _consume(raw_side, events, progress)
            copy, copy_upsert = _copy_rates(raw_side, data, progress)
            e2e_side = _settings(broker, pg, "e2e", root)
            _produce(e2e_side, _readings(events, datetime(2026, 7, 2, tzinfo=UTC)), progress,
                     "backlog")
            e2e = _drain(e2e_side, events, progress, log)
            lat = _latency(_settings(broker, pg, "lat", root), latency_rate, 10, progress, log)
    finally:
        broker.stop(timeout_s=2)
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)
    limit = min(consume, copy_upsert)
    yield f"machine: {os.cpu_count()} cores; {events} readings of ~{len(data[0].model_dump_json())} B"
    yield f"raw broker produce     {produce:>10,.0f} msg/s  (kafka-python, one producer)"
    yield f"raw broker consume     {consume:>10,.0f} msg/s  (kafka-python, no processing)"
    yield f"raw COPY               {copy:>10,.0f} rows/s"
    yield f"raw COPY+ON CONFLICT   {copy_upsert:>10,.0f} rows/s (the idempotent pattern)"
    yield f"end to end (worker)    {e2e:>10,.0f} events/s = {e2e / limit:.2f} of the slower raw stage"
    yield (f"latency at {latency_rate:.0f}/s     p50 {_pct(lat, 50):.0f} ms, "
           f"p95 {_pct(lat, 95):.0f} ms (event time -> row stored, {len(lat)} events)")
    yield (f"SUMMARY ingest events_per_s={e2e:.0f} raw_produce_per_s={produce:.0f} "
           f"raw_consume_per_s={consume:.0f} raw_copy_rows_per_s={copy:.0f} "
           f"raw_copy_upsert_rows_per_s={copy_upsert:.0f} ratio={e2e / limit:.2f} "
           f"latency_p50_ms={_pct(lat, 50):.0f} latency_p95_ms={_pct(lat, 95):.0f}")
