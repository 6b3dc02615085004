"""In-memory implementations of the worker's ports, with the same lease rules as db/leases.py, so
the worker use cases (jobs/conversion_job.py, jobs/package_job.py) are tested without SQL.

The SQL implementations are held to the same behaviour by tests/integration/test_jobs.py and
tests/packages/test_package_jobs.py on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from flipshelf.domain.collections import ClaimedConversion, Collection, ConvertStatus
from flipshelf.domain.packages import ClaimedBuild, PackageStatus


@dataclass
class Leased:
    """One job row: its status, its lease and the attempt number that is the lease's token."""

    processing: bool = True
    attempts: int = 0
    lease_until: datetime | None = None
    owner: str = ""
    queued_at: datetime | None = None

    def claim(self, now: datetime, lease: timedelta, owner: str) -> bool:
        if not self.processing or (self.lease_until is not None and self.lease_until >= now):
            return False
        self.attempts, self.lease_until, self.owner = self.attempts + 1, now + lease, owner
        return True

    def held(self, attempts: int) -> bool:
        return self.processing and self.attempts == attempts

    def lost(self, now: datetime, grace: timedelta) -> bool:
        expired = self.lease_until is not None and self.lease_until < now
        waiting = self.lease_until is None and (
            self.queued_at is None or self.queued_at < now - grace
        )
        if self.processing and (expired or waiting):
            self.queued_at, self.lease_until = now, None
            return True
        return False


@dataclass
class Conversion(Leased):
    collection_id: int = 1
    source_key: str = ""
    extension: str = "pdf"
    status: ConvertStatus = ConvertStatus.PROCESSING
    pages_ready: int = 0
    page_count: int | None = None
    error: str | None = None
    zoomed: int = 0
    failed_pages: tuple[int, ...] = ()
    zoom_queued_at: datetime | None = None
    zoomed_at: datetime | None = None
    zoom_attempts: int = 0

    @property
    def zoom_due(self) -> bool:
        complete = self.status is ConvertStatus.COMPLETE
        return complete and self.zoomed_at is None and self.zoom_queued_at is not None


class MemoryConversionJobs:
    """The ConversionJobs port over a dict of flipbook hash -> Conversion."""

    def __init__(self) -> None:
        self.rows: dict[str, Conversion] = {}

    def add(self, flipbook_hash: str, source_key: str, extension: str = "pdf") -> Conversion:
        self.rows[flipbook_hash] = Conversion(source_key=source_key, extension=extension)
        return self.rows[flipbook_hash]

    def claim(
        self, flipbook_hash: str, now: datetime, lease: timedelta, owner: str = ""
    ) -> ClaimedConversion | None:
        row = self.rows.get(flipbook_hash)
        if row is None or not row.claim(now, lease, owner):
            return None
        return ClaimedConversion(
            flipbook_hash, row.collection_id, row.source_key, row.extension, row.attempts
        )

    def progress(
        self,
        job: ClaimedConversion,
        now: datetime,
        lease: timedelta,
        pages_ready: int,
        page_count: int,
    ) -> bool:
        row = self.rows[job.flipbook_hash]
        if not row.held(job.attempts):
            return False
        row.lease_until, row.pages_ready, row.page_count = now + lease, pages_ready, page_count
        return True

    def finish(
        self,
        job: ClaimedConversion,
        now: datetime,
        status: ConvertStatus,
        *,
        page_count: int | None = None,
        error: str | None = None,
        failed_pages: tuple[int, ...] = (),
    ) -> bool:
        row = self.rows[job.flipbook_hash]
        if not row.held(job.attempts):
            return False
        row.status, row.processing, row.lease_until = status, False, None
        row.failed_pages = failed_pages
        if status is ConvertStatus.COMPLETE:
            row.zoom_queued_at, row.zoomed_at, row.zoom_attempts = now, None, 0
        if page_count is not None:
            row.page_count = row.pages_ready = page_count
        row.error = error[:255] if error is not None else None
        return True

    def release(self, job: ClaimedConversion, retry_at: datetime) -> None:
        row = self.rows[job.flipbook_hash]
        if row.held(job.attempts):
            row.lease_until, row.queued_at = None, retry_at

    def lost(self, now: datetime, grace: timedelta, limit: int = 100) -> list[str]:
        return [key for key, row in self.rows.items() if row.lost(now, grace)][:limit]

    def zoom_start(self, flipbook_hash: str, now: datetime, max_attempts: int) -> bool:
        row = self.rows.get(flipbook_hash)
        if row is None or not row.zoom_due or row.zoom_attempts >= max_attempts:
            return False
        row.zoom_attempts, row.zoom_queued_at = row.zoom_attempts + 1, now
        return True

    def zoom_alive(self, flipbook_hash: str, now: datetime) -> None:
        row = self.rows.get(flipbook_hash)
        if row is not None and row.zoom_due:
            row.zoom_queued_at = now

    def zoomed(self, flipbook_hash: str, now: datetime) -> bool:
        row = self.rows.get(flipbook_hash)
        if row is None or row.status is not ConvertStatus.COMPLETE:
            return False
        row.zoomed += 1
        row.zoomed_at = now
        return True

    def lost_zooms(
        self, now: datetime, grace: timedelta, max_attempts: int, limit: int = 100
    ) -> list[str]:
        found = [
            key
            for key, row in self.rows.items()
            if row.zoom_due
            and row.zoom_queued_at is not None
            and row.zoom_queued_at < now - grace
            and row.zoom_attempts < max_attempts
        ][:limit]
        for key in found:
            self.rows[key].zoom_queued_at = now
        return found

    def source_key(self, flipbook_hash: str) -> str | None:
        row = self.rows.get(flipbook_hash)
        return None if row is None else row.source_key


@dataclass
class Build(Leased):
    collection_hash: str = ""
    version: int = 1
    status: PackageStatus = PackageStatus.PROCESSING
    key: str | None = None
    size: int | None = None
    error: str | None = None


class MemoryPackageBuilds:
    """The PackageBuilds port over a dict of package id -> Build."""

    def __init__(self) -> None:
        self.rows: dict[int, Build] = {}

    def add(self, collection: Collection) -> int:
        package_id = len(self.rows) + 1
        self.rows[package_id] = Build(collection_hash=collection.hash, version=collection.version)
        return package_id

    def claim(
        self, package_id: int, now: datetime, lease: timedelta, owner: str = ""
    ) -> ClaimedBuild | None:
        row = self.rows.get(package_id)
        if row is None or not row.claim(now, lease, owner):
            return None
        return ClaimedBuild(package_id, row.collection_hash, row.version, row.attempts)

    def renew(self, build: ClaimedBuild, now: datetime, lease: timedelta) -> bool:
        row = self.rows[build.package_id]
        if not row.held(build.attempts):
            return False
        row.lease_until = now + lease
        return True

    def complete(self, build: ClaimedBuild, now: datetime, key: str, size: int) -> bool:
        return self._finish(build, PackageStatus.COMPLETE, key=key, size=size)

    def fail(self, build: ClaimedBuild, now: datetime, error: str) -> bool:
        return self._finish(build, PackageStatus.FAILED, error=error[:255])

    def _finish(self, build: ClaimedBuild, status: PackageStatus, **values: object) -> bool:
        row = self.rows[build.package_id]
        if not row.held(build.attempts):
            return False
        self.rows[build.package_id] = replace(
            row, status=status, processing=False, lease_until=None, **values
        )
        return True

    def release(self, build: ClaimedBuild, retry_at: datetime) -> None:
        row = self.rows[build.package_id]
        if row.held(build.attempts):
            row.lease_until, row.queued_at = None, retry_at

    def lost(self, now: datetime, grace: timedelta, limit: int = 100) -> list[int]:
        return [key for key, row in self.rows.items() if row.lost(now, grace)][:limit]

    def remove_superseded(self, before: datetime, limit: int = 100) -> list[str]:
        return []


@dataclass
class MemoryCollections:
    """Just what a package build reads of collections: `get` by hash."""

    by_hash: dict[str, Collection] = field(default_factory=dict)

    def get(self, collection_hash: str) -> Collection | None:
        return self.by_hash.get(collection_hash)
