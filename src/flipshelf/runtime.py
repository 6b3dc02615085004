"""The runtime every process builds from settings (the composition root's half that has no web
app): the database, the server key, the ports, and the contexts of the workers' jobs. Apart from
app.py so a worker process imports none of the web app (its routes, templates, dashboard): each
process pays in memory for every module it imports (docs/self-hosting.md, memory)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import structlog

from flipshelf.api.v1.presenters import collection_view
from flipshelf.conversion.checker import UploadChecker
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
from flipshelf.db.stats import SqlStats
from flipshelf.db.webhooks import SqlWebhooks
from flipshelf.domain.webhooks import RetryPolicy
from flipshelf.fetch.policy import AllowList, FetchPolicy
from flipshelf.fetch.port import GuardedFetcher
from flipshelf.fetch.webhooks import GuardedWebhookSender
from flipshelf.jobs.conversion_job import ConversionContext
from flipshelf.jobs.package_job import PackageContext
from flipshelf.jobs.queue import HueyQueue, make_huey, only_in_workers
from flipshelf.jobs.webhook_job import DeliveryContext
from flipshelf.packaging.player import WidgetPlayer
from flipshelf.security import server_key
from flipshelf.security.links import SignedLinks
from flipshelf.security.package_links import PackageLinks
from flipshelf.security.secret_box import SecretBox
from flipshelf.services.accounts import CredentialCache
from flipshelf.services.ports import Clock, JobQueue, Ports, SystemClock
from flipshelf.services.webhook_ports import WebhookPorts
from flipshelf.services.zoom_images import ZoomImages
from flipshelf.settings import Settings
from flipshelf.storage import S3Credentials, make_store
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


def zoom_images(runtime: Runtime) -> ZoomImages:
    """The on-demand zoom images of an API process, drawn in its own checker processes."""
    settings = runtime.settings
    seconds = settings.zoom_draw_seconds
    options = conversion_options(settings)
    limits = replace(options.limits, cpu_seconds=max(1, int(seconds)), wall_seconds=None)
    drawing = UploadChecker(replace(options, limits=limits), settings.zoom_draw_processes)
    return ZoomImages(runtime.ports.files, drawing, settings.data_dir / "work", seconds)


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
        zoom_pass=settings.zoom_pass,
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
        zoom=zoom_images(runtime),
    )


def delivery_context(runtime: Runtime) -> DeliveryContext:
    return DeliveryContext(
        webhooks=runtime.ports.webhooks,
        clock=runtime.ports.clock,
        lease=timedelta(seconds=runtime.settings.lease_seconds),
    )
