"""flipbooks.zoom_queued_at, zoomed_at, zoom_attempts: the zoom pass as a job the sweep recovers

A zoom pass whose message was lost (a Redis restart) or whose worker died used to leave a book
without zoom images for good. Books converted before this migration keep NULLs: the sweep never
touches them (their zoom pass ran, or is left as it was).

Revision ID: 0012_zoom_jobs
Revises: 0011_account_names
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_zoom_jobs"
down_revision = "0011_account_names"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flipbooks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("zoom_queued_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("zoomed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("zoom_attempts", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("flipbooks", schema=None) as batch_op:
        batch_op.drop_column("zoom_attempts")
        batch_op.drop_column("zoomed_at")
        batch_op.drop_column("zoom_queued_at")
