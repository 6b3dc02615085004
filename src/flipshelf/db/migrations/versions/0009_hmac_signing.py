"""accounts.hmac_only: keys that must sign with HMAC-SHA256 (flipshelf accounts create --strict)

Revision ID: 0009_signing
Revises: 0008_webhooks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_signing"
down_revision = "0008_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hmac_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("hmac_only")
