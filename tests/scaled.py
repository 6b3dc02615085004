"""Scaled-out flipshelf as an operator runs it, for tests/outages/test_scale_out.py and
benchmarks/scale.py: `flipshelf serve` API processes without workers, `flipshelf worker`
processes, each the installed command with a data directory of its own, all sharing PostgreSQL,
S3 and Redis; a client that retries what the API asks it to retry."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from flipshelf.domain.accounts import KeyPair
from tests.api.test_uploads import BOUNDARY, multipart
from tests.served import Server, flipshelf_command, serving, stop
from tests.support import signed

# How long a call keeps being retried while the API answers 22 (a dependency down) or 31/32.
RETRY_WITHIN = 120.0


def fresh_database(postgres_url: str) -> str:
    """A new, empty PostgreSQL database on the server of `postgres_url`: one installation's
    accounts are sealed with its own server key, so installations never share a database."""
    name = f"scale_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"


def scaled_settings(env: dict[str, str]) -> dict[str, str]:
    """Settings for one installation on the test services of `env` (FLIPSHELF_TEST_*): a
    database and a bucket prefix of its own, one server key, rate limits out of the way."""
    bucket = env["FLIPSHELF_TEST_S3_URL"].replace("/tests?", f"/scale-{uuid.uuid4().hex[:8]}?")
    return {
        "database_url": fresh_database(env["FLIPSHELF_TEST_POSTGRES_URL"]),
        "storage_url": bucket,
        "s3_access_key_id": "testing",
        "s3_secret_access_key": "testing",
        "jobs_url": env["FLIPSHELF_TEST_REDIS_URL"],
        "rate_limit_storage": env["FLIPSHELF_TEST_REDIS_URL"],
        "server_key": base64.b64encode(os.urandom(32)).decode(),
        "rate_per_second": "1000",
        "rate_per_minute": "100000",
        "zoom_pass": "true",  # the scale-out tests wait for the zoom pass's images
    }


def environment(data_dir: Path, settings: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIPSHELF_")}
    env["FLIPSHELF_DATA_DIR"] = str(data_dir)
    env.update({f"FLIPSHELF_{name.upper()}": value for name, value in settings.items()})
    return env


@contextmanager
def api(data_dir: Path, settings: dict[str, str]) -> Iterator[Server]:
    """`flipshelf serve` with no worker processes of its own (workers run apart)."""
    rest = {name: value for name, value in settings.items() if name != "database_url"}
    with serving(data_dir, settings["database_url"], workers="0", **rest) as running:
        yield running


@contextmanager
def worker(data_dir: Path, settings: dict[str, str]) -> Iterator[Server]:
    """`flipshelf worker` in a session of its own (a machine of its own, for SIGKILL)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [*flipshelf_command(), "worker"],
        env=environment(data_dir, settings),
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


def create_account(data_dir: Path, settings: dict[str, str]) -> KeyPair:
    data_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [*flipshelf_command(), "accounts", "create", f"scale-{uuid.uuid4().hex[:6]}", "--json"],
        env=environment(data_dir, settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    pair = json.loads(done.stdout)
    return KeyPair(pair["apiKey"], pair["secret"])


class RetryingClient:
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


def finished(client: RetryingClient, base: str, collection_hash: str) -> dict[str, Any] | None:
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
