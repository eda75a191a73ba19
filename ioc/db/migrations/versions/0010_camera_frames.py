"""Camera frames: a sampled archive of what each camera saw, so `ioc record` can put frames in a
recording (camera_snapshots keeps only each camera's newest frame).

One frame per camera per slot of IOC_FRAME_ARCHIVE_EVERY_S seconds of event time: the slot's
start is `bucket`, and the key (camera_id, bucket) keeps the earliest frame of the slot however
often or in whatever order a batch is written. Persistence prunes each camera's frames older
than IOC_FRAME_ARCHIVE_HOURS behind its newest one, a delete along this same key.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE camera_frames (
        camera_id text NOT NULL,
        bucket timestamptz NOT NULL,
        ts timestamptz NOT NULL,
        seq bigint NOT NULL,
        width integer NOT NULL,
        height integer NOT NULL,
        event_id uuid NOT NULL,
        jpeg bytea NOT NULL,
        PRIMARY KEY (camera_id, bucket)
    )""")
    # JPEG does not compress: store it out of line without trying (TOAST would try pglz).
    op.execute("ALTER TABLE camera_frames ALTER COLUMN jpeg SET STORAGE EXTERNAL")
    # `ioc record` reads a time range across cameras; rows arrive roughly in time order.
    op.execute("CREATE INDEX camera_frames_ts ON camera_frames USING brin (ts)")


def downgrade() -> None:
    op.execute("DROP TABLE camera_frames")
