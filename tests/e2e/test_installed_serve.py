"""The path a new user takes: the installed `flipshelf serve` with default settings, a PDF sent over
HTTP, the flipbook and its offline package ready in seconds.

The sweep interval and the lease are ten minutes here, so only direct delivery of the jobs can pass
(the sweep once hid that every job was dropped and rescued two minutes later). Every test fails
if the server's or a worker's output holds a traceback or an error line.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from flipshelf.domain.accounts import KeyPair
from tests.api.test_uploads import BOUNDARY, multipart
from tests.served import Server, serving, trouble
from tests.support import signed

DELIVERY_ONLY = {"sweep_interval_seconds": "600", "lease_seconds": "600"}
READY_WITHIN = 20.0


class Remote:
    """A v1 client of the running server, signing as a client library does."""

    def __init__(self, base: str, pair: KeyPair) -> None:
        self.base, self.pair = base, pair
        self.http = httpx.Client(timeout=60, trust_env=False)

    def get(self, action: str, **params: Any) -> dict[str, Any]:
        """One call; over the default rate limits (5/s, 60/min) it waits and asks again, as a
        client library does."""
        for _ in range(120):
            response = self.http.get(self.base, params=signed(self.pair, action, **params))
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            if body["code"] not in (31, 32):
                return body
            time.sleep(1.0)
        raise AssertionError(f"rate-limited for two minutes: {body}")

    def upload(self, action: str, data: bytes, name: str = "doc.pdf", **params: Any) -> Any:
        fields = list(signed(self.pair, action, **params).items())
        response = self.http.post(
            self.base,
            content=multipart(fields, [("file", name, data)]),
            headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    def until(
        self, what: str, check: Callable[[], dict[str, Any] | None], timeout: float
    ) -> dict[str, Any]:
        """Polls `check` until it answers something, failing after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while (found := check()) is None:
            assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
            time.sleep(0.5)
        return found

    def converted(self, collection_hash: str, timeout: float) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            data = self.get("collection.getCollection", collectionHash=collection_hash)["data"]
            statuses = {item["convertStatus"] for item in data["collectionItems"]}
            return None if "PROCESSING" in statuses else dict(data)

        return self.until("conversion", check, timeout)


@contextmanager
def started(data_dir: Path, **settings: str) -> Iterator[tuple[Server, Remote]]:
    """serve with DELIVERY_ONLY and `settings`, a client of its first account; fails on any
    trouble in its output once stopped."""
    with serving(data_dir, **{**DELIVERY_ONLY, **settings}) as running:
        api_key, secret = running.key_pair()
        remote = Remote(running.wait_until_serving(), KeyPair(api_key, secret))
        with remote.http:
            yield running, remote
    assert trouble(running.lines) == [], "\n".join(running.lines)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, Remote]]:
    with started(tmp_path / "data", max_pages="2000") as parts:
        yield parts


def test_an_upload_converts_and_packages_within_seconds_by_direct_delivery(
    served: tuple[Server, Remote], documents: dict[str, Path]
) -> None:
    _server, remote = served
    created = remote.upload("collection.create", documents["text"].read_bytes(), title="Guide")
    assert created["code"] == 20, created
    collection_hash = created["data"]["collectionHash"]

    data = remote.converted(collection_hash, READY_WITHIN)
    assert [item["convertStatus"] for item in data["collectionItems"]] == ["COMPLETE"]

    def package() -> dict[str, Any] | None:
        answer = remote.get("collection.downloadHTML", collectionHash=collection_hash)
        assert answer["code"] == 20, answer
        return None if answer["data"]["status"] == "PROCESSING" else dict(answer["data"])

    built = remote.until("package", package, READY_WITHIN)
    assert built["status"] == "COMPLETE", built
    zipped = remote.http.get(built["resourceUrl"])
    assert zipped.status_code == 200 and zipped.content[:2] == b"PK"


def test_ten_uploads_at_once_all_answer_20_and_convert(
    tmp_path: Path, documents: dict[str, Path]
) -> None:
    data = documents["text"].read_bytes()
    # Ten at once from one key: the reference's 5 per second would refuse half with 31.
    with started(tmp_path / "data", rate_per_second="10") as (_server, remote):

        def create(number: int) -> Any:
            return remote.upload("collection.create", data, title=f"Copy {number}")

        with ThreadPoolExecutor(10) as pool:
            answers = list(pool.map(create, range(10)))
        assert [answer["code"] for answer in answers] == [20] * 10, answers
        for answer in answers:
            converted = remote.converted(answer["data"]["collectionHash"], 120)
            assert converted["collectionItems"][0]["convertStatus"] == "COMPLETE"
            assert converted["collectionItems"][0]["pageCount"] == 5


def worker_pids(server: Server) -> set[int]:
    """The workers serve started: forked by its zygote (jobs/zygote.py), named `flipshelf
    worker N`."""
    parents, commands = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue  # ended while we looked
        if fields[0] != "Z":
            pid = int(stat.parent.name)
            parents[pid], commands[pid] = int(fields[1]), command
    return {
        pid
        for pid, command in commands.items()
        if command.startswith(b"flipshelf worker")
        and parents.get(parents[pid]) == server.process.pid
    }


def test_a_killed_worker_is_replaced_and_its_conversion_completes(
    served: tuple[Server, Remote], documents: dict[str, Path]
) -> None:
    server, remote = served

    def workers(than: set[int]) -> dict[str, Any] | None:
        pids = worker_pids(server) - than
        return {"pids": pids} if pids else None

    first = remote.until("a worker", lambda: workers(set()), 30)["pids"]
    assert len(first) == 1, first
    created = remote.upload("collection.create", documents["many"].read_bytes(), title="Long")
    assert created["code"] == 20, created
    collection_hash = created["data"]["collectionHash"]

    def started() -> dict[str, Any] | None:
        data = remote.get("collection.getCollection", collectionHash=collection_hash)["data"]
        item = data["collectionItems"][0]
        return dict(item) if item["convertStatus"] == "PROCESSING" and item["pagesReady"] else None

    remote.until("the first pages", started, 60)
    (victim,) = first
    os.kill(victim, signal.SIGKILL)

    remote.until("a new worker", lambda: workers(first), 10)
    data = remote.converted(collection_hash, 240)
    item = data["collectionItems"][0]
    assert (item["convertStatus"], item["pageCount"]) == ("COMPLETE", 1200), item
    log = server.output()
    assert "worker died" in log, log
    # The replacement ran the job again (a second claim), long before the ten-minute lease.
    assert any("conversion started" in line and "attempt=2" in line for line in server.lines), log
