"""What counts as an outage (answered 22, never 50), and the readiness body."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator

import psycopg
from obstore.exceptions import GenericError
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from flipshelf.health import OutageAnswers, Probe, outage_of, probe_all, readiness


def test_unreachable_dependencies_are_named_and_bugs_are_not_outages() -> None:
    assert outage_of(OperationalError("SELECT 1", {}, Exception("refused"))) == "database"
    # Prepared reads use the driver's connection: its errors arrive unwrapped.
    assert outage_of(psycopg.OperationalError("connection refused")) == "database"
    assert outage_of(sqlite3.OperationalError("database is locked")) == "database"
    assert outage_of(RedisConnectionError("refused")) == "redis"
    assert outage_of(GenericError("error sending request")) == "storage"
    assert outage_of(ConnectionRefusedError()) == "network"
    assert outage_of(KeyError("bug")) is None
    assert outage_of(ValueError("bug")) is None


def test_a_wrapped_outage_is_found_through_its_causes() -> None:
    try:
        try:
            raise RedisConnectionError("refused")
        except RedisConnectionError as inner:
            raise RuntimeError("enqueue failed") from inner
    except RuntimeError as outer:
        assert outage_of(outer) == "redis"


def test_readiness_names_each_failed_probe() -> None:
    async def fine() -> None:
        return None

    async def down() -> None:
        raise RedisConnectionError("Connection refused")

    async def hangs() -> None:
        await asyncio.Event().wait()

    probes = [Probe("database", fine), Probe("queue", down), Probe("storage", hangs)]
    body = readiness(asyncio.run(probe_all(probes, timeout=0.5)))
    assert body["ready"] is False
    assert body["failed"] == ["queue", "storage"]
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert checks["database"] == {"ok": True}
    assert checks["queue"] == {"ok": False, "error": "unreachable: Connection refused"}
    assert checks["storage"] == {"ok": False, "error": "no answer within 0.5 s"}


def _app_raising(error: Exception) -> Starlette:
    async def page(_request: Request) -> Response:
        raise error

    async def streamed(_request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            yield b"first part"
            raise error

        return StreamingResponse(body())

    return Starlette(
        routes=[Route("/page", page), Route("/streamed", streamed)],
        middleware=[Middleware(OutageAnswers)],
    )


def test_a_page_that_meets_an_outage_answers_503_with_retry_after() -> None:
    down = OperationalError("SELECT 1", {}, Exception("connection refused"))
    with TestClient(_app_raising(down), raise_server_exceptions=False) as client:
        answer = client.get("/page")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5" and answer.headers["cache-control"] == "no-store"
    assert "connection refused" not in answer.text  # nothing of the library's message


def test_a_bug_is_not_an_outage_and_a_started_answer_is_not_replaced() -> None:
    with TestClient(_app_raising(ValueError("a bug")), raise_server_exceptions=False) as client:
        assert client.get("/page").status_code == 500
    down = OperationalError("SELECT 1", {}, Exception("connection refused"))
    with TestClient(_app_raising(down), raise_server_exceptions=False) as client:
        streamed = client.get("/streamed")
    assert streamed.status_code == 200  # headers were sent: no second answer is made up
    assert streamed.content == b"first part"
