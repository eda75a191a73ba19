"""When a report was last reopened: from then it needs another response, due one SLA window
later (the first-response clock and its KPI stay as they were). And the response clock the
queue runs on, written by persistence from ioc/sla.py: whether a response is awaited, and
from when to when (the first response's, or the one a reopened report needs).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE report_state ADD COLUMN reopened_at timestamptz")
    op.execute("ALTER TABLE report_state ADD COLUMN awaiting boolean")
    op.execute("ALTER TABLE report_state ADD COLUMN respond_from timestamptz")
    op.execute("ALTER TABLE report_state ADD COLUMN respond_by timestamptz")
    # Reports reopened before this column existed: their reopening is in the audit trail (a
    # refused reopen before 0003 may be marked applied there, hence the bounds).
    op.execute("""
        UPDATE report_state s SET reopened_at = e.ts
          FROM (SELECT report_id, max(ts) AS ts FROM report_events
                 WHERE action = 'reopen' AND outcome = 'applied' GROUP BY report_id) e
         WHERE s.report_id = e.report_id AND s.status IN ('reopened', 'acknowledged')
           AND e.ts <= s.updated_at""")
    op.execute("""
        UPDATE report_state SET
          awaiting = first_response_at IS NULL OR reopened_at IS NOT NULL,
          respond_from = coalesce(reopened_at, received_at),
          respond_by = coalesce(reopened_at, received_at) + (due_at - received_at)""")
    for column in ("awaiting", "respond_from", "respond_by"):
        op.execute(f"ALTER TABLE report_state ALTER COLUMN {column} SET NOT NULL")


def downgrade() -> None:
    for column in ("respond_by", "respond_from", "awaiting", "reopened_at"):
        op.execute(f"ALTER TABLE report_state DROP COLUMN IF EXISTS {column}")
