"""Fixtures for the client's tests: a real `flipshelf serve` (one per test session, with rate
limits out of the way), a check of its log for tracebacks after each test that used it, and
the documents to upload."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from live_server import LiveServer, live_server
from samples import DOCUMENTS


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp("flipshelf")
    settings = {
        "RATE_PER_SECOND": "1000",
        "RATE_PER_MINUTE": "100000",
        # fileUrl tests fetch from a little web server on this machine.
        "FETCH_ALLOW": "127.0.0.1",
        # Webhook tests deliver to a receiver on this machine (a setting of its own).
        "WEBHOOK_ALLOW": "127.0.0.1",
    }
    with live_server(directory, **settings) as running:
        yield running
    assert not running.tracebacks(), running.output()


@pytest.fixture
def live(server: LiveServer) -> Iterator[LiveServer]:
    """The session's server; the test fails if the server logged a traceback meanwhile."""
    start = server.log_size()
    yield server
    found = server.tracebacks(start)
    assert not found, f"the server logged a traceback during the test:\n{found}"


@pytest.fixture(scope="session")
def documents() -> dict[str, Path]:
    found = {path.stem: path for path in DOCUMENTS.glob("*.pdf")}
    assert {"R-FAQ", "binarytree-ex1", "lapdf-quartic"} <= set(found), DOCUMENTS
    return found
