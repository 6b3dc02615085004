"""Composition root: builds the ports from settings and wires the ASGI app. No logic here."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Route

from flipshelf.api.v1.actions.registry import ACTIONS
from flipshelf.api.v1.call import Limits
from flipshelf.api.v1.endpoint import ApiConfig, V1Endpoint
from flipshelf.api.v1.ratelimit import RateLimiter
from flipshelf.db.sessions import SqlLoginLinks, SqlPasswords, SqlSessions, SqlSignInFailures
from flipshelf.domain import layout
from flipshelf.domain.signin import SessionPolicy
from flipshelf.health import OutageAnswers, Probe, blocking, health_routes, outage_of
from flipshelf.jobs.queue import HueyQueue
from flipshelf.metrics import ApiMetrics, HttpMetrics, JobCollector, metrics_route
from flipshelf.runtime import Runtime, build_runtime
from flipshelf.runtime import zoom_images as make_zoom_images
from flipshelf.security.links import SignedLinks
from flipshelf.security.passwords import Argon2Hasher
from flipshelf.services.ports import SignInPorts
from flipshelf.services.uploads import UploadLimits
from flipshelf.settings import Settings, load_settings
from flipshelf.web.dashboard.context import Dashboard
from flipshelf.web.dashboard.routes import dashboard_routes
from flipshelf.web.headers import SecurityHeaders
from flipshelf.web.packages import package_routes
from flipshelf.web.routes import web_routes
from flipshelf.web.staging_limits import sweeping
from flipshelf.web.urls import PublicUrls
from flipshelf.web.zoom import ZOOM_PATH, ZoomRoute


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
    zoom_images = make_zoom_images(runtime)
    zoom = ZoomRoute(runtime.ports, zoom_images, settings.zoom_draw_waiting)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with sweeping(config.staging_dir):  # files a crashed upload left
            yield
        runtime.ports.inspector.close()  # its checker processes
        zoom_images.close()  # and the zoom drawing ones

    app = Starlette(
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
            # Before web_routes: its /f/{flipbook}/{name:path} would take zoom images too.
            Route(ZOOM_PATH, zoom.handle, methods=["GET", "HEAD"]),
            *web_routes(runtime.ports, PublicUrls(settings.resolved_public_url())),
            *package_routes(runtime.ports),
        ],
    )
    app.state.zoom = zoom  # its drawings, for tests and operators
    return app


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
