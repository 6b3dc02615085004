"""Scale-out as an operator runs it: two `flipshelf serve` API processes and two `flipshelf worker`
processes, every one the installed command, sharing PostgreSQL, S3 and Redis (private instances,
really stopped and started). Twenty uploads alternate between the API processes while one worker
machine dies (SIGKILL to its whole process group) and Redis restarts empty. Every acknowledged
create must be there, converted, with its zoom images, and no process may log trouble."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.outages.conftest import PrivateServices
from tests.scaled import (
    RETRY_WITHIN,
    RetryingClient,
    api,
    create_account,
    finished,
    scaled_settings,
    worker,
)
from tests.served import trouble

pytestmark = pytest.mark.xdist_group("outages")

UPLOADS = 20
# Generous: two cores, maybe busy, and a lost Redis message waits for the sweep (2 leases).
CONVERTED_WITHIN = 900.0


def test_two_apis_and_two_workers_convert_everything_through_a_death_and_a_redis_restart(
    private_services: PrivateServices, tmp_path: Path, documents: dict[str, Path]
) -> None:
    settings = scaled_settings(private_services.env)
    pair = create_account(tmp_path / "operator", settings)
    document = documents["text"].read_bytes()
    client = RetryingClient(pair)
    acknowledged: list[str] = []
    with ExitStack() as stack:
        apis = [stack.enter_context(api(tmp_path / f"api{n}", settings)) for n in (1, 2)]
        workers = [stack.enter_context(worker(tmp_path / f"worker{n}", settings)) for n in (1, 2)]
        bases = [process.wait_until_serving() for process in apis]
        for number in range(UPLOADS):
            base = bases[number % 2]
            if number == 6:  # a worker machine dies while books convert
                _wait_for(lambda: _any_converting(client, bases[0], acknowledged), "work under way")
                os.killpg(workers[0].process.pid, signal.SIGKILL)
            if number == 12:  # Redis restarts, empty (no persistence): queued messages are gone
                private_services.stop("redis")
                private_services.start("redis")
            answer = client.create(base, document, f"book {number}")
            assert answer["code"] == 20, answer
            acknowledged.append(answer["data"]["collectionHash"])

        deadline = time.monotonic() + CONVERTED_WITHIN
        waiting = list(acknowledged)
        while waiting:
            waiting = [h for h in waiting if finished(client, bases[len(h) % 2], h) is None]
            assert time.monotonic() < deadline, f"not converted and zoomed in time: {waiting}"
            time.sleep(1.0)
        listed = client.get(bases[1], "collection.getList", limit="100")["data"]
        hashes = {row["collectionHash"] for row in listed["collections"]}
        assert set(acknowledged) <= hashes
        for collection_hash in acknowledged:
            manifest = finished(client, bases[0], collection_hash)
            assert manifest is not None
            assert all("zoom" in page["images"] for page in manifest["pages"]), collection_hash
    for process in (*apis, *workers[1:]):
        assert trouble(process.lines) == [], process.output()


def _any_converting(client: RetryingClient, base: str, hashes: list[str]) -> bool:
    for collection_hash in hashes:
        data = client.get(base, "collection.getCollection", collectionHash=collection_hash)["data"]
        item = data["collectionItems"][0]
        if item["convertStatus"] == "PROCESSING" and item["pagesReady"]:
            return True
        if item["convertStatus"] == "COMPLETE":
            return True
    return False


def _wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + RETRY_WITHIN
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.2)
