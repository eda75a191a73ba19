"""The projection's verdict on each lifecycle event: applied, or refused and why.

An operator's action is checked where it is applied (persistence folds a report's events in
order), not against a read model that may lag; the API waits for this verdict to answer.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: not folded yet (persistence has not seen the report itself).
    op.execute("ALTER TABLE report_events ADD COLUMN outcome text "
               "CHECK (outcome IN ('applied', 'refused'))")
    op.execute("ALTER TABLE report_events ADD COLUMN refusal text")
    # Events folded before this column existed were applied or logged as refused; the log is
    # the only record of which, so they are marked applied.
    op.execute("UPDATE report_events SET outcome = 'applied'")


def downgrade() -> None:
    op.execute("ALTER TABLE report_events DROP COLUMN refusal")
    op.execute("ALTER TABLE report_events DROP COLUMN outcome")
