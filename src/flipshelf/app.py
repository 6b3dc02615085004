"""Composition root: builds the ports from settings and wires the ASGI app. No logic here."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.routing import Route

from flipshelf.api.v1.actions.registry import ACTIONS
from flipshelf.api.v1.call import Limits
from flipshelf.api.v1.endpoint import ApiConfig, V1Endpoint
from flipshelf.api.v1.ratelimit import RateLimiter
from flipshelf.db.accounts import SqlAccounts
from flipshelf.db.collections import SqlCollections
from flipshelf.db.database import Database, make_engine
from flipshelf.db.nonces import SqlNonces
from flipshelf.db.quota import SqlQuota
from flipshelf.db.stats import SqlStats
from flipshelf.security import server_key
from flipshelf.security.secret_box import SecretBox
from flipshelf.services.ports import Clock, Ports, SystemClock
from flipshelf.settings import Settings
from flipshelf.storage.local import LocalFileStore
from flipshelf.web.urls import PublicUrls


@dataclass(frozen=True)
class Runtime:
    """Everything built from settings once, shared by the app, the CLI and the tests."""

    settings: Settings
    db: Database
    ports: Ports
    box: SecretBox


def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(make_engine(settings.resolved_database_url()))
    key = server_key.load_or_create(settings.server_key, settings.data_dir)
    ports = Ports(
        accounts=SqlAccounts(db),
        collections=SqlCollections(db),
        stats=SqlStats(db),
        quota=SqlQuota(db),
        nonces=SqlNonces(db),
        files=LocalFileStore(settings.data_dir / "files"),
        clock=clock or SystemClock(),
    )
    return Runtime(settings, db, ports, SecretBox(key))


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
    )


def create_app(runtime: Runtime) -> Starlette:
    settings = runtime.settings
    limiter = RateLimiter(
        settings.rate_per_second, settings.rate_per_minute, settings.rate_limit_storage
    )
    v1 = V1Endpoint(runtime.ports, runtime.box, limiter, api_config(settings), ACTIONS)
    methods = ["GET", "POST"]
    return Starlette(
        routes=[
            Route("/v1/", v1.handle, methods=methods),
            Route("/v1", v1.handle, methods=methods),
        ],
    )


def app_from_environment() -> Starlette:
    """For `uvicorn flipshelf.app:app_from_environment --factory` and multi-worker servers."""
    from flipshelf.logging import configure

    settings = Settings()
    configure(settings.log_format, settings.log_level)
    return create_app(build_runtime(settings))
