"""The seams between use cases and the outside: databases, files, clocks.

Each Protocol has a SQL (or real) implementation and tests may pass fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Protocol

from flipshelf.domain.accounts import Account
from flipshelf.domain.collections import (
    ClaimedConversion,
    Collection,
    CollectionChanges,
    ConvertStatus,
    Flipbook,
    NewCollection,
    NewFlipbook,
)
from flipshelf.domain.events import SessionKey, Tally
from flipshelf.domain.layout import ImageRole
from flipshelf.domain.listing import ListQuery
from flipshelf.domain.packages import ClaimedBuild, Package, PackageVariant
from flipshelf.domain.series import DayFigures
from flipshelf.domain.signin import Failures, SessionPolicy, StoredSession
from flipshelf.domain.stats import DateRange, Totals
from flipshelf.domain.usage import AccountHoldings
from flipshelf.security.links import SignedLinks
from flipshelf.security.package_links import PackageLinks
from flipshelf.services.webhook_ports import WebhookPorts


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Accounts(Protocol):
    def create(
        self, name: str, api_key: str, secret_enc: bytes, now: datetime, hmac_only: bool = False
    ) -> Account: ...
    def by_api_key(self, api_key: str) -> tuple[Account, bytes] | None: ...
    def by_id(self, account_id: int) -> Account | None: ...
    def active_named(self, name: str) -> list[Account]: ...
    def all(self) -> list[Account]: ...
    def count_active(self) -> int: ...
    def revoke(self, api_key: str, now: datetime) -> bool: ...
    def replace_secret(self, api_key: str, secret_enc: bytes) -> bool: ...
    def set_strict(self, api_key: str, strict: bool) -> bool: ...
    def set_hmac_only(self, api_key: str, hmac_only: bool) -> bool: ...
    def any_ever(self) -> bool: ...
    def rename(self, api_key: str, name: str) -> Account | None: ...
    def unrevoke(self, api_key: str) -> bool: ...
    def delete(self, api_key: str, now: datetime) -> bool: ...


class Collections(Protocol):
    def get(self, collection_hash: str) -> Collection | None: ...
    def add(self, new: NewCollection, now: datetime) -> Collection: ...
    def add_with_flipbook(
        self, new: NewCollection, item: NewFlipbook, now: datetime
    ) -> Collection: ...
    def add_flipbook(self, collection_id: int, item: NewFlipbook, now: datetime) -> Collection: ...
    def update(
        self, collection_id: int, changes: CollectionChanges, now: datetime
    ) -> Collection: ...
    def mark_deleted(self, collection_id: int, now: datetime) -> None: ...
    def replace_image(
        self, collection_id: int, role: ImageRole, key: str | None, now: datetime
    ) -> tuple[Collection, str | None]: ...
    def delete_flipbook(
        self, collection_id: int, flipbook_hash: str, now: datetime
    ) -> Flipbook: ...
    def reorder(self, collection_id: int, order: list[str], now: datetime) -> Collection: ...
    def search(self, account_id: int, query: ListQuery) -> tuple[int, list[Collection]]: ...
    def of_flipbook(self, flipbook_hash: str) -> Collection | None: ...
    def ids_of_account(self, account_id: int) -> list[int]: ...
    def live_of_account(self, account_id: int) -> list[str]: ...


class Packages(Protocol):
    """Offline packages, one per collection version (db/packages.py)."""

    def ensure(
        self,
        collection_id: int,
        version: int,
        now: datetime,
        variant: PackageVariant = PackageVariant.FULL,
    ) -> tuple[Package, bool]: ...
    def rearm(self, package: Package, now: datetime) -> bool: ...
    def get(self, package_id: int) -> Package | None: ...


class ConversionJobs(Protocol):
    """The worker's side of conversions: the flipbook row is the truth, claimed under a lease
    whose token is `attempts` (db/conversions.py)."""

    def claim(
        self, flipbook_hash: str, now: datetime, lease: timedelta, owner: str = ""
    ) -> ClaimedConversion | None: ...
    def progress(
        self,
        job: ClaimedConversion,
        now: datetime,
        lease: timedelta,
        pages_ready: int,
        page_count: int,
    ) -> bool: ...
    def finish(
        self,
        job: ClaimedConversion,
        now: datetime,
        status: ConvertStatus,
        *,
        page_count: int | None = None,
        error: str | None = None,
        failed_pages: tuple[int, ...] = (),
    ) -> bool: ...
    def release(self, job: ClaimedConversion, retry_at: datetime) -> None: ...
    def lost(self, now: datetime, grace: timedelta, limit: int = 100) -> list[str]: ...
    def zoom_start(self, flipbook_hash: str, now: datetime, max_attempts: int) -> bool: ...
    def zoom_alive(self, flipbook_hash: str, now: datetime) -> None: ...
    def zoomed(self, flipbook_hash: str, now: datetime) -> bool: ...
    def lost_zooms(
        self, now: datetime, grace: timedelta, max_attempts: int, limit: int = 100
    ) -> list[str]: ...
    def source_key(self, flipbook_hash: str) -> str | None: ...


class Retries(Protocol):
    """FAILED jobs turned back to PROCESSING (db/job_retry.py); the caller queues them."""

    def conversions(self, now: datetime, hashes: Sequence[str] | None = None) -> list[str]: ...
    def packages(self, now: datetime, ids: Sequence[int] | None = None) -> list[int]: ...


class Holdings(Protocol):
    """What each account holds (db/usage.py)."""

    def of_accounts(self, month: str, api_key: str | None = None) -> list[AccountHoldings]: ...


class PackageBuilds(Protocol):
    """The worker's side of offline packages: the package row is the truth, claimed under a
    lease whose token is `attempts` (db/packages.py)."""

    def claim(
        self, package_id: int, now: datetime, lease: timedelta, owner: str = ""
    ) -> ClaimedBuild | None: ...
    def renew(self, build: ClaimedBuild, now: datetime, lease: timedelta) -> bool: ...
    def complete(self, build: ClaimedBuild, now: datetime, key: str, size: int) -> bool: ...
    def fail(self, build: ClaimedBuild, now: datetime, error: str) -> bool: ...
    def release(self, build: ClaimedBuild, retry_at: datetime) -> None: ...
    def lost(self, now: datetime, grace: timedelta, limit: int = 100) -> list[int]: ...
    def remove_superseded(self, before: datetime, limit: int = 100) -> list[str]: ...


class Stats(Protocol):
    def totals(self, collection_ids: list[int], days: DateRange, with_pages: bool) -> Totals: ...
    def daily(self, collection_ids: list[int], days: DateRange) -> list[DayFigures]: ...
    def record(
        self,
        collection_id: int,
        session: str,
        key: SessionKey,
        day: date,
        rule: Callable[[int | None], Tally],
    ) -> Tally:
        """Counts a reader event once per session and key: `rule` gets what the session
        counted before for `key` (None: nothing) and says what to add."""
        ...

    def forget_sessions_before(self, day: date) -> int: ...


class Quota(Protocol):
    def used(self, account_id: int, month: str) -> int: ...
    def charge(self, account_id: int, month: str, limit: int) -> bool: ...
    def refund(self, account_id: int, month: str) -> None: ...


class Nonces(Protocol):
    def remember(self, account_id: int, nonce: str, now: datetime) -> bool: ...


class FileStore(Protocol):
    """Stored files by server-made keys (never client names): a local directory or S3."""

    def put_file(self, key: str, path: Path) -> None:
        """Stores a finished local file durably; the local backend may move it."""
        ...

    def adopt_file(
        self, key: str, path: Path, *, create_only: bool = False, attachment: str | None = None
    ) -> None:
        """Stores a finished, fsynced file the caller gives up (moved when it can be).
        `create_only`: FileExistsError rather than replace a stored file. `attachment`: a
        file name that object stores serve the file under as a download."""
        ...

    def get_file(self, key: str, target: Path) -> None: ...
    def open_read(self, key: str) -> BinaryIO:
        """The stored file, streamed (never read whole into memory)."""
        ...

    def local_path(self, key: str) -> Path | None:
        """Where the key lives on this machine's disk, for stores that keep files locally."""
        ...

    def signed_url(self, key: str, expires_in: timedelta) -> str | None:
        """A direct, expiring URL for readers (object stores); None where there is none."""
        ...

    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str) -> None: ...
    def prefix_size(self, prefix: str) -> int:
        """Bytes stored under `prefix` (`flipshelf usage`)."""
        ...


@dataclass(frozen=True)
class DocumentInfo:
    extension: str  # "pdf", "jpg" or "png", from the content
    # None when the check gave no verdict in time: the conversion worker judges the file.
    page_count: int | None


class DocumentInspector(Protocol):
    """Opens an upload to learn its type and page count; refuses with 45 or 35."""

    def inspect(self, path: Path, max_pages: int) -> DocumentInfo: ...
    def warm_up(self) -> None:
        """Gets ready for the first upload in the background (a server just started)."""
        ...

    def close(self) -> None:
        """Stops whatever processes the inspector keeps (at shutdown)."""
        ...


class ImageProcessor(Protocol):
    """Re-encodes a logo or background (metadata stripped, orientation applied); answers the
    extension of what it wrote. Refuses with 45."""

    def reencode(self, source: Path, target: Path) -> str: ...


class Fetcher(Protocol):
    """Fetches a client's fileUrl into a local file, safely (SSRF guard, byte cap, deadline).
    Refuses with 40 (refused or unreachable) or 34 (too large)."""

    async def fetch(self, url: str, target: Path) -> None: ...


class JobQueue(Protocol):
    """Delivers work to the workers. Only a hint: the database row is the truth, and the
    sweep re-queues anything the queue lost."""

    def convert(self, flipbook_hash: str) -> None: ...
    def package(self, package_id: int) -> None: ...
    def deliver(self, delivery_id: int) -> None: ...


@dataclass(frozen=True)
class Ports:
    accounts: Accounts
    collections: Collections
    stats: Stats
    quota: Quota
    nonces: Nonces
    files: FileStore
    clock: Clock
    inspector: DocumentInspector
    images: ImageProcessor
    queue: JobQueue
    fetcher: Fetcher
    packages: Packages
    # Signs and checks the one-minute download links of offline packages.
    package_links: PackageLinks
    # Signs and checks the expiring player links of private collections (`exp`, `sig`).
    collection_links: SignedLinks
    # Endpoints, deliveries, the guarded sender (docs/webhooks.md).
    webhooks: WebhookPorts


class Passwords(Protocol):
    def get(self, account_id: int) -> str | None: ...
    def set(self, account_id: int, password_hash: str, now: datetime) -> None: ...


class Sessions(Protocol):
    """The dashboard's signed-in browsers (db/sessions.py)."""

    def add(self, session: StoredSession) -> None: ...
    def get(self, token_hash: str) -> StoredSession | None: ...
    def touch(self, token_hash: str, now: datetime) -> None: ...
    def remove(self, token_hash: str) -> None: ...
    def remove_of_account(self, account_id: int) -> int: ...
    def forget(self, created_before: datetime, seen_before: datetime) -> int: ...


class LoginLinks(Protocol):
    def use(self, nonce: str, account_id: int, expires_at: datetime, now: datetime) -> bool: ...


class SignInFailures(Protocol):
    def get(self, keys: list[str]) -> dict[str, Failures]: ...
    def fail(self, keys: list[str], count: Callable[[Failures | None], Failures]) -> None: ...
    def clear(self, keys: list[str]) -> None: ...
    def forget_before(self, moment: datetime) -> int: ...


class PasswordHasher(Protocol):
    """argon2id in production (security/passwords.py)."""

    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def needs_rehash(self, password_hash: str) -> bool: ...
    def waste(self, password: str) -> None:
        """Checks `password` against a decoy hash: as slow as `verify`, answers nothing."""
        ...


@dataclass(frozen=True)
class SignInPorts:
    """What the dashboard's sign-in needs beside `Ports`."""

    passwords: Passwords
    sessions: Sessions
    login_links: LoginLinks
    failures: SignInFailures
    hasher: PasswordHasher
    # Signs and checks one-time login links (`exp`, `sig` over the account and a nonce).
    link_signer: SignedLinks
    policy: SessionPolicy
