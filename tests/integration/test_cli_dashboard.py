"""`flipshelf accounts password` and `flipshelf accounts login-link`, run as an operator runs
them (the installed command in a subprocess), then used in the dashboard."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from flipshelf.app import create_app
from flipshelf.runtime import Runtime, build_runtime
from tests.integration.test_cli import Cli, create, runner, same_settings_as_the_cli

SIGNIN_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def cli(data_dir: Path, database_url: str) -> Cli:
    return runner(data_dir, database_url)


@pytest.fixture
def sqlite_cli(data_dir: Path) -> Cli:
    """Each call is a process start: the tests of the command line itself run on SQLite."""
    return runner(data_dir, "sqlite")


@pytest.fixture
def app(data_dir: Path) -> Iterator[TestClient]:
    """The dashboard on the CLI's data (SQLite), as `flipshelf serve` would serve it."""
    runtime: Runtime = build_runtime(same_settings_as_the_cli(data_dir, ""))
    with TestClient(create_app(runtime)) as client:
        yield client
    runtime.db.dispose()


def password_sign_in(client: TestClient, name: str, password: str) -> int:
    page = client.get("/dashboard/login")
    token = SIGNIN_CSRF.search(page.text)
    assert token is not None
    form = {"csrf": token.group(1), "name": name, "password": password, "next": "/dashboard/"}
    answer = client.post("/dashboard/login", data=form, follow_redirects=False)
    return answer.status_code


def link_sign_in(client: TestClient, url: str) -> int:
    parts = urlsplit(url)
    page = client.get(f"{parts.path}?{parts.query}")  # the app under test, not the printed host
    if page.status_code != 200:
        return page.status_code
    token = SIGNIN_CSRF.search(page.text)
    assert token is not None
    fields = {"csrf": token.group(1), **dict(parse_qsl(urlsplit(url).query))}
    return client.post("/dashboard/login/link", data=fields, follow_redirects=False).status_code


def test_a_password_set_from_standard_input_signs_in(
    sqlite_cli: Cli, data_dir: Path, app: TestClient
) -> None:
    create(sqlite_cli, "shop")
    done = sqlite_cli("accounts", "password", "shop", "--stdin", given="correct horse battery\n")
    assert "password set for shop" in done.stdout
    engine = create_engine(f"sqlite:///{data_dir / 'flipshelf.db'}")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT hash FROM passwords")).scalar_one()
    engine.dispose()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert password_sign_in(app, "shop", "correct horse battery") == 303
    assert "shop" in app.get("/dashboard/").text


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short", "at least 10 characters"), ("x" * 1025, "at most 1024 characters")],
)
def test_a_weak_password_exits_1_with_the_reason_and_stores_nothing(
    sqlite_cli: Cli, data_dir: Path, password: str, reason: str
) -> None:
    create(sqlite_cli, "shop")
    done = sqlite_cli("accounts", "password", "shop", "--stdin", given=password + "\n", ok=False)
    assert done.returncode == 1 and reason in done.stderr, done.stderr
    engine = create_engine(f"sqlite:///{data_dir / 'flipshelf.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM passwords")).scalar_one() == 0
    engine.dispose()


def test_a_login_link_signs_in_once_and_json_says_when_it_expires(
    sqlite_cli: Cli, app: TestClient
) -> None:
    create(sqlite_cli, "shop")
    before = datetime.now(UTC)
    printed = json.loads(
        sqlite_cli("accounts", "login-link", "shop", "--expires", "120", "--json").stdout
    )
    after = datetime.now(UTC)
    assert set(printed) == {"url", "expiresAt"}
    assert urlsplit(printed["url"]).path == "/dashboard/login/link"
    # 120 s from the moment the command ran, whenever that was between `before` and `after`.
    expires = datetime.fromisoformat(printed["expiresAt"])
    assert before + timedelta(seconds=119) <= expires <= after + timedelta(seconds=121)
    assert link_sign_in(app, printed["url"]) == 303
    assert "shop" in app.get("/dashboard/").text
    app.cookies.clear()
    assert link_sign_in(app, printed["url"]) == 410  # used up


def test_plain_output_prints_the_link_and_its_expiry(sqlite_cli: Cli) -> None:
    create(sqlite_cli, "shop")
    done = sqlite_cli("accounts", "login-link", "shop")
    assert "/dashboard/login/link?account=" in done.stdout
    assert "signs in once, until" in done.stdout


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["accounts", "login-link", "nobody"], "no active account is named 'nobody'"),
        (
            ["accounts", "login-link", "shop", "--expires", "59"],
            "--expires must be from 60 to 604800",
        ),
        (["accounts", "password", "nobody", "--stdin"], "no active account is named 'nobody'"),
    ],
)
def test_refusals_exit_1_with_a_reason(sqlite_cli: Cli, args: list[str], reason: str) -> None:
    create(sqlite_cli, "shop")
    done = sqlite_cli(*args, given="a long enough password\n", ok=False)
    assert done.returncode == 1 and reason in done.stderr, done.stderr
