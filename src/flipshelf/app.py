"""Composition root: builds the ports from settings and wires the ASGI app. No logic here."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import structlog
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Route

from flipshelf.api.v1.actions.registry import ACTIONS
from flipshelf.api.v1.call import Limits
from flipshelf.api.v1.endpoint import ApiConfig, V1Endpoint
from flipshelf.api.v1.presenters import collection_view
from flipshelf.api.v1.ratelimit import RateLimiter
from flipshelf.conversion.options import ConversionOptions, ResourceLimits, default_workers
from flipshelf.conversion.port import ConversionInspector
from flipshelf.db.accounts import SqlAccounts
from flipshelf.db.collections import SqlCollections
from flipshelf.db.conversions import SqlConversions
from flipshelf.db.database import Database, make_engine
from flipshelf.db.deliveries import SqlDeliveries
from flipshelf.db.nonces import SqlNonces
from flipshelf.db.outbox import Outbox
from flipshelf.db.packages import SqlPackages
from flipshelf.db.quota import SqlQuota
from flipshelf.db.sessions import SqlLoginLinks, SqlPasswords, SqlSessions, SqlSignInFailures
from flipshelf.db.stats import SqlStats
from flipshelf.db.webhooks import SqlWebhooks
from flipshelf.domain import layout
from flipshelf.domain.signin import SessionPolicy
from flipshelf.domain.webhooks import RetryPolicy
from flipshelf.fetch.policy import AllowList, FetchPolicy
from flipshelf.fetch.port import GuardedFetcher
from flipshelf.fetch.webhooks import GuardedWebhookSender
from flipshelf.health import OutageAnswers, Probe, blocking, health_routes, outage_of
from flipshelf.jobs.conversion_job import ConversionContext
from flipshelf.jobs.package_job import PackageContext
from flipshelf.jobs.queue import HueyQueue, make_huey, only_in_workers
from flipshelf.jobs.webhook_job import DeliveryContext
from flipshelf.metrics import ApiMetrics, HttpMetrics, JobCollector, metrics_route
from flipshelf.packaging.player import WidgetPlayer
from flipshelf.security import server_key
from flipshelf.security.links import SignedLinks
from flipshelf.security.package_links import PackageLinks
from flipshelf.security.passwords import Argon2Hasher
from flipshelf.security.secret_box import SecretBox
from flipshelf.services.accounts import CredentialCache
from flipshelf.services.ports import Clock, JobQueue, Ports, SignInPorts, SystemClock
from flipshelf.services.uploads import UploadLimits
from flipshelf.services.webhook_ports import WebhookPorts
from flipshelf.settings import Settings, load_settings
from flipshelf.storage import S3Credentials, make_store
from flipshelf.web.dashboard.context import Dashboard
from flipshelf.web.dashboard.routes import dashboard_routes
from flipshelf.web.headers import SecurityHeaders
from flipshelf.web.packages import package_routes
from flipshelf.web.routes import web_routes
from flipshelf.web.staging_limits import sweeping
from flipshelf.web.urls import PublicUrls


@dataclass(frozen=True)
class Runtime:
    """Everything built from settings once, shared by the app, the CLI, workers and tests."""

    settings: Settings
    db: Database
    ports: Ports
    box: SecretBox
    server_key: bytes
    credentials: CredentialCache


def conversion_options(settings: Settings) -> ConversionOptions:
    return ConversionOptions(
        max_pages=settings.max_pages,
        workers=settings.conversion_processes or default_workers(),
        limits=ResourceLimits(
            memory_bytes=settings.conversion_memory_mb * 1024 * 1024,
            cpu_seconds=settings.conversion_cpu_seconds,
        ),
    )


def s3_credentials(settings: Settings) -> S3Credentials | None:
    """The S3 key pair from settings; None leaves obstore to the AWS_* variables and roles."""
    if not settings.s3_access_key_id:
        return None
    return S3Credentials(settings.s3_access_key_id, settings.s3_secret_access_key)


def fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(
        max_bytes=settings.max_upload_bytes,
        timeout_seconds=settings.fetch_timeout_seconds,
        allow=AllowList.parse(settings.fetch_allow),
    )


def outbox(settings: Settings) -> Outbox:
    """Records webhook events with the collection as the API shows it."""
    urls = PublicUrls(settings.resolved_public_url())
    return Outbox(lambda collection: collection_view(collection, urls))


def webhook_ports(settings: Settings, db: Database, key: bytes) -> WebhookPorts:
    return WebhookPorts(
        store=SqlWebhooks(db),
        deliveries=SqlDeliveries(db),
        sender=GuardedWebhookSender(
            AllowList.parse(settings.webhook_allow), settings.webhook_timeout_seconds
        ),
        secrets=SecretBox(key),
        policy=RetryPolicy(
            first_delay=timedelta(seconds=settings.webhook_first_retry_seconds),
            window=timedelta(seconds=settings.webhook_retry_seconds),
            disable_after=timedelta(seconds=settings.webhook_disable_after_seconds),
        ),
    )


def api_queue(settings: Settings) -> HueyQueue:
    """The API sends jobs; only workers run them."""
    queue = HueyQueue(make_huey(settings), only_in_workers, only_in_workers)
    try:
        queue.announce()
    except Exception:
        # The queue store may be down now; jobs are still recorded and the sweep sends them.
        structlog.get_logger("flipshelf.jobs").warning("could not announce the API's task names")
    return queue


def build_runtime(
    settings: Settings, clock: Clock | None = None, queue: JobQueue | None = None
) -> Runtime:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(make_engine(settings.resolved_database_url()))
    key = server_key.load_or_create(settings.server_key, settings.data_dir)
    inspector = ConversionInspector(
        conversion_options(settings), settings.upload_check_processes, settings.upload_check_seconds
    )
    credentials = CredentialCache(settings.credentials_cache_seconds)
    ports = Ports(
        accounts=SqlAccounts(db, changed=credentials.forget),
        collections=SqlCollections(db, outbox(settings)),
        stats=SqlStats(db),
        quota=SqlQuota(db),
        nonces=SqlNonces(db),
        files=make_store(settings.resolved_storage_url(), s3_credentials(settings)),
        clock=clock or SystemClock(),
        inspector=inspector,
        images=inspector,
        queue=queue or api_queue(settings),
        fetcher=GuardedFetcher(fetch_policy(settings)),
        packages=SqlPackages(db, settings.job_attempts),
        package_links=PackageLinks.make(
            settings.resolved_public_url(), key, timedelta(seconds=settings.package_link_seconds)
        ),
        collection_links=SignedLinks(key, "collection"),
        webhooks=webhook_ports(settings, db, key),
    )
    return Runtime(settings, db, ports, SecretBox(key), key, credentials)


def conversion_context(runtime: Runtime) -> ConversionContext:
    settings = runtime.settings
    return ConversionContext(
        conversions=SqlConversions(runtime.db, outbox(settings)),
        files=runtime.ports.files,
        clock=runtime.ports.clock,
        options=conversion_options(settings),
        lease=timedelta(seconds=settings.lease_seconds),
        attempts=settings.job_attempts,
        work_dir=settings.data_dir / "work",
    )


def package_context(runtime: Runtime) -> PackageContext:
    settings = runtime.settings
    return PackageContext(
        packages=SqlPackages(runtime.db, settings.job_attempts, outbox(settings)),
        collections=runtime.ports.collections,
        files=runtime.ports.files,
        clock=runtime.ports.clock,
        player=WidgetPlayer(),
        lease=timedelta(seconds=settings.lease_seconds),
        attempts=settings.job_attempts,
        work_dir=settings.data_dir / "work",
    )


def sign_in_ports(runtime: Runtime) -> SignInPorts:
    settings, db = runtime.settings, runtime.db
    return SignInPorts(
        passwords=SqlPasswords(db),
        sessions=SqlSessions(db),
        login_links=SqlLoginLinks(db),
        failures=SqlSignInFailures(db),
        hasher=Argon2Hasher(),
        link_signer=SignedLinks(runtime.server_key, "login"),
        policy=SessionPolicy(
            idle=timedelta(minutes=settings.dashboard_idle_minutes),
            absolute=timedelta(hours=settings.dashboard_session_hours),
        ),
    )


def dashboard(runtime: Runtime) -> Dashboard:
    settings = runtime.settings
    public_url = settings.resolved_public_url()
    return Dashboard(
        ports=runtime.ports,
        sign_in=sign_in_ports(runtime),
        box=runtime.box,
        urls=PublicUrls(public_url),
        limits=UploadLimits(settings.uploads_per_month, settings.max_pages),
        max_upload_bytes=settings.max_upload_bytes,
        staging_dir=settings.data_dir / "staging",
        secure_cookies=public_url.startswith("https://"),
    )


def delivery_context(runtime: Runtime) -> DeliveryContext:
    return DeliveryContext(
        webhooks=runtime.ports.webhooks,
        clock=runtime.ports.clock,
        lease=timedelta(seconds=runtime.settings.lease_seconds),
    )


def api_config(settings: Settings) -> ApiConfig:
    return ApiConfig(
        maintenance=settings.maintenance,
        lenient_verbs=settings.lenient_verbs,
        strict_window_seconds=settings.strict_signature_window_seconds,
        limits=Limits(
            uploads_per_month=settings.uploads_per_month,
            max_upload_bytes=settings.max_upload_bytes,
            max_pages=settings.max_pages,
        ),
        urls=PublicUrls(settings.resolved_public_url()),
        staging_dir=settings.data_dir / "staging",
        staging_bytes=settings.upload_staging_bytes,
        quick_reads_on_loop=settings.resolved_database_url().startswith("sqlite"),
    )


def _store_answers(runtime: Runtime) -> None:
    """Asks the store for a key that is never there: a missing answer proves it is reachable."""
    with contextlib.suppress(FileNotFoundError):
        runtime.ports.files.open_read(layout.HEALTH_PROBE).close()


def probes(runtime: Runtime, limiter: RateLimiter) -> list[Probe]:
    """The readiness probes of this process's dependencies (flipshelf/health.py)."""
    found = [
        blocking("database", runtime.db.ping),
        blocking("storage", lambda: _store_answers(runtime)),
    ]
    queue = runtime.ports.queue
    if isinstance(queue, HueyQueue):  # tests may give an in-process queue: nothing to reach
        found.append(blocking("queue", queue.pending))
    found.append(Probe("rate_limits", limiter.ping))
    return found


def rate_limiter(settings: Settings) -> RateLimiter:
    return RateLimiter(
        settings.rate_per_second, settings.rate_per_minute, settings.rate_limit_storage
    )


def create_app(runtime: Runtime) -> Starlette:
    settings = runtime.settings
    runtime.db.reuse_reads(settings.cached_read_seconds)  # the API process only: see its help
    limiter = rate_limiter(settings)
    config = api_config(settings)
    registry = CollectorRegistry(auto_describe=True)
    api_metrics = ApiMetrics(registry, ACTIONS)
    registry.register(JobCollector(runtime.db))
    v1 = V1Endpoint(
        runtime.ports,
        runtime.box,
        limiter,
        config,
        ACTIONS,
        runtime.credentials,
        outage=outage_of,
        observe=api_metrics.observe,
    )
    # Every verb reaches the endpoint, so a PUT or DELETE gets the envelope with 40, not a 405.
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with sweeping(config.staging_dir):  # files a crashed upload left
            yield
        runtime.ports.inspector.close()  # its checker processes

    return Starlette(
        lifespan=lifespan,
        # nosniff on every answer of every route (outermost, so compressed answers get it too).
        # Then every request counted by route template, the time it took to compress included.
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(HttpMetrics, registry=registry),
            # An outage answers 503 on every route (v1 calls answer 22 themselves).
            Middleware(OutageAnswers),
            compression(),
        ],
        routes=[
            Route("/v1/", v1.handle, methods=methods),
            Route("/v1", v1.handle, methods=methods),
            *health_routes(probes(runtime, limiter)),
            metrics_route(registry, settings.metrics_token),
            # The dashboard's first: its /static/dashboard mount must come before /static.
            *dashboard_routes(dashboard(runtime)),
            *web_routes(runtime.ports, PublicUrls(settings.resolved_public_url())),
            *package_routes(runtime.ports),
        ],
    )


def compression() -> Middleware:
    """gzip for text, JSON, scripts and styles when the client accepts it: a 1000-page manifest
    goes from 308 KB to about 21 KB, its text index from 2.8 MB to 0.9 MB. Starlette's middleware
    leaves JPEGs, zips, partial (Range) answers and anything already encoded alone; level 6
    compresses within a few percent of level 9 at a fraction of the CPU (docs/player.md)."""
    return Middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)


def app_from_environment() -> Starlette:
    """For `uvicorn flipshelf.app:app_from_environment --factory` and multi-worker servers."""
    from flipshelf.logging import configure

    settings = load_settings()
    configure(settings.log_format, settings.log_level)
    runtime = build_runtime(settings)
    runtime.ports.inspector.warm_up()
    return create_app(runtime)
