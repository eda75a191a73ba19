"""Vision snapshots: the annotated frame each camera incident alarm shows as its evidence
(`alarm_events.evidence_ref` names it), kept as long as the alarm history.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE vision_snapshots (
        event_id uuid PRIMARY KEY,
        ts timestamptz NOT NULL,
        camera_id text NOT NULL,
        frame_seq bigint NOT NULL,
        width integer NOT NULL,
        height integer NOT NULL,
        caption text NOT NULL,
        jpeg bytea NOT NULL
    )""")
    op.execute("CREATE INDEX vision_snapshots_camera ON vision_snapshots (camera_id, ts DESC)")


def downgrade() -> None:
    op.execute("DROP TABLE vision_snapshots")
