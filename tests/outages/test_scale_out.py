"""Scale-out as an operator runs it: two `flipshelf serve` API processes and two `flipshelf worker`
processes, every one the installed command, sharing PostgreSQL, S3 and Redis (private instances,
really stopped and started). Twenty uploads alternate between the API processes while one worker
machine dies (SIGKILL to its whole process group) and Redis restarts empty. Every acknowledged
create must be there, converted, with its zoom images, and no process may log trouble."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from flipshelf.domain.accounts import KeyPair
from tests.api.test_uploads import BOUNDARY, multipart
from tests.outages.conftest import PrivateServices
from tests.served import Server, flipshelf_command, serving, stop, trouble
from tests.support import signed

pytestmark = pytest.mark.xdist_group("outages")

UPLOADS = 20
# Generous: two cores, maybe busy, and a lost Redis message waits for the sweep (2 leases).
CONVERTED_WITHIN = 900.0
RETRY_WITHIN = 120.0


def _settings(services: PrivateServices) -> dict[str, str]:
    env = services.env
    bucket = env["FLIPSHELF_TEST_S3_URL"].replace("/tests?", f"/scale-{uuid.uuid4().hex[:8]}?")
    return {
        "database_url": env["FLIPSHELF_TEST_POSTGRES_URL"],
        "storage_url": bucket,
        "s3_access_key_id": "testing",
        "s3_secret_access_key": "testing",
        "jobs_url": env["FLIPSHELF_TEST_REDIS_URL"],
        "rate_limit_storage": env["FLIPSHELF_TEST_REDIS_URL"],
        "server_key": base64.b64encode(os.urandom(32)).decode(),
        "rate_per_second": "1000",
        "rate_per_minute": "100000",
    }


def _environment(data_dir: Path, settings: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIPSHELF_")}
    env["FLIPSHELF_DATA_DIR"] = str(data_dir)
    env.update({f"FLIPSHELF_{name.upper()}": value for name, value in settings.items()})
    return env


@contextmanager
def worker(data_dir: Path, settings: dict[str, str]) -> Iterator[Server]:
    """`flipshelf worker` in a session of its own (a machine of its own, for SIGKILL)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [*flipshelf_command(), "worker"],
        env=_environment(data_dir, settings),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    running = Server(process, 0)
    try:
        yield running
    finally:
        running.leftovers = stop(process)
        running.close()


def _account(data_dir: Path, settings: dict[str, str]) -> KeyPair:
    data_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [*flipshelf_command(), "accounts", "create", f"scale-{uuid.uuid4().hex[:6]}", "--json"],
        env=_environment(data_dir, settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    pair = json.loads(done.stdout)
    return KeyPair(pair["apiKey"], pair["secret"])


class Client:
    """A client that retries what the API asks it to retry (22, rate limits), as flipshelf-client
    does, against one of several API processes."""

    def __init__(self, pair: KeyPair) -> None:
        self.pair = pair
        self.http = httpx.Client(timeout=120, trust_env=False, follow_redirects=True)

    def _until(self, send: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        deadline = time.monotonic() + RETRY_WITHIN
        while True:
            answer = send()
            if answer["code"] not in (22, 31, 32):
                return answer
            assert time.monotonic() < deadline, f"still {answer} after {RETRY_WITHIN:.0f} s"
            time.sleep(0.5)

    def get(self, base: str, action: str, **params: Any) -> dict[str, Any]:
        def send() -> dict[str, Any]:
            response = self.http.get(base, params=signed(self.pair, action, **params))
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        return self._until(send)

    def create(self, base: str, document: bytes, title: str) -> dict[str, Any]:
        def send() -> dict[str, Any]:
            fields = list(signed(self.pair, "collection.create", title=title).items())
            response = self.http.post(
                base,
                content=multipart(fields, [("file", "doc.pdf", document)]),
                headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        return self._until(send)


def _finished(client: Client, base: str, collection_hash: str) -> dict[str, Any] | None:
    """The book's manifest once converted and zoomed; None while work remains."""
    data = client.get(base, "collection.getCollection", collectionHash=collection_hash)["data"]
    item = data["collectionItems"][0]
    assert item["convertStatus"] != "FAILED", item
    if item["convertStatus"] != "COMPLETE":
        return None
    root = base.removesuffix("/v1/")
    manifest: dict[str, Any] = client.http.get(
        f"{root}/f/{item['flipbookHash']}/manifest.json"
    ).json()
    return manifest if manifest.get("zoomReady") == manifest["pageCount"] else None


def test_two_apis_and_two_workers_convert_everything_through_a_death_and_a_redis_restart(
    private_services: PrivateServices, tmp_path: Path, documents: dict[str, Path]
) -> None:
    settings = _settings(private_services)
    pair = _account(tmp_path / "operator", settings)
    document = documents["text"].read_bytes()
    client = Client(pair)
    acknowledged: list[str] = []
    with ExitStack() as stack:
        apis = [
            stack.enter_context(
                serving(tmp_path / f"api{n}", settings["database_url"], workers="0", **settings)
            )
            for n in (1, 2)
        ]
        workers = [stack.enter_context(worker(tmp_path / f"worker{n}", settings)) for n in (1, 2)]
        bases = [api.wait_until_serving() for api in apis]
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
            waiting = [h for h in waiting if _finished(client, bases[len(h) % 2], h) is None]
            assert time.monotonic() < deadline, f"not converted and zoomed in time: {waiting}"
            time.sleep(1.0)
        listed = client.get(bases[1], "collection.getList", limit="100")["data"]
        hashes = {row["collectionHash"] for row in listed["collections"]}
        assert set(acknowledged) <= hashes
        for collection_hash in acknowledged:
            manifest = _finished(client, bases[0], collection_hash)
            assert manifest is not None
            assert all("zoom" in page["images"] for page in manifest["pages"]), collection_hash
    for process in (*apis, *workers[1:]):
        assert trouble(process.lines) == [], process.output()


def _any_converting(client: Client, base: str, hashes: list[str]) -> bool:
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
