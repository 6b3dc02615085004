"""dashboard: passwords, browser sessions, used login links, failed sign-in attempts

Revision ID: 0006_dashboard
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_dashboard"
down_revision = "0005"
branch_labels = None
depends_on = None


def _account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"], ["accounts.id"], name=op.f(f"fk_{table}_account_id_accounts")
    )


def upgrade() -> None:
    op.create_table(
        "passwords",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=255), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        _account_fk("passwords"),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_passwords")),
    )
    op.create_table(
        "dashboard_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        _account_fk("dashboard_sessions"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_dashboard_sessions")),
    )
    op.create_index(
        "ix_dashboard_sessions_account_id", "dashboard_sessions", ["account_id"], unique=False
    )
    op.create_table(
        "used_login_links",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        _account_fk("used_login_links"),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_used_login_links")),
    )
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_failures")),
    )


def downgrade() -> None:
    op.drop_table("sign_in_failures")
    op.drop_table("used_login_links")
    op.drop_index("ix_dashboard_sessions_account_id", table_name="dashboard_sessions")
    op.drop_table("dashboard_sessions")
    op.drop_table("passwords")
