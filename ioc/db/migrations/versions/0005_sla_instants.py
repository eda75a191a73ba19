"""Every instant the SLA turns on is stored, computed by ioc/sla.py (`sla.instants`): the first
response's warning (`warn_at`), and for the response the queue's clock runs on, which one it is
(`respond_kind`) and when it enters warning (`respond_warn_at`). The queue filters on these, so
no SQL works a warning out again; `respond_from` is no longer needed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from alembic import op

from ioc.policy import load_policy

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    share = float(load_policy().sla.warn_share_left)
    op.execute("ALTER TABLE report_state ADD COLUMN warn_at timestamptz, "
               "ADD COLUMN respond_kind text, ADD COLUMN respond_warn_at timestamptz")
    op.execute(f"""
        UPDATE report_state SET
          warn_at = due_at - (due_at - received_at) * {share},
          respond_kind = CASE WHEN respond_from = received_at THEN 'first_response'
                              ELSE 'response_again' END,
          respond_warn_at = respond_by - (respond_by - respond_from) * {share}""")
    for column in ("warn_at", "respond_kind", "respond_warn_at"):
        op.execute(f"ALTER TABLE report_state ALTER COLUMN {column} SET NOT NULL")
    op.execute("ALTER TABLE report_state DROP COLUMN respond_from")
    op.execute("CREATE INDEX report_state_respond_by ON report_state (respond_by) "
               "WHERE is_open")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS report_state_respond_by")
    op.execute("ALTER TABLE report_state ADD COLUMN respond_from timestamptz")
    op.execute("UPDATE report_state SET respond_from = CASE WHEN respond_kind = 'first_response' "
               "THEN received_at ELSE coalesce(reopened_at, received_at) END")
    op.execute("ALTER TABLE report_state ALTER COLUMN respond_from SET NOT NULL")
    for column in ("respond_warn_at", "respond_kind", "warn_at"):
        op.execute(f"ALTER TABLE report_state DROP COLUMN {column}")
