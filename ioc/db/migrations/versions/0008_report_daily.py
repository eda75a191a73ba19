"""Daily report rollup (`report_daily`): per UTC day of receipt, ward, category and urgency, the
counts the window KPIs need (received, urgent decided and on time, resolved and on time) and the
response minutes and ratings themselves (percentiles and shares need the values). Persistence
keeps it, recounting a day whenever one of its reports changes; the KPIs read it for the days of
a long window that are over a week old (ioc/db/queries.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from alembic import op

from ioc.db.rollups import REPORT_DAY_COLUMNS, recount_days_sql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE report_daily (
        day date NOT NULL,
        ward text NOT NULL,
        category text NOT NULL,
        urgency text NOT NULL,
        received integer NOT NULL,
        decided integer NOT NULL,
        on_time integer NOT NULL,
        response_minutes double precision[] NOT NULL,
        resolved integer NOT NULL,
        resolved_on_time integer NOT NULL,
        ratings smallint[] NOT NULL,
        PRIMARY KEY (day, ward, category, urgency)
    )""")
    # Whatever history is stored already.
    op.execute(f"INSERT INTO report_daily ({', '.join(REPORT_DAY_COLUMNS)}) "
               + recount_days_sql("TRUE"))


def downgrade() -> None:
    op.execute("DROP TABLE report_daily")
