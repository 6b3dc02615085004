"""The `flipshelf accounts` commands, run as an operator runs them: the installed command in a
subprocess, with its own data directory, on every configured database."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from flipshelf.domain.accounts import Account
from flipshelf.runtime import build_runtime
from flipshelf.services import accounts
from flipshelf.settings import Settings
from tests.conftest import make_settings

API_KEY_SHAPE = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{12}")

Cli = Callable[..., subprocess.CompletedProcess[str]]


def flipshelf_command() -> list[str]:
    """The console script pip installed beside this interpreter (what an operator types)."""
    script = Path(sys.executable).with_name("flipshelf")
    found = str(script) if script.exists() else shutil.which("flipshelf")
    assert found, "the `flipshelf` command is not installed (pip install -e .)"
    return [found]


def clean_environment(data_dir: Path, database_url: str) -> dict[str, str]:
    """This machine's environment without any FLIPSHELF_* setting but ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIPSHELF_")}
    env["FLIPSHELF_DATA_DIR"] = str(data_dir)
    if not database_url.startswith("sqlite"):
        env["FLIPSHELF_DATABASE_URL"] = database_url
    env["COLUMNS"] = "200"  # rich wraps tables at the terminal width
    return env


def runner(data_dir: Path, database_url: str, **settings: str) -> Cli:
    """Runs `flipshelf ARGS...`; SQLite uses the default file in the data directory. `settings`
    are FLIPSHELF_* names without the prefix, lower case."""
    env = clean_environment(data_dir, database_url)
    env.update({f"FLIPSHELF_{name.upper()}": value for name, value in settings.items()})

    def run(
        *args: str, ok: bool = True, given: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`given`: what the operator types on standard input (none by default)."""
        done = subprocess.run(
            [*flipshelf_command(), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            input=given,
            stdin=subprocess.DEVNULL if given is None else None,
            check=False,
        )
        if ok:
            assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
        return done

    return run


@pytest.fixture
def cli(data_dir: Path, database_url: str) -> Cli:
    """The CLI on every configured database."""
    return runner(data_dir, database_url)


@pytest.fixture
def sqlite_cli(data_dir: Path) -> Cli:
    """The CLI on SQLite only: each call is a process start, so the tests whose subject is the
    command line itself (not the database) run once."""
    return runner(data_dir, "sqlite")


def create(cli: Cli, name: str) -> dict[str, str]:
    done = cli("accounts", "create", name, "--json")
    pair: dict[str, str] = json.loads(done.stdout)
    return pair


def listed(cli: Cli) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(cli("accounts", "list", "--json").stdout)
    return rows


def same_settings_as_the_cli(data_dir: Path, database_url: str) -> Settings:
    """The CLI runs with no FLIPSHELF_* variable but ours; this process may have some."""
    return Settings(
        data_dir=data_dir, database_url=database_url, server_key="", storage_url="", jobs_url=""
    )


def where_the_cli_looks(tmp_path: Path, data_dir: Path, database_url: str) -> Settings:
    """The server side of tests that then run the CLI: SQLite and files in the data directory,
    where the command finds them by default (PostgreSQL by its URL, as runner() passes it)."""
    settings = make_settings(tmp_path, "" if database_url.startswith("sqlite") else database_url)
    assert settings.data_dir == data_dir
    return settings


def stored_secret(data_dir: Path, database_url: str, api_key: str) -> str:
    """The secret the server would check signatures with, read through the services."""
    url = "" if database_url.startswith("sqlite") else database_url
    runtime = build_runtime(same_settings_as_the_cli(data_dir, url))
    try:
        return accounts.credentials(runtime.ports, runtime.box, api_key)[1]
    finally:
        runtime.db.dispose()


def stored_accounts(data_dir: Path) -> list[Account]:
    runtime = build_runtime(same_settings_as_the_cli(data_dir, ""))
    try:
        return runtime.ports.accounts.all()
    finally:
        runtime.db.dispose()


def database_text(data_dir: Path, database_url: str) -> bytes:
    """Everything the database holds, as a dump would show it: raw bytes and SQL text."""
    if database_url.startswith("sqlite"):
        path = data_dir / "flipshelf.db"
        raw = b"".join(
            p.read_bytes()
            for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal"))
            if p.exists()
        )
        with sqlite3.connect(path) as conn:
            dump = "\n".join(conn.iterdump())
        return raw + dump.encode()
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = [
                repr(row)
                for table in inspect(conn).get_table_names()
                for row in conn.execute(text(f'SELECT * FROM "{table}"'))
            ]
    finally:
        engine.dispose()
    return "\n".join(rows).encode()


def test_create_prints_a_key_pair_as_json_and_list_never_shows_the_secret(
    cli: Cli, data_dir: Path, database_url: str
) -> None:
    pair = create(cli, "Acme Publishing")
    assert set(pair) == {"apiKey", "secret"}
    assert API_KEY_SHAPE.fullmatch(pair["apiKey"])
    assert len(pair["secret"]) >= 32
    # The pair printed is the pair the server checks signatures with.
    assert stored_secret(data_dir, database_url, pair["apiKey"]) == pair["secret"]
    listing = cli("accounts", "list", "--json").stdout
    assert pair["secret"] not in listing
    (row,) = json.loads(listing)
    assert row["name"] == "Acme Publishing"
    assert row["apiKey"] == pair["apiKey"]
    assert row["revoked"] is False
    assert row["strict"] is False


def test_an_account_lives_through_strict_mode_rotation_and_revocation(
    sqlite_cli: Cli, data_dir: Path
) -> None:
    cli = sqlite_cli
    pair, other = create(cli, "acme"), create(cli, "other")
    assert pair["apiKey"] != other["apiKey"] and pair["secret"] != other["secret"]

    cli("accounts", "strict", pair["apiKey"])
    rotated = json.loads(cli("accounts", "rotate-secret", pair["apiKey"], "--json").stdout)
    assert rotated["apiKey"] == pair["apiKey"]
    assert rotated["secret"] != pair["secret"]
    assert stored_secret(data_dir, "sqlite", pair["apiKey"]) == rotated["secret"]
    cli("accounts", "revoke", pair["apiKey"])

    assert [(row["name"], row["revoked"], row["strict"]) for row in listed(cli)] == [
        ("acme", True, True),
        ("other", False, False),
    ]
    table = cli("accounts", "list").stdout.splitlines()
    assert "revoked" in next(line for line in table if pair["apiKey"] in line)
    assert "active" in next(line for line in table if other["apiKey"] in line)

    cli("accounts", "strict", pair["apiKey"], "--off")
    assert [row.strict for row in stored_accounts(data_dir)] == [False, False]

    again = cli("accounts", "revoke", pair["apiKey"], ok=False)
    assert again.returncode == 1
    assert "no active account" in again.stderr
    assert cli("accounts", "rotate-secret", pair["apiKey"], ok=False).returncode == 1


def test_create_strict_makes_an_hmac_only_key_and_strict_hmac_switches_one(
    sqlite_cli: Cli, data_dir: Path
) -> None:
    cli = sqlite_cli
    strict = json.loads(cli("accounts", "create", "signed", "--strict", "--json").stdout)
    plain = create(cli, "plain")
    assert [(row["name"], row["hmacOnly"]) for row in listed(cli)] == [
        ("signed", True),
        ("plain", False),
    ]
    table = cli("accounts", "list").stdout.splitlines()
    assert "HMAC-SHA256" in next(line for line in table if strict["apiKey"] in line)
    assert "MD5 or HMAC" in next(line for line in table if plain["apiKey"] in line)

    cli("accounts", "strict", plain["apiKey"], "--hmac")
    assert [(a.strict, a.hmac_only) for a in stored_accounts(data_dir)] == [
        (False, True),
        (True, True),
    ]
    cli("accounts", "strict", plain["apiKey"], "--off")
    cli("accounts", "strict", strict["apiKey"])  # strict MD5 leaves HMAC-only as it is
    assert [(a.strict, a.hmac_only) for a in stored_accounts(data_dir)] == [
        (True, True),
        (False, False),
    ]


def test_commands_on_an_unknown_key_or_a_blank_name_fail_with_exit_code_1(
    sqlite_cli: Cli,
) -> None:
    cli = sqlite_cli
    unknown = "00000000-0000-000000000000"
    for args in (("revoke", unknown), ("rotate-secret", unknown), ("strict", unknown)):
        done = cli("accounts", *args, ok=False)
        assert done.returncode == 1, args
        assert "error" in done.stderr, args
    blank = cli("accounts", "create", "   ", "--json", ok=False)
    assert blank.returncode == 1
    assert blank.stdout == ""


def test_the_database_holds_no_plaintext_secret(
    cli: Cli, data_dir: Path, database_url: str
) -> None:
    pair = create(cli, "acme")
    dumped = database_text(data_dir, database_url)
    assert pair["apiKey"].encode() in dumped  # the dump is real: it holds the key
    found = pair["secret"].encode() in dumped
    assert not found, "the plaintext secret is in the database"
    rotated = json.loads(cli("accounts", "rotate-secret", pair["apiKey"], "--json").stdout)
    dumped = database_text(data_dir, database_url)
    for secret in (pair["secret"], rotated["secret"]):
        found = secret.encode() in dumped
        assert not found, "a plaintext secret is in the database"


def test_the_server_key_is_made_once_and_readable_only_by_its_owner(
    sqlite_cli: Cli, data_dir: Path
) -> None:
    cli = sqlite_cli
    create(cli, "one")
    key_file = data_dir / "server.key"
    first = key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    create(cli, "two")
    assert key_file.read_text() == first
