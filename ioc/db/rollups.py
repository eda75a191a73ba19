"""Rollups that keep KPI queries fast on months of history: `sensor_hourly` holds, per sensor and
hour, the count, sum, minimum and maximum of its readings (what the hourly AQI NowCast and the
trends read instead of millions of raw rows); `report_daily` counts each day's reports the way
the window KPIs do (ioc.kpis.ReportGroup), so a 30-day window reads a few hundred rows.

On plain PostgreSQL it is a table that persistence keeps up to date in the same transaction as
the readings it stores, adding only readings newly stored, so it is never stale and a replayed
batch adds nothing. Where TimescaleDB is in use it is a continuous aggregate instead (see
`ioc.db.storage.create_hourly_aggregate`) and persistence leaves it to Timescale.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

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


REPORT_DAY_COLUMNS = ("day", "ward", "category", "urgency", "received", "decided", "on_time",
                      "response_minutes", "resolved", "resolved_on_time", "ratings")


def recount_days_sql(where: str) -> str:
    """The SELECT that counts report_daily's rows for the reports matching `where`. Its counts
    mirror ioc.kpis.report_kpis; `decided` is every urgent report, which holds for days whose
    2-hour deadlines have all passed (the only days the KPIs read from here)."""
    return f"""
        SELECT (s.received_at AT TIME ZONE 'UTC')::date, coalesce(r.ward, ''),
               coalesce(s.category, r.category_hint, ''), coalesce(s.urgency, ''),
               count(*), count(*) FILTER (WHERE s.urgency = 'urgent'),
               count(*) FILTER (WHERE s.urgency = 'urgent' AND s.first_response_at <= s.due_at),
               coalesce(array_agg(extract(epoch FROM s.first_response_at - s.received_at)
                                  ::double precision / 60)
                        FILTER (WHERE s.first_response_at IS NOT NULL), '{{}}'),
               count(*) FILTER (WHERE s.resolved_at IS NOT NULL),
               count(*) FILTER (WHERE s.resolved_at <= s.resolve_due_at),
               coalesce(array_agg(s.rating) FILTER (WHERE s.rating IS NOT NULL), '{{}}')
        FROM report_state s JOIN citizen_reports r USING (report_id)
        WHERE {where}
        GROUP BY 1, 2, 3, 4"""


def recount_report_days(conn: psycopg.Connection, days: Iterable[date]) -> int:
    """Count these UTC days of report_daily again from report_state. Caller holds the
    transaction, the one that changed the days' reports, so the rollup is never behind."""
    days = sorted(set(days))
    if not days:
        return 0
    with conn.cursor() as cur:
        cur.execute("DELETE FROM report_daily WHERE day = ANY(%s)", (days,))
        cur.execute(
            f"INSERT INTO report_daily ({', '.join(REPORT_DAY_COLUMNS)}) " + recount_days_sql(
                "s.received_at >= %(first)s::date AT TIME ZONE 'UTC' "
                "AND s.received_at < (%(last)s::date + 1) AT TIME ZONE 'UTC' "
                "AND (s.received_at AT TIME ZONE 'UTC')::date = ANY(%(days)s)"),
            {"first": days[0], "last": days[-1], "days": days})
        return cur.rowcount
