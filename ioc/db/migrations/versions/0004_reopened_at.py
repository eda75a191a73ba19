"""When a report was last reopened: from then it needs another response, due one SLA window
later (the first-response clock and its KPI stay as they were).

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
    # Reports reopened before this column existed: their reopening is in the audit trail (a
    # refused reopen before 0003 may be marked applied there, hence the bounds).
    op.execute("""
        UPDATE report_state s SET reopened_at = e.ts
          FROM (SELECT report_id, max(ts) AS ts FROM report_events
                 WHERE action = 'reopen' AND outcome = 'applied' GROUP BY report_id) e
         WHERE s.report_id = e.report_id AND s.status IN ('reopened', 'acknowledged')
           AND e.ts <= s.updated_at""")


def downgrade() -> None:
    op.execute("ALTER TABLE report_state DROP COLUMN reopened_at")
