"""Prometheus metrics at `/metrics` (docs/health.md, "Metrics"), served only to a request that
carries `FLIPSHELF_METRICS_TOKEN` as a bearer token; 404 when no token is set.

Each API process keeps its own request counters (scrape every process, as Prometheus does with
any multi-process service). Job figures are read from the database at scrape time, so every
process reports the same installation-wide truth and workers need no endpoint of their own.

Labels are a closed set: an action label is a known action's name, `unknown` or `none`, never
what a client sent, so a caller cannot grow the series (or smuggle text into the page); an HTTP
request is labelled by its route's template (`/c/{collection}`), never by its path.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flipshelf.db.database import Database
from flipshelf.db.job_status import job_counts, pages_converted

# Seconds: an API call is a few milliseconds; an upload may take minutes.
LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0)
UNKNOWN, NONE = "unknown", "none"
UNMATCHED, OTHER = "unmatched", "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
NO_STORE = {"Cache-Control": "no-store"}


def action_label(name: str | None, known: frozenset[str]) -> str:
    """The label value for what a client sent as `action`."""
    if not name:
        return NONE
    return name if name in known else UNKNOWN


class ApiMetrics:
    """Counts and times v1 calls by action and answer code; `observe` is given to the v1
    endpoint, which calls it once per call."""

    def __init__(self, registry: CollectorRegistry, actions: Iterable[str]) -> None:
        self._known = frozenset(actions)
        self._calls = Counter(
            "flipshelf_api_requests",
            "v1 API calls answered, by action and v1 code.",
            ["action", "code"],
            registry=registry,
        )
        self._seconds = Histogram(
            "flipshelf_api_request_seconds",
            "Time to answer a v1 API call, by action and v1 code.",
            ["action", "code"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def observe(self, action: str | None, code: int, seconds: float) -> None:
        labels = (action_label(action, self._known), str(int(code)))
        self._calls.labels(*labels).inc()
        self._seconds.labels(*labels).observe(seconds)


def route_label(route: BaseRoute | None) -> str:
    """The label value for the route that answered: its template, or `unmatched` (a 404)."""
    if isinstance(route, Route | Mount):
        return route.path or "/"
    return UNMATCHED


def method_label(method: str) -> str:
    # Any token is a valid HTTP method: only the ones the app serves become label values.
    return method if method in METHODS else OTHER


class HttpMetrics:
    """ASGI middleware counting and timing every HTTP request by route template, method and
    status (the player, dashboard, files and health pages; v1 calls too, whose HTTP status
    says little: `flipshelf_api_requests` has their v1 codes)."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        labels = ["route", "method", "status"]
        self._requests = Counter(
            "flipshelf_http_requests",
            "HTTP requests answered, by route template, method and status.",
            labels,
            registry=registry,
        )
        self._seconds = Histogram(
            "flipshelf_http_request_seconds",
            "Time to answer an HTTP request, body sent, by route template, method and status.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500  # an exception reaching here becomes a 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # Starlette's router leaves the route it chose in the scope (the innermost one).
            labels = (
                route_label(scope.get("route")),
                method_label(scope["method"]),
                str(status),
            )
            self._requests.labels(*labels).inc()
            self._seconds.labels(*labels).observe(time.perf_counter() - started)


class JobCollector(Collector):
    """The queue as the database has it, read at each scrape."""

    def __init__(self, db: Database, now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._db, self._now = db, now

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "flipshelf_metrics_database_up", "1 when the job figures could be read."
        )
        try:
            now = self._now()
            counts, pages = job_counts(self._db, now), pages_converted(self._db)
        except Exception:  # an outage: the scrape still answers, and says so
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        jobs = GaugeMetricFamily(
            "flipshelf_jobs",
            "Jobs by kind and state (waiting, running, failed).",
            labels=["kind", "state"],
        )
        oldest = GaugeMetricFamily(
            "flipshelf_job_oldest_waiting_seconds",
            "Age of the oldest waiting job by kind (0 when none waits).",
            labels=["kind"],
        )
        for each in counts:
            for state, value in (
                ("waiting", each.waiting),
                ("running", each.running),
                ("failed", each.failed),
            ):
                jobs.add_metric([each.kind, state], value)
            since = each.oldest_waiting_since
            oldest.add_metric([each.kind], 0 if since is None else (now - since).total_seconds())
        converted = CounterMetricFamily(
            "flipshelf_pages_converted",
            "Pages of converted books; rate() of it is conversion pages per second.",
        )
        converted.add_metric([], pages)
        yield from (jobs, oldest, converted)


def metrics_route(registry: CollectorRegistry, token: str) -> Route:
    """`GET /metrics` for a request bearing `token`; 404 when `token` is empty, 401 without
    the right token (the same answer for a wrong and a missing one)."""

    async def metrics(request: Request) -> Response:
        if not token:
            return PlainTextResponse("Not Found", status_code=404)
        given = request.headers.get("authorization", "")
        expected = f"Bearer {token}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            headers = {**NO_STORE, "WWW-Authenticate": 'Bearer realm="metrics"'}
            return PlainTextResponse("Unauthorized", status_code=401, headers=headers)
        body = await run_in_threadpool(generate_latest, registry)  # the job figures read the DB
        return Response(body, media_type=CONTENT_TYPE_LATEST, headers=NO_STORE)

    return Route("/metrics", metrics, methods=["GET"])
