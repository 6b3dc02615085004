"""The database on every configured backend: migrations, pragmas, secrets at rest, quota."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from flipshelf.db.database import Database, make_engine
from flipshelf.db.migrate import downgrade, pending, upgrade
from flipshelf.db.schema import metadata
from flipshelf.domain.quota import month_key
from flipshelf.runtime import Runtime
from tests.support import new_tenant


def test_migrations_build_exactly_the_schema_and_go_back_down(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert tables == set(metadata.tables)
    for table in metadata.tables.values():
        columns = {c["name"] for c in inspect(engine).get_columns(table.name)}
        assert columns == set(table.columns.keys()), table.name
    engine.dispose()
    downgrade(database_url, "base")
    engine = make_engine(database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(database_url)  # and up again


def test_migrations_match_the_schema_in_every_detail(database_url: str) -> None:
    """Types, nullability, keys, foreign keys and indexes: what autogenerate would change."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade(database_url)
    engine = make_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(context, metadata) == []
    engine.dispose()


def test_the_reader_sessions_migration_goes_down_alone(database_url: str) -> None:
    upgrade(database_url)
    downgrade(database_url, "0001")
    engine = make_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    assert "reader_sessions" not in tables and "stats_days" in tables
    engine.dispose()
    upgrade(database_url)
    engine = make_engine(database_url)
    indexes = {i["name"] for i in inspect(engine).get_indexes("reader_sessions")}
    assert indexes == {"ix_reader_sessions_day"}
    keys = inspect(engine).get_pk_constraint("reader_sessions")["constrained_columns"]
    assert keys == ["session", "collection_id", "kind", "flipbook", "page"]
    engine.dispose()


def test_the_package_variant_migration_keeps_rows_and_never_reuses_ids(database_url: str) -> None:
    """0007_player adds `variant` (existing packages are full ones) to the unique key; on
    SQLite the rebuilt table keeps AUTOINCREMENT (ids name signed download links)."""
    upgrade(database_url, "0004")
    engine = make_engine(database_url)
    now = "2026-11-23 12:00:00"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (id, name, api_key, secret_enc, created_at, strict) "
                "VALUES (1, 'a', 'K', 'S', :now, false)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO collections (id, hash, account_id, title, description, status, "
                "width, height, version, created_at, updated_at, rtl) VALUES "
                "(1, 'abcdefghij', 1, 't', '', 'published', 650, 385, 7, :now, :now, false)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO packages (collection_id, version, status, attempts, created_at) "
                "VALUES (1, 7, 'COMPLETE', 1, :now)"
            ),
            {"now": now},
        )
        last = conn.execute(text("SELECT max(id) FROM packages")).scalar()
    engine.dispose()
    upgrade(database_url)
    engine = make_engine(database_url)
    with engine.begin() as conn:
        variant = conn.execute(text("SELECT variant FROM packages WHERE id = :id"), {"id": last})
        assert variant.scalar() == "full"
        conn.execute(text("DELETE FROM packages WHERE id = :id"), {"id": last})
        conn.execute(
            text(
                "INSERT INTO packages (collection_id, version, variant, status, attempts, "
                "created_at) VALUES (1, 7, 'lean', 'PROCESSING', 0, :now)"
            ),
            {"now": now},
        )
        assert conn.execute(text("SELECT max(id) FROM packages")).scalar() > last  # not reused
        conn.execute(
            text(
                "INSERT INTO packages (collection_id, version, variant, status, attempts, "
                "created_at) VALUES (1, 7, 'full', 'PROCESSING', 0, :now)"
            ),
            {"now": now},
        )  # the same version in the other variant: its own row
    engine.dispose()
    downgrade(database_url, "0004")
    upgrade(database_url)


def test_sqlite_runs_in_wal_with_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    db = Database(make_engine(f"sqlite:///{tmp_path / 'x.db'}"))
    with db.read() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
    db.dispose()


def test_a_database_dump_holds_no_plaintext_secret(runtime: Runtime) -> None:
    tenant = new_tenant(runtime)
    with runtime.db.read() as conn:
        dumped = repr([tuple(row) for row in conn.execute(text("SELECT * FROM accounts"))])
    assert tenant.pair.api_key in dumped
    assert tenant.pair.secret not in dumped
    url = runtime.settings.resolved_database_url()
    if url.startswith("sqlite:///"):
        raw = Path(url.removeprefix("sqlite:///")).read_bytes()
        wal = Path(url.removeprefix("sqlite:///") + "-wal")
        raw += wal.read_bytes() if wal.exists() else b""
        assert tenant.pair.secret.encode() not in raw


def test_quota_charges_exactly_the_limit_under_concurrent_uploads(runtime: Runtime) -> None:
    tenant = new_tenant(runtime)
    month = month_key(runtime.ports.clock.now())
    results: list[bool] = []
    lock = threading.Lock()

    def charge() -> None:
        ok = runtime.ports.quota.charge(tenant.account.id, month, 7)
        with lock:
            results.append(ok)

    threads = [threading.Thread(target=charge) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 7
    assert runtime.ports.quota.used(tenant.account.id, month) == 7


def test_a_zero_quota_admits_nothing(runtime: Runtime) -> None:
    tenant = new_tenant(runtime)
    assert not runtime.ports.quota.charge(tenant.account.id, "2026-11", 0)


def test_the_server_key_is_made_once_and_kept(tmp_path: Path) -> None:
    from flipshelf.security.server_key import ServerKeyError, load_or_create

    first = load_or_create("", tmp_path)
    assert load_or_create("", tmp_path) == first
    assert (tmp_path / "server.key").stat().st_mode & 0o777 == 0o600
    with pytest.raises(ServerKeyError):
        load_or_create("not base64!", tmp_path)


def test_a_wrong_server_key_is_an_operator_error_not_a_41(runtime: Runtime) -> None:
    import base64

    from flipshelf.security.secret_box import SecretBox
    from flipshelf.services.accounts import credentials

    tenant = new_tenant(runtime)
    wrong = SecretBox(base64.b64decode(base64.b64encode(b"x" * 32)))
    with pytest.raises(RuntimeError, match="FLIPSHELF_SERVER_KEY"):
        credentials(runtime.ports, wrong, tenant.pair.api_key)


def test_migrating_apart_leaves_this_process_without_alembic(tmp_path: Path) -> None:
    """What `serve` does before it forks its zygote: the schema is made by a forked child, and
    the process that goes on to serve never loads alembic or the migration scripts."""
    url = f"sqlite:///{tmp_path / 'apart.db'}"
    script = (
        "import sys\n"
        "from flipshelf.db.migrate import upgrade_apart\n"
        f"upgrade_apart({url!r})\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'alembic')\n"
        "print(loaded)\n"
    )
    assert _python(script).strip() == "[]"
    assert pending(url) == []  # the child brought it to the current schema


def test_a_migration_that_fails_apart_names_the_error() -> None:
    script = (
        "from flipshelf.db.migrate import MigrationFailed, upgrade_apart\n"
        "try:\n"
        "    upgrade_apart('sqlite:////nonexistent-dir/sub/apart.db')\n"
        "except MigrationFailed as failed:\n"
        "    print(failed)\n"
    )
    done = _python(script)
    assert "OperationalError" in done and "unable to open database file" in done, done
    assert "\n" not in done.strip()  # one line: what `serve` prints


def _python(script: str) -> str:
    """`script` run by a fresh interpreter (a fork of the test process would copy its threads'
    locks): its standard output."""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
