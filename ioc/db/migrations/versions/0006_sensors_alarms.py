"""Sensors are registered (kind, place, reporting interval, thresholds), and alarms have a
current-state table folded from their events by ioc/alarms.py, as reports have report_state.

An alarm event is now a step (raise, clear, acknowledge, shelve, …) with its actor; the state
it led to, or the reason it was refused, is written beside it when it is folded.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE sensors (
        sensor_id text PRIMARY KEY,
        kind text NOT NULL,
        station text NOT NULL,
        ward text,
        lat double precision,
        lon double precision,
        stream text,
        interval_s double precision NOT NULL,
        thresholds jsonb NOT NULL DEFAULT '{}',
        registered_by text NOT NULL DEFAULT 'city',
        registered_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )""")

    op.execute("ALTER TABLE alarm_events ALTER COLUMN state DROP NOT NULL, "
               "ALTER COLUMN severity DROP NOT NULL, "
               "ADD COLUMN action text NOT NULL DEFAULT 'raise', "
               "ADD COLUMN actor text NOT NULL DEFAULT 'system', "
               "ADD COLUMN shelved_until timestamptz, ADD COLUMN note text, "
               "ADD COLUMN alarm_id uuid, ADD COLUMN outcome text, ADD COLUMN refusal text")
    op.execute("CREATE INDEX alarm_events_alarm ON alarm_events (alarm_id, ts)")
    op.execute("CREATE INDEX alarm_events_source ON alarm_events (source_id, alarm_type, ts)")

    op.execute("""
    CREATE TABLE alarms (
        alarm_id uuid PRIMARY KEY,
        source_id text NOT NULL,
        source_kind text NOT NULL,
        alarm_type text NOT NULL,
        severity text NOT NULL,
        raised_at timestamptz NOT NULL,
        annunciated_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        active boolean NOT NULL,
        acked boolean NOT NULL,
        shelved_until timestamptz,
        shelved_by text,
        suppressed boolean NOT NULL,
        out_of_service boolean NOT NULL,
        acknowledged_at timestamptz,
        acknowledged_by text,
        cleared_at timestamptz,
        closed_at timestamptz,
        value double precision,
        threshold double precision,
        message text NOT NULL,
        evidence_ref text
    )""")
    # One open alarm per source and type (a shelf that ran out is closed by the next event).
    op.execute("CREATE UNIQUE INDEX alarms_one_open ON alarms (source_id, alarm_type) "
               "WHERE closed_at IS NULL")
    op.execute("CREATE INDEX alarms_raised ON alarms (raised_at)")


def downgrade() -> None:
    op.execute("DROP TABLE alarms")
    op.execute("DROP INDEX IF EXISTS alarm_events_alarm")
    op.execute("DROP INDEX IF EXISTS alarm_events_source")
    op.execute("ALTER TABLE alarm_events DROP COLUMN action, DROP COLUMN actor, "
               "DROP COLUMN shelved_until, DROP COLUMN note, DROP COLUMN alarm_id, "
               "DROP COLUMN outcome, DROP COLUMN refusal")
    op.execute("DROP TABLE sensors")
