"""Idempotent batch writes: COPY into a staging table, then one INSERT ... ON CONFLICT.

COPY is the fastest way into PostgreSQL; the staging step makes it idempotent, so a batch that
is written again after a crash (before its offsets were committed) changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql


def _stage(conn: psycopg.Connection, table: str) -> sql.Identifier:
    stage = sql.Identifier(f"stage_{table}")
    conn.execute(sql.SQL(
        "CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    ).format(stage, sql.Identifier(table)))
    return stage


def _copy(conn: psycopg.Connection, stage: sql.Identifier, columns: Sequence[str],
          rows: Sequence[tuple]) -> None:
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    with conn.cursor() as cur, cur.copy(
            sql.SQL("COPY {} ({}) FROM STDIN").format(stage, cols)) as copy:
        for row in rows:
            copy.write_row(row)


def insert_new(conn: psycopg.Connection, table: str, columns: Sequence[str],
               rows: Sequence[tuple], returning: str | None = None) -> int | set:
    """Insert rows whose key is not there yet. Returns how many were new, or with `returning`
    the set of that column's values for the new rows. Caller commits."""
    if not rows:
        return set() if returning else 0
    stage = _stage(conn, table)
    _copy(conn, stage, columns, rows)
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    query = sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT DO NOTHING").format(
        sql.Identifier(table), cols, cols, stage)
    if returning:
        query += sql.SQL(" RETURNING {}").format(sql.Identifier(returning))
        return {row[0] for row in conn.execute(query)}
    return conn.execute(query).rowcount


def upsert_latest(conn: psycopg.Connection, table: str, key: Sequence[str],
                  columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Keep one row per key: the one with the newest `ts`. Older or replayed rows lose."""
    if not rows:
        return
    # Only the newest row per key can win: drop the rest before they cross the wire.
    key_at = [columns.index(k) for k in key]
    ts_at = columns.index("ts")
    newest: dict[tuple, tuple] = {}
    for row in rows:
        k = tuple(row[i] for i in key_at)
        if k not in newest or newest[k][ts_at] < row[ts_at]:
            newest[k] = row
    stage = _stage(conn, table)
    _copy(conn, stage, columns, list(newest.values()))
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    keys = sql.SQL(", ").join(map(sql.Identifier, key))
    updates = sql.SQL(", ").join(
        sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(c), sql.Identifier(c))
        for c in columns if c not in key)
    conn.execute(sql.SQL(
        "INSERT INTO {table} AS t ({cols}) "
        "SELECT DISTINCT ON ({keys}) {cols} FROM {stage} ORDER BY {keys}, ts DESC "
        "ON CONFLICT ({keys}) DO UPDATE SET {updates} WHERE t.ts < EXCLUDED.ts"
    ).format(table=sql.Identifier(table), cols=cols, keys=keys, stage=stage, updates=updates))
