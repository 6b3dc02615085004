"""Jobs through Redis: the API process enqueues, separate `flipshelf worker` processes consume."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from starlette.testclient import TestClient

from flipshelf.app import build_runtime, create_app
from flipshelf.db.migrate import upgrade
from tests.api.test_uploads import upload
from tests.conftest import make_settings
from tests.e2e.conftest import E2E_SETTINGS, Workers, all_finished, poll
from tests.e2e.test_conversion_e2e import E2E, read_flipbook
from tests.support import new_tenant

pytestmark = [pytest.mark.redis, pytest.mark.xdist_group("redis")]


@pytest.fixture
def over_redis(tmp_path: Path, database_url: str, redis_url: str) -> Iterator[E2E]:
    settings = make_settings(tmp_path, database_url, jobs_url=redis_url, **E2E_SETTINGS)
    upgrade(settings.resolved_database_url())
    runtime = build_runtime(settings)
    workers = Workers(settings, tmp_path)
    with TestClient(create_app(runtime)) as client:
        yield runtime, client, new_tenant(runtime), workers
    workers.stop_all()
    runtime.db.dispose()


def test_two_workers_convert_uploads_queued_in_redis(
    over_redis: E2E, documents: dict[str, Path]
) -> None:
    runtime, client, tenant, workers = over_redis
    pushed = _pushes(runtime.settings.jobs_url)
    workers.start()
    workers.start()
    answer = upload(client, tenant, "collection.create", documents["text"].read_bytes())
    assert answer["code"] == 20, answer
    collection_hash = answer["data"]["collectionHash"]  # type: ignore[index]
    for document in ("mixed", "png"):
        added = upload(
            client,
            tenant,
            "flipbook.add",
            documents[document].read_bytes(),
            collectionHash=collection_hash,
        )
        assert added["code"] == 20, added
    data = poll(client, tenant, collection_hash, all_finished)
    assert [item["convertStatus"] for item in data["collectionItems"]] == ["COMPLETE"] * 3
    for item in data["collectionItems"]:
        read_flipbook(client, item["flipbookHash"])
    # The messages went through Redis: three conversions (and their zoom passes) pushed there.
    assert _pushes(runtime.settings.jobs_url) >= pushed + 3


def _pushes(url: str) -> int:
    """How many list pushes the Redis server has run (Huey enqueues with LPUSH)."""
    client = redis.Redis.from_url(url)
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    return int(stats.get("cmdstat_lpush", {}).get("calls", 0))
