"""accounts.deleted_at, and one live account per name

`flipshelf accounts delete` keeps the row (its collections keep answering 43 for their hashes)
and frees the name. Databases made before names were unique may hold two live accounts with one
name: every one but the oldest gets " (2)", " (3)"... so the unique index can be built; the
operator sees the new names in `flipshelf accounts list` and may rename them.

Revision ID: 0011_account_names
Revises: 0010_failed_pages
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_account_names"
down_revision = "0010_failed_pages"
branch_labels = None
depends_on = None

_LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))
    _rename_duplicates()
    op.create_index(
        "ux_accounts_live_name",
        "accounts",
        ["name"],
        unique=True,
        sqlite_where=_LIVE,
        postgresql_where=_LIVE,
    )


def _rename_duplicates() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, name FROM accounts ORDER BY id")).all()
    taken = {name for _, name in rows}
    seen: set[str] = set()
    for account_id, name in rows:
        if name not in seen:
            seen.add(name)
            continue
        number = 2
        while f"{name[:90]} ({number})" in taken:
            number += 1
        new_name = f"{name[:90]} ({number})"
        taken.add(new_name)
        conn.execute(
            sa.text("UPDATE accounts SET name = :name WHERE id = :id"),
            {"name": new_name, "id": account_id},
        )


def downgrade() -> None:
    op.drop_index("ux_accounts_live_name", table_name="accounts")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
