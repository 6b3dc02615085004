"""Fixtures: a runtime per test on every configured database, an app and a signed client."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from flipshelf.app import create_app
from flipshelf.db.migrate import upgrade
from flipshelf.runtime import Runtime, build_runtime
from flipshelf.settings import Settings
from tests.support import FixedClock, RecordingQueue, Tenant, new_tenant, signed

# Hypothesis fails an example that runs over 200 ms by default: a wall-clock assertion that a busy
# machine breaks. Examples here are judged on what they do, never on how long they take.
hypothesis_settings.register_profile("flipshelf", deadline=None)
hypothesis_settings.load_profile("flipshelf")

POSTGRES_URL = os.environ.get("FLIPSHELF_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("FLIPSHELF_TEST_REDIS_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _on_postgres(statement: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(statement))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite in the test's directory, or a fresh PostgreSQL database per test (dropped after),
    so tests never see each other's rows."""
    if request.param != "postgresql":
        yield f"sqlite:///{tmp_path / 'flipshelf.db'}"
        return
    name = f"t_{uuid.uuid4().hex[:12]}"
    _on_postgres(f'CREATE DATABASE "{name}"')
    yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    _on_postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> str:
    """The throwaway Redis of scripts/test-services.sh. Nothing is flushed: tests keep apart by
    their keys (a fresh rate-limit key each; a job message for another test's database finds no
    row and is dropped), and the `redis` mark runs them one at a time in one xdist group."""
    if not REDIS_URL:
        pytest.skip("FLIPSHELF_TEST_REDIS_URL is not set (scripts/test-services.sh starts Redis)")
    return REDIS_URL


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


def make_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "public_url": "http://books.test",
        "rate_per_second": 10_000,
        "rate_per_minute": 100_000,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture(scope="session")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Generated test documents (see tests/fixtures/documents/generate.py) and real ones."""
    from tests.fixtures.documents.generate import REAL_WORLD, generate_all

    return {**generate_all(tmp_path_factory.mktemp("documents")), **REAL_WORLD}


@pytest.fixture
def queued() -> list[str]:
    """Flipbooks the API queued for conversion (tests without workers read them here)."""
    return []


@pytest.fixture
def runtime(settings: Settings, clock: FixedClock, queued: list[str]) -> Iterator[Runtime]:
    upgrade(settings.resolved_database_url())
    built = build_runtime(settings, clock=clock, queue=RecordingQueue(queued))
    yield built
    built.db.dispose()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return new_tenant(runtime)


class Api:
    """Signs and sends v1 calls the way a client library does."""

    def __init__(self, client: TestClient, tenant: Tenant) -> None:
        self.client, self.tenant = client, tenant

    def get(self, action: str, **params: Any) -> dict[str, Any]:
        response = self.client.get("/v1/", params=signed(self.tenant.pair, action, **params))
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def api(client: TestClient, tenant: Tenant) -> Api:
    return Api(client, tenant)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An installation's data directory, made as `serve` makes it: other commands refuse to
    start a new installation where none exists (tests/integration/test_cli_operator.py)."""
    made = tmp_path / "data"
    made.mkdir()
    return made
