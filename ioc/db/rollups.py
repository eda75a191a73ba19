"""Rollups that keep KPI queries fast on months of history: `sensor_hourly` holds, per sensor and
hour, the count, sum, minimum and maximum of its readings (what the hourly AQI NowCast and the
trends read instead of millions of raw rows).

On plain PostgreSQL it is a table that persistence keeps up to date in the same transaction as
the readings it stores, adding only readings newly stored, so it is never stale and a replayed
batch adds nothing. Where TimescaleDB is in use it is a continuous aggregate instead (see
`ioc.db.storage.create_hourly_aggregate`) and persistence leaves it to Timescale.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg

from ioc.db.storage import hour_of
from ioc.events import SensorReading


def add_readings(conn: psycopg.Connection, readings: Iterable[SensorReading]) -> int:
    """Fold newly stored readings into sensor_hourly. Caller holds the transaction."""
    cells: dict[tuple, list] = {}
    for r in readings:
        key = (r.sensor_id, hour_of(r.ts), r.kind.value)
        cell = cells.get(key)
        if cell is None:
            cells[key] = [1, r.value, r.value, r.value]
        else:
            cell[0] += 1
            cell[1] += r.value
            cell[2] = min(cell[2], r.value)
            cell[3] = max(cell[3], r.value)
    if not cells:
        return 0
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO sensor_hourly AS h (sensor_id, hour, kind, n, sum, min, max) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (sensor_id, hour) DO UPDATE SET "
            "n = h.n + EXCLUDED.n, sum = h.sum + EXCLUDED.sum, "
            "min = least(h.min, EXCLUDED.min), max = greatest(h.max, EXCLUDED.max)",
            [(*key, *cell) for key, cell in sorted(cells.items())])
    return len(cells)
