"""Each API process keeps a key's credentials for `credentials_cache_seconds`: changes made in the
process take effect at once, changes made by another process (the CLI) within that time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from flipshelf.app import create_app
from flipshelf.db.migrate import upgrade
from flipshelf.runtime import Runtime, build_runtime
from flipshelf.services import accounts
from flipshelf.services.accounts import CredentialCache
from tests.conftest import make_settings
from tests.support import Tenant, new_tenant, signed


@dataclass
class FakeTimer:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def timer() -> FakeTimer:
    return FakeTimer()


@pytest.fixture
def api_process(runtime: Runtime, timer: FakeTimer) -> Runtime:
    """The API process, its credential cache on a clock the test moves."""
    cache = CredentialCache(runtime.settings.credentials_cache_seconds, timer=timer)
    return replace(runtime, credentials=cache)


@pytest.fixture
def cli_process(runtime: Runtime) -> Iterator[Runtime]:
    """Another process on the same database, as `flipshelf accounts ...` is."""
    other = build_runtime(runtime.settings, clock=runtime.ports.clock)
    yield other
    other.db.dispose()


def code(client: TestClient, tenant: Tenant) -> int:
    answer: int = client.get("/v1/", params=signed(tenant.pair, "user.getStats")).json()["code"]
    return answer


def test_a_revoke_by_another_process_takes_effect_within_the_cache_time(
    api_process: Runtime, cli_process: Runtime, timer: FakeTimer
) -> None:
    tenant = new_tenant(api_process)
    with TestClient(create_app(api_process)) as client:
        assert code(client, tenant) == 20
        accounts.revoke(cli_process.ports, tenant.pair.api_key)
        timer.now += 1.9
        assert code(client, tenant) == 20  # still cached: the documented delay
        timer.now += 0.1
        assert code(client, tenant) == 41


def test_a_rotation_by_another_process_takes_effect_within_the_cache_time(
    api_process: Runtime, cli_process: Runtime, timer: FakeTimer
) -> None:
    tenant = new_tenant(api_process)
    with TestClient(create_app(api_process)) as client:
        assert code(client, tenant) == 20
        pair = accounts.rotate_secret(cli_process.ports, cli_process.box, tenant.pair.api_key)
        timer.now += 2
        assert code(client, tenant) == 44
        assert code(client, Tenant(tenant.account, pair)) == 20


def test_a_revoke_in_this_process_takes_effect_at_once(runtime: Runtime) -> None:
    tenant = new_tenant(runtime)
    with TestClient(create_app(runtime)) as client:
        assert code(client, tenant) == 20
        accounts.revoke(runtime.ports, tenant.pair.api_key)
        assert code(client, tenant) == 41


def test_a_rotation_in_this_process_takes_effect_at_once(runtime: Runtime) -> None:
    tenant = new_tenant(runtime)
    with TestClient(create_app(runtime)) as client:
        assert code(client, tenant) == 20
        pair = accounts.rotate_secret(runtime.ports, runtime.box, tenant.pair.api_key)
        assert code(client, tenant) == 44
        assert code(client, Tenant(tenant.account, pair)) == 20


def test_strict_mode_set_in_this_process_takes_effect_at_once(runtime: Runtime) -> None:
    tenant = new_tenant(runtime)
    with TestClient(create_app(runtime)) as client:
        assert code(client, tenant) == 20
        runtime.ports.accounts.set_strict(tenant.pair.api_key, True)
        assert code(client, tenant) == 44  # no signed timestamp and nonce


def test_zero_seconds_reads_every_call_from_the_database(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url, credentials_cache_seconds=0)
    upgrade(settings.resolved_database_url())
    api, cli = build_runtime(settings), build_runtime(settings)
    try:
        tenant = new_tenant(api)
        with TestClient(create_app(api)) as client:
            assert code(client, tenant) == 20
            accounts.revoke(cli.ports, tenant.pair.api_key)
            assert code(client, tenant) == 41
    finally:
        api.db.dispose()
        cli.db.dispose()
