"""Prometheus metrics at `/metrics` (docs/health.md, "Metrics"), served only to a request that
carries `FLIPSHELF_METRICS_TOKEN` as a bearer token; 404 when no token is set.

Each API process keeps its own request counters (scrape every process, as Prometheus does with
any multi-process service). Job figures are read from the database at scrape time, so every
process reports the same installation-wide truth and workers need no endpoint of their own.

Labels are a closed set: an action label is a known action's name, `unknown` or `none`, never
what a client sent, so a caller cannot grow the series (or smuggle text into the page).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from flipshelf.db.database import Database
from flipshelf.db.job_status import job_counts, pages_converted

# Seconds: an API call is a few milliseconds; an upload may take minutes.
LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0)
UNKNOWN, NONE = "unknown", "none"
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
