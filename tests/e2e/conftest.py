"""End-to-end fixtures: the API in-process and real worker processes on the same data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from flipshelf.app import create_app
from flipshelf.db.migrate import upgrade
from flipshelf.runtime import Runtime, build_runtime
from flipshelf.settings import Settings
from tests.conftest import make_settings
from tests.support import Tenant, new_tenant, signed

E2E_SETTINGS: dict[str, Any] = {
    "lease_seconds": 3,
    "sweep_interval_seconds": 0.5,
    "conversion_processes": 2,
    # The tests written for the zoom pass keep it (it is off by default: zoom images are drawn
    # on demand, tests/integration/test_zoom_route.py); a test without it says zoom_pass=False.
    "zoom_pass": True,
}


def worker_environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIPSHELF_")}
    for name, value in settings.model_dump().items():
        env[f"FLIPSHELF_{name.upper()}"] = str(value)
    return env


class Workers:
    """`flipshelf worker` processes started and stopped by a test."""

    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self.settings, self.log_dir = settings, log_dir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        with (self.log_dir / f"worker-{len(self.processes)}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "flipshelf", "worker"],
                env=worker_environment(self.settings),
                stdout=log,  # the child has its own copy: ours can close now
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill -9 reaches its renderers too
            )
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


E2E = tuple[Runtime, TestClient, Tenant, Workers]


@pytest.fixture
def e2e(tmp_path: Path, database_url: str) -> Iterator[E2E]:
    with running(tmp_path, database_url) as parts:
        yield parts


@contextmanager
def running(tmp_path: Path, database_url: str, **overrides: Any) -> Iterator[E2E]:
    """The API in-process and a worker launcher on one migrated database (E2E_SETTINGS, then
    `overrides`); every worker started is killed after, whatever happened."""
    settings = make_settings(tmp_path, database_url, **{**E2E_SETTINGS, **overrides})
    upgrade(settings.resolved_database_url())
    runtime = build_runtime(settings)
    workers = Workers(settings, tmp_path)
    try:
        with TestClient(create_app(runtime)) as client:
            yield runtime, client, new_tenant(runtime), workers
    finally:
        workers.stop_all()
        runtime.db.dispose()


def poll(
    client: TestClient,
    tenant: Tenant,
    collection_hash: str,
    done: Callable[[dict[str, Any]], bool],
    timeout: float = 120.0,
) -> dict[str, Any]:
    """getCollection until `done(data)`, as a client polls; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        params = signed(tenant.pair, "collection.getCollection", collectionHash=collection_hash)
        data: dict[str, Any] = client.get("/v1/", params=params).json()["data"]
        if done(data):
            return data
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting; last answer: {data}")
        time.sleep(0.2)


def all_finished(data: dict[str, Any]) -> bool:
    return all(i["convertStatus"] != "PROCESSING" for i in data["collectionItems"])
