"""Report state (the operator queue's read model), accounts and API keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE report_state (
        report_id text PRIMARY KEY REFERENCES citizen_reports (report_id),
        received_at timestamptz NOT NULL,
        status text NOT NULL,
        is_open boolean NOT NULL,
        urgency text,
        category text,
        department text,
        confidence double precision,
        cues jsonb NOT NULL DEFAULT '[]',
        needs_review boolean NOT NULL DEFAULT false,
        overridden boolean NOT NULL DEFAULT false,
        assignee text,
        acknowledged_at timestamptz,
        first_response_at timestamptz,
        last_response text,
        resolved_at timestamptz,
        closed_at timestamptz,
        rejected_reason text,
        rating integer,
        due_at timestamptz NOT NULL,
        resolve_due_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )""")
    # The queue: open reports by due time (breached first, since they are due earliest).
    op.execute("CREATE INDEX report_state_queue ON report_state (due_at) WHERE is_open")
    op.execute("CREATE INDEX report_state_received ON report_state (received_at)")

    op.execute("""
    CREATE TABLE users (
        username text PRIMARY KEY,
        role text NOT NULL CHECK (role IN ('operator', 'leader', 'engineer', 'admin')),
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        disabled boolean NOT NULL DEFAULT false
    )""")
    op.execute("""
    CREATE TABLE api_keys (
        key_hash text PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked boolean NOT NULL DEFAULT false
    )""")
