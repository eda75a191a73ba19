"""Hourly sensor rollup (`sensor_hourly`): count, sum, min and max per sensor and hour, behind the
hourly AQI and the trends, so KPI queries stay fast on months of readings. A table kept by
persistence on plain PostgreSQL; a continuous aggregate with real-time aggregation on where
TimescaleDB is in use (ioc/db/storage.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from alembic import op

from ioc.db.storage import create_hourly_aggregate, timescale_in_use

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if timescale_in_use(lambda q: bind.exec_driver_sql(q).scalar()):
        create_hourly_aggregate(op.execute)
        return
    op.execute("""
    CREATE TABLE sensor_hourly (
        sensor_id text NOT NULL,
        hour timestamptz NOT NULL,
        kind text NOT NULL,
        n integer NOT NULL,
        sum double precision NOT NULL,
        min double precision NOT NULL,
        max double precision NOT NULL,
        PRIMARY KEY (sensor_id, hour)
    )""")
    op.execute("CREATE INDEX sensor_hourly_hour ON sensor_hourly (hour)")
    op.execute("""
        INSERT INTO sensor_hourly (sensor_id, hour, kind, n, sum, min, max)
        SELECT sensor_id, date_trunc('hour', ts), min(kind), count(*), sum(value), min(value),
               max(value)
        FROM sensor_readings GROUP BY 1, 2""")


def downgrade() -> None:
    bind = op.get_bind()
    if timescale_in_use(lambda q: bind.exec_driver_sql(q).scalar()):
        op.execute("DROP MATERIALIZED VIEW sensor_hourly")
    else:
        op.execute("DROP TABLE sensor_hourly")
