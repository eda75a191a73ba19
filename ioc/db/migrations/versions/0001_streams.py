"""Tables for every stream, latest-value tables and worker status.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from alembic import op

from ioc.db.storage import create_time_series, timescale_available

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()

    def scalar(q: str):
        return bind.exec_driver_sql(q).scalar()

    timescale = False
    if timescale_available(scalar):
        try:
            with bind.begin_nested():
                op.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
            timescale = True
        except Exception:  # noqa: BLE001 - present but not preloaded: fall back to plain tables
            timescale = False

    create_time_series(op.execute, "sensor_readings", """
        event_id uuid NOT NULL,
        ts timestamptz NOT NULL,
        sensor_id text NOT NULL,
        kind text NOT NULL,
        value double precision NOT NULL,
        unit text NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT clock_timestamp()
    """, timescale)

    create_time_series(op.execute, "detections", """
        event_id uuid NOT NULL,
        ts timestamptz NOT NULL,
        camera_id text NOT NULL,
        frame_seq bigint NOT NULL,
        model text NOT NULL,
        boxes jsonb NOT NULL,
        n_boxes integer NOT NULL
    """, timescale)

    create_time_series(op.execute, "traffic_metrics", """
        event_id uuid NOT NULL,
        ts timestamptz NOT NULL,
        camera_id text NOT NULL,
        window_start timestamptz NOT NULL,
        counts jsonb NOT NULL,
        crossings jsonb NOT NULL,
        occupancy double precision NOT NULL,
        congestion_index double precision NOT NULL,
        average_speed_kmh double precision
    """, timescale)

    create_time_series(op.execute, "alarm_events", """
        event_id uuid NOT NULL,
        ts timestamptz NOT NULL,
        source_id text NOT NULL,
        source_kind text NOT NULL,
        alarm_type text NOT NULL,
        state text NOT NULL,
        severity text NOT NULL,
        value double precision,
        threshold double precision,
        message text NOT NULL,
        evidence_ref text
    """, timescale)

    op.execute("""
    CREATE TABLE sensor_latest (
        sensor_id text PRIMARY KEY,
        event_id uuid NOT NULL,
        ts timestamptz NOT NULL,
        kind text NOT NULL,
        value double precision NOT NULL,
        unit text NOT NULL
    )""")

    op.execute("""
    CREATE TABLE camera_snapshots (
        camera_id text PRIMARY KEY,
        event_id uuid NOT NULL,
        ts timestamptz NOT NULL,
        seq bigint NOT NULL,
        width integer NOT NULL,
        height integer NOT NULL,
        jpeg bytea NOT NULL
    )""")

    op.execute("""
    CREATE TABLE citizen_reports (
        report_id text PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        ts timestamptz NOT NULL,
        text text NOT NULL,
        lang text,
        lat double precision NOT NULL,
        lon double precision NOT NULL,
        ward text,
        address text,
        category_hint text,
        source text NOT NULL,
        contact text,
        photo_url text,
        client_key text UNIQUE,
        stored_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )""")
    op.execute("CREATE INDEX citizen_reports_ts ON citizen_reports (ts)")

    op.execute("""
    CREATE TABLE report_triage (
        event_id uuid PRIMARY KEY,
        ts timestamptz NOT NULL,
        report_id text NOT NULL,
        urgency text NOT NULL,
        category text NOT NULL,
        department text NOT NULL,
        confidence double precision NOT NULL,
        cues jsonb NOT NULL,
        needs_review boolean NOT NULL,
        model_version text NOT NULL
    )""")
    op.execute("CREATE INDEX report_triage_report ON report_triage (report_id, ts)")

    op.execute("""
    CREATE TABLE report_events (
        event_id uuid PRIMARY KEY,
        ts timestamptz NOT NULL,
        report_id text NOT NULL,
        action text NOT NULL,
        actor text NOT NULL,
        note text,
        details jsonb NOT NULL DEFAULT '{}'
    )""")
    op.execute("CREATE INDEX report_events_report ON report_events (report_id, ts)")

    op.execute("""
    CREATE TABLE deadletters (
        event_id uuid PRIMARY KEY,
        ts timestamptz NOT NULL,
        reason text NOT NULL,
        source_topic text NOT NULL,
        source_partition integer NOT NULL,
        source_offset bigint NOT NULL,
        key text,
        raw_b64 text NOT NULL,
        raw_bytes integer NOT NULL,
        worker text NOT NULL
    )""")
    op.execute("CREATE INDEX deadletters_ts ON deadletters USING brin (ts)")

    op.execute("""
    CREATE TABLE worker_status (
        worker text NOT NULL,
        instance text NOT NULL,
        event_id uuid NOT NULL,
        ts timestamptz NOT NULL,
        started_at timestamptz NOT NULL,
        processed bigint NOT NULL,
        dead_lettered bigint NOT NULL,
        lag_s double precision NOT NULL,
        caught_up boolean NOT NULL,
        PRIMARY KEY (worker, instance)
    )""")
