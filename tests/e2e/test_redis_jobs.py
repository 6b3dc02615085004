"""Jobs through Redis: the API process enqueues, separate `flipshelf worker` processes consume."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.api.test_uploads import upload
from tests.e2e.conftest import E2E, all_finished, poll, running
from tests.e2e.test_conversion_e2e import read_flipbook

pytestmark = [pytest.mark.redis, pytest.mark.xdist_group("redis")]


@pytest.fixture
def over_redis(tmp_path: Path, database_url: str, redis_url: str) -> Iterator[E2E]:
    with running(tmp_path, database_url, jobs_url=redis_url) as parts:
        yield parts


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
