"""Quick reads (getCollection, getEmbed) run on the event loop on SQLite, in threads on
PostgreSQL, and answer the same either way, also while writes go on beside them."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from flipshelf.api.v1 import endpoint
from flipshelf.api.v1.actions.registry import ACTIONS
from flipshelf.app import create_app
from flipshelf.db.migrate import upgrade
from flipshelf.domain.collections import CollectionChanges
from flipshelf.runtime import Runtime, build_runtime
from tests.conftest import make_settings
from tests.support import Tenant, new_tenant, seed_collection, signed


def threads_used(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records what the endpoint sends to the thread pool (and still sends it)."""
    used: list[str] = []
    original = endpoint.run_in_threadpool

    async def recording(func: Any, *args: Any, **kwargs: Any) -> Any:
        used.append(getattr(func, "__name__", repr(func)))
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(endpoint, "run_in_threadpool", recording)
    return used


async def get(client: httpx.AsyncClient, tenant: Tenant, action: str, **params: Any) -> Any:
    answer = await client.get("/v1/", params=signed(tenant.pair, action, **params))
    return answer.json()


def client_of(runtime: Runtime) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(runtime))
    return httpx.AsyncClient(transport=transport, base_url="http://t")


def test_only_cheap_reads_by_key_are_marked_quick() -> None:
    quick = {name for name, action in ACTIONS.items() if action.quick_read}
    assert quick == {"collection.getCollection", "collection.getEmbed"}


def test_quick_reads_stay_on_the_event_loop_on_sqlite_only(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = new_tenant(runtime)
    collection = seed_collection(runtime, tenant)
    used = threads_used(monkeypatch)

    async def scenario() -> list[int]:
        async with client_of(runtime) as client:
            return [
                (await get(client, tenant, action, collectionHash=collection.hash))["code"]
                for action in ("collection.getCollection", "collection.getEmbed")
            ]

    assert asyncio.run(scenario()) == [20, 20]
    if runtime.db.dialect == "sqlite":
        assert used == []
    else:
        assert used == ["credentials", "get_collection", "get_embed"]


def test_other_actions_still_run_in_threads(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = new_tenant(runtime)
    used = threads_used(monkeypatch)

    async def scenario() -> int:
        async with client_of(runtime) as client:
            return int((await get(client, tenant, "user.getStats"))["code"])

    assert asyncio.run(scenario()) == 20
    assert "user_stats" in used


def test_reads_on_the_loop_see_every_write_before_them(runtime: Runtime) -> None:
    tenant = new_tenant(runtime)
    collection = seed_collection(runtime, tenant)
    hash_ = collection.hash

    async def scenario() -> list[Any]:
        async with client_of(runtime) as client:
            seen = []
            for title in ("one", "two", "three"):
                assert (
                    await get(
                        client, tenant, "collection.update", collectionHash=hash_, title=title
                    )
                )["code"] == 20
                body = await get(client, tenant, "collection.getCollection", collectionHash=hash_)
                seen.append(body["data"]["collectionTitle"])
            await get(client, tenant, "collection.deleteCollection", collectionHash=hash_)
            seen.append(
                (await get(client, tenant, "collection.getCollection", collectionHash=hash_))[
                    "code"
                ]
            )
            return seen

    assert asyncio.run(scenario()) == ["one", "two", "three", 43]


def test_concurrent_reads_and_writes_all_answer_and_end_consistent(runtime: Runtime) -> None:
    tenant = new_tenant(runtime)
    collection = seed_collection(runtime, tenant)
    hash_ = collection.hash

    async def scenario() -> tuple[Counter[int], set[str], str]:
        async with client_of(runtime) as client:
            reads = [
                get(client, tenant, "collection.getCollection", collectionHash=hash_)
                for _ in range(24)
            ]
            writes = [
                get(client, tenant, "collection.update", collectionHash=hash_, title=f"t{n}")
                for n in range(8)
            ]
            answers = await asyncio.gather(*reads, *writes)
            final = await get(client, tenant, "collection.getCollection", collectionHash=hash_)
        titles = {a["data"]["collectionTitle"] for a in answers[:24]}
        return Counter(a["code"] for a in answers), titles, final["data"]["collectionTitle"]

    codes, titles, final = asyncio.run(scenario())
    assert codes == Counter({20: 32})
    assert titles <= {collection.title} | {f"t{n}" for n in range(8)}
    assert final in {f"t{n}" for n in range(8)}


def test_a_foreign_collection_is_refused_even_when_remembered(runtime: Runtime) -> None:
    owner, stranger = new_tenant(runtime, "owner"), new_tenant(runtime, "stranger")
    collection = seed_collection(runtime, owner)

    async def scenario() -> list[int]:
        async with client_of(runtime) as client:
            return [
                (
                    await get(
                        client, who, "collection.getCollection", collectionHash=collection.hash
                    )
                )["code"]
                for who in (owner, stranger, owner)
            ]

    assert asyncio.run(scenario()) == [20, 43, 20]


@pytest.mark.parametrize("seconds", [0, 3600])
def test_the_api_process_reuses_reads_for_cached_read_seconds(
    tmp_path: Path, database_url: str, seconds: float
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL reads every time: nothing is reused")
    settings = make_settings(tmp_path, database_url, cached_read_seconds=seconds)
    upgrade(settings.resolved_database_url())
    api, worker = build_runtime(settings), build_runtime(settings)
    try:
        tenant = new_tenant(api)
        collection = seed_collection(api, tenant)

        async def titles() -> list[str]:
            async with client_of(api) as client:
                seen = []
                for step in range(2):
                    if step:  # another process commits a change between the two reads
                        changes = CollectionChanges(title="changed elsewhere")
                        worker.ports.collections.update(
                            collection.id, changes, api.ports.clock.now()
                        )
                    body = await get(
                        client, tenant, "collection.getCollection", collectionHash=collection.hash
                    )
                    seen.append(body["data"]["collectionTitle"])
                return seen

        expected_second = "changed elsewhere" if seconds == 0 else collection.title
        assert asyncio.run(titles()) == [collection.title, expected_second]
    finally:
        api.db.dispose()
        worker.db.dispose()
