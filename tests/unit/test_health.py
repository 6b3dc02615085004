"""What counts as an outage (answered 22, never 50), and the readiness body."""

from __future__ import annotations

import asyncio

from obstore.exceptions import GenericError
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError

from flipshelf.health import Probe, outage_of, probe_all, readiness


def test_unreachable_dependencies_are_named_and_bugs_are_not_outages() -> None:
    assert outage_of(OperationalError("SELECT 1", {}, Exception("refused"))) == "database"
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
