"""`flipshelf accounts rename/unrevoke/delete` and unique names, run as an operator runs them
(the installed command in a subprocess, on every configured database), then checked through the
API a client calls."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from flipshelf.app import create_app
from flipshelf.db.database import make_engine
from flipshelf.db.migrate import upgrade
from flipshelf.domain.accounts import Account, KeyPair
from flipshelf.runtime import Runtime, build_runtime
from tests.integration.test_cli import Cli, create, listed, runner, same_settings_as_the_cli
from tests.support import Tenant, seed_collection, signed


@pytest.fixture
def cli(data_dir: Path, database_url: str) -> Cli:
    return runner(data_dir, database_url)


@pytest.fixture
def installation(data_dir: Path, database_url: str) -> Iterator[Runtime]:
    """The CLI's installation, as the server sees it (migrated, as `serve` leaves it)."""
    cli_database = "" if database_url.startswith("sqlite") else database_url  # as runner()
    settings = same_settings_as_the_cli(data_dir, cli_database)
    upgrade(settings.resolved_database_url())
    runtime = build_runtime(settings)
    yield runtime
    runtime.db.dispose()


def answer_code(runtime: Runtime, pair: dict[str, str], action: str, **params: str) -> int:
    """The v1 code a client holding `pair` gets (a fresh app: no credential cached)."""
    with TestClient(create_app(runtime)) as client:
        keys = KeyPair(pair["apiKey"], pair["secret"])
        return int(client.get("/v1/", params=signed(keys, action, **params)).json()["code"])


def settles_on(runtime: Runtime, pair: dict[str, str], code: int, timeout: float = 10) -> None:
    """The code a client gets once the API's credential cache (FLIPSHELF_CREDENTIALS_CACHE_SECONDS,
    kept with the runtime) has let go of what the CLI changed in another process."""
    deadline = time.monotonic() + timeout
    while (got := answer_code(runtime, pair, "collection.getList")) != code:
        assert time.monotonic() < deadline, f"still {got}, not {code}, after {timeout:.0f} s"
        time.sleep(0.2)


def account_of(runtime: Runtime, api_key: str) -> Account:
    found = runtime.ports.accounts.by_api_key(api_key)
    assert found is not None
    return found[0]


def test_a_second_live_account_cannot_take_a_name(cli: Cli) -> None:
    create(cli, "shop")
    done = cli("accounts", "create", "shop", ok=False)
    assert done.returncode == 1
    assert "an account named 'shop' exists already" in done.stderr, done.stderr
    assert [row["name"] for row in listed(cli)] == ["shop"]  # nothing stored


def test_rename_frees_the_old_name_and_refuses_a_taken_one(cli: Cli) -> None:
    shop = create(cli, "shop")
    other = create(cli, "other")
    done = cli("accounts", "rename", other["apiKey"], "shop", ok=False)
    assert done.returncode == 1 and "exists already" in done.stderr, done.stderr
    cli("accounts", "rename", shop["apiKey"], "Shop & Co")
    assert {row["name"] for row in listed(cli)} == {"Shop & Co", "other"}
    create(cli, "shop")  # free again
    assert cli("accounts", "login-link", "Shop & Co", "--json").returncode == 0
    done = cli("accounts", "rename", "NOPE-KEY", "x", ok=False)
    assert done.returncode == 1 and "no account has this apiKey" in done.stderr


def test_unrevoke_lets_the_same_key_pair_call_again(cli: Cli, installation: Runtime) -> None:
    pair = create(cli, "shop")
    cli("accounts", "revoke", pair["apiKey"])
    settles_on(installation, pair, 41)
    cli("accounts", "unrevoke", pair["apiKey"])
    assert answer_code(installation, pair, "collection.getList") == 20
    done = cli("accounts", "unrevoke", pair["apiKey"], ok=False)  # not revoked now
    assert done.returncode == 1 and "no revoked account" in done.stderr


def test_delete_refuses_while_collections_live_then_takes_them_along(
    cli: Cli, installation: Runtime
) -> None:
    pair = create(cli, "shop")
    tenant = Tenant(account_of(installation, pair["apiKey"]), KeyPair(**_pair(pair)))
    kept = seed_collection(installation, tenant)
    done = cli("accounts", "delete", pair["apiKey"], "--yes", ok=False)
    assert done.returncode == 1 and "1 collection(s)" in done.stderr, done.stderr
    assert answer_code(installation, pair, "collection.getList") == 20  # nothing deleted

    done = cli("accounts", "delete", pair["apiKey"], "--yes", "--with-collections", "--json")
    assert json.loads(done.stdout) == {"apiKey": pair["apiKey"], "deletedCollections": [kept.hash]}
    settles_on(installation, pair, 41)
    stored = installation.ports.collections.get(kept.hash)
    assert stored is not None and stored.deleted_at is not None  # its hash answers 43
    assert listed(cli) == []
    create(cli, "shop")  # the name is free again
    for command in ("unrevoke", "rename", "delete"):
        extra = ["x"] if command == "rename" else ["--yes"] if command == "delete" else []
        done = cli("accounts", command, pair["apiKey"], *extra, ok=False)
        assert done.returncode == 1, command  # a deleted account stays deleted


def test_delete_without_yes_asks_and_a_no_keeps_everything(cli: Cli) -> None:
    pair = create(cli, "shop")
    done = cli("accounts", "delete", pair["apiKey"], given="n\n", ok=False)
    assert done.returncode == 1 and "nothing deleted" in done.stderr
    assert [row["apiKey"] for row in listed(cli)] == [pair["apiKey"]]


def test_serve_makes_no_first_account_when_every_account_was_deleted(
    cli: Cli, installation: Runtime
) -> None:
    from flipshelf.cli_accounts import first_account

    pair = create(cli, "shop")
    cli("accounts", "delete", pair["apiKey"], "--yes")
    first_account(installation)
    assert installation.ports.accounts.all() == []


def test_the_migration_renames_live_duplicates_so_names_become_unique(database_url: str) -> None:
    upgrade(database_url, "0010_failed_pages")
    engine = make_engine(database_url)
    with engine.begin() as conn:
        for number, name in enumerate(["shop", "shop", "shop (2)", "shop", "solo"], start=1):
            conn.execute(
                text(
                    "INSERT INTO accounts (id, name, api_key, secret_enc, created_at, strict) "
                    "VALUES (:id, :name, :key, 'S', '2026-12-01 10:00:00', false)"
                ),
                {"id": number, "name": name, "key": f"K{number}"},
            )
    engine.dispose()
    upgrade(database_url)
    engine = make_engine(database_url)
    with engine.begin() as conn:
        names = conn.execute(text("SELECT name FROM accounts ORDER BY id")).scalars().all()
    engine.dispose()
    assert names == ["shop", "shop (3)", "shop (2)", "shop (4)", "solo"]


def _pair(pair: dict[str, str]) -> dict[str, str]:
    return {"api_key": pair["apiKey"], "secret": pair["secret"]}
