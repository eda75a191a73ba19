"""The storage layout of time series: the only module that knows about TimescaleDB.

On plain PostgreSQL (what CI and the embedded mode run), a time-series table is declaratively
partitioned by day on `ts` with a BRIN index on `ts`; partitions are created ahead of the writes
that need them. Where the `timescaledb` extension can be created (production), the same table is
a hypertable with compression and retention policies, and partition upkeep is Timescale's job.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg import sql

logger = logging.getLogger(__name__)

Execute = Callable[[str], object]

CHUNK = timedelta(days=1)
COMPRESS_AFTER = "7 days"
RETAIN_FOR = "400 days"


def timescale_available(execute_scalar: Callable[[str], object]) -> bool:
    return bool(execute_scalar(
        "SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'"))


def create_time_series(execute: Execute, table: str, columns: str, timescale: bool,
                       indexes: Iterable[str] = ()) -> None:
    """Create `table` (columns must include event_id uuid and ts timestamptz).

    The primary key is (event_id, ts): a unique key on a partitioned table must contain the
    partition key, and an event's ts never changes, so it is still idempotent on event_id.
    """
    body = f"{columns}, PRIMARY KEY (event_id, ts)"
    if timescale:
        execute(f"CREATE TABLE {table} ({body})")
        execute(f"SELECT create_hypertable('{table}', 'ts', chunk_time_interval => "
                f"INTERVAL '1 day')")
        execute(f"ALTER TABLE {table} SET (timescaledb.compress)")
        execute(f"SELECT add_compression_policy('{table}', INTERVAL '{COMPRESS_AFTER}')")
        execute(f"SELECT add_retention_policy('{table}', INTERVAL '{RETAIN_FOR}')")
    else:
        execute(f"CREATE TABLE {table} ({body}) PARTITION BY RANGE (ts)")
        execute(f"CREATE INDEX {table}_ts_brin ON {table} USING brin (ts)")
    for index in indexes:
        execute(index)


def hour_of(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def timescale_in_use(execute_scalar: Callable[[str], object]) -> bool:
    return bool(execute_scalar("SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'"))


def create_hourly_aggregate(execute: Execute) -> None:
    """Timescale only: `sensor_hourly` as a continuous aggregate of sensor_readings, refreshed
    by a policy. Since TimescaleDB 2.13 a new continuous aggregate answers from its
    materialized part only (real-time aggregation off), so the newest hour would be missing
    until the next refresh and a wall would show stale figures: real-time aggregation is
    switched on here (materialized_only = false), so a query adds the rows not materialized
    yet. (Not exercised by CI, which runs plain PostgreSQL.)"""
    execute("""
        CREATE MATERIALIZED VIEW sensor_hourly
        WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
        SELECT sensor_id, time_bucket(INTERVAL '1 hour', ts) AS hour, min(kind) AS kind,
               count(*)::integer AS n, sum(value) AS sum, min(value) AS min, max(value) AS max
        FROM sensor_readings GROUP BY sensor_id, time_bucket(INTERVAL '1 hour', ts)
        WITH NO DATA""")
    execute("SELECT add_continuous_aggregate_policy('sensor_hourly', "
            "start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', "
            "schedule_interval => INTERVAL '5 minutes')")


def day_of(ts: datetime) -> date:
    return ts.astimezone(UTC).date()


def partition_name(table: str, day: date) -> str:
    return f"{table}_p{day:%Y%m%d}"


class Partitions:
    """Creates missing daily partitions before a write needs them (plain PostgreSQL only)."""

    def __init__(self) -> None:
        self._known: set[tuple[str, date]] = set()
        self._partitioned: dict[str, bool] = {}
        self._lock = threading.Lock()

    def ensure(self, conn: psycopg.Connection, table: str, days: Iterable[date]) -> None:
        missing = [d for d in set(days) if (table, d) not in self._known]
        if not missing or not self._is_partitioned(conn, table):
            return
        for day in sorted(missing):
            self._create(conn, table, day)

    def _is_partitioned(self, conn: psycopg.Connection, table: str) -> bool:
        if table not in self._partitioned:
            row = conn.execute(
                "SELECT c.relkind = 'p' FROM pg_class c "
                "WHERE c.oid = to_regclass(%s)", (table,)).fetchone()
            self._partitioned[table] = bool(row and row[0])
        return self._partitioned[table]

    def _create(self, conn: psycopg.Connection, table: str, day: date) -> None:
        name = partition_name(table, day)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        stmt = sql.SQL("CREATE TABLE IF NOT EXISTS {} PARTITION OF {} FOR VALUES FROM ({}) TO ({})")
        # Its own short transaction, so a concurrent creator only costs a retry.
        for attempt in range(3):
            try:
                with conn.transaction():
                    conn.execute(stmt.format(sql.Identifier(name), sql.Identifier(table),
                                             sql.Literal(start), sql.Literal(start + CHUNK)))
                break
            except (psycopg.errors.DuplicateTable, psycopg.errors.UniqueViolation):
                if attempt == 2:
                    raise
        with self._lock:
            self._known.add((table, day))
        logger.info("created partition", extra={"table": table, "partition": name})
