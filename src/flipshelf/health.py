"""Is this process able to serve? The one home of the readiness checks (`/readyz` and
`flipshelf check` run the same probes) and of what counts as an outage rather than a bug.

A probe is one named round trip to a dependency: the database, the file store, the job queue's
store and the rate-limit store. Each is given as a function by the composition root (`app.py`),
so this module knows the dependencies only through their ports. An outage is an exception that a
dependency raises when it cannot be reached (see `UNREACHABLE` in `db/` and `storage/`, and the
Redis client's connection errors): the API answers those with code 22, never 50.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flipshelf.db.database import UNREACHABLE as DATABASE_UNREACHABLE
from flipshelf.storage import UNREACHABLE as STORE_UNREACHABLE

# Redis serves both the job queue and the rate limits: an error names "redis", whichever.
REDIS_UNREACHABLE: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError)
OUTAGES: tuple[tuple[str, tuple[type[BaseException], ...]], ...] = (
    ("database", DATABASE_UNREACHABLE),
    ("redis", REDIS_UNREACHABLE),
    ("storage", STORE_UNREACHABLE),
    # A refused or reset socket anywhere else (a store or queue reached over plain sockets).
    ("network", (ConnectionError,)),
)
PROBE_SECONDS = 5.0
NO_STORE = {"Cache-Control": "no-store"}
# What a browser, a CDN or a reverse proxy is told to wait before asking again during an outage.
RETRY_AFTER_SECONDS = 5
log = structlog.get_logger("flipshelf.health")


def outage_of(error: BaseException) -> str | None:
    """The dependency `error` shows unreachable ("database", "redis", "storage", "network"), or
    None when it is not an outage. Follows the chain of causes: libraries wrap driver errors."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for name, kinds in OUTAGES:
            if isinstance(current, kinds):
                return name
        current = current.__cause__ or current.__context__
    return None


@dataclass(frozen=True)
class Probe:
    """One dependency and the round trip that proves it answers (raises when it does not)."""

    name: str
    check: Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str = ""
    seconds: float = 0.0


def blocking(name: str, check: Callable[[], object]) -> Probe:
    """A probe from a blocking call, run in a thread so the event loop keeps serving."""

    async def run() -> None:
        await asyncio.to_thread(check)

    return Probe(name, run)


async def probe(one: Probe, timeout: float = PROBE_SECONDS) -> Finding:
    started = time.monotonic()
    try:
        await asyncio.wait_for(one.check(), timeout)
    except TimeoutError:
        return Finding(one.name, False, f"no answer within {timeout:g} s", timeout)
    except Exception as error:  # a readiness check reports every failure; it never raises
        return Finding(one.name, False, _describe(error), time.monotonic() - started)
    return Finding(one.name, True, "", time.monotonic() - started)


async def probe_all(probes: Sequence[Probe], timeout: float = PROBE_SECONDS) -> list[Finding]:
    """Every probe at once: a slow dependency costs its own timeout, not the sum."""
    return list(await asyncio.gather(*(probe(one, timeout) for one in probes)))


def readiness(findings: Sequence[Finding]) -> dict[str, object]:
    """The `/readyz` body: ready or not, and each check with what failed."""
    return {
        "ready": all(finding.ok for finding in findings),
        "checks": {finding.name: _check_body(finding) for finding in findings},
        "failed": [finding.name for finding in findings if not finding.ok],
    }


def _check_body(finding: Finding) -> dict[str, object]:
    if finding.ok:
        return {"ok": True}
    return {"ok": False, "error": finding.detail}


def _describe(error: BaseException) -> str:
    """The error's kind and first line, short: for an operator, never for an API client."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    kind = outage_of(error)
    prefix = "unreachable" if kind else type(error).__name__
    return f"{prefix}: {first[:200]}" if first else prefix


def health_routes(probes: Sequence[Probe]) -> list[Route]:
    """`GET /healthz`: this process answers (no dependency is asked, so a load balancer never
    restarts a healthy process for a database outage). `GET /readyz`: every probe, 200 when all
    answer, 503 naming the ones that did not."""

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"alive": True}, headers=NO_STORE)

    async def readyz(_request: Request) -> Response:
        body = readiness(await probe_all(probes))
        return JSONResponse(body, status_code=200 if body["ready"] else 503, headers=NO_STORE)

    return [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/readyz", readyz, methods=["GET", "HEAD"]),
    ]


class OutageAnswers:
    """ASGI middleware: a page, file or dashboard request that meets an outage (the database,
    Redis or the store unreachable) answers 503 with `Retry-After`, never a 500 and a traceback,
    as a v1 call answers 22. Any other error goes on to the server's own handling."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            dependency = outage_of(error)
            if dependency is None or started:
                raise
            log.warning("dependency unreachable", dependency=dependency, error=type(error).__name__)
            headers = {**NO_STORE, "Retry-After": str(RETRY_AFTER_SECONDS)}
            answer = PlainTextResponse(
                "Temporarily unavailable, retry shortly.", status_code=503, headers=headers
            )
            await answer(scope, receive, send)
