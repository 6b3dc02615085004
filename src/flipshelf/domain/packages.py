"""Offline HTML packages of a collection (collection.downloadHTML): their states and rules.

A package is built once per version of a collection (the version grows on every change), so an
unchanged collection reuses its package and a changed one gets a new one. docs/packages.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# A FAILED package answers FAILED for this long after its last try failed; the next call after
# that builds it again. A client polling every few seconds sees the failure (and stops polling);
# one that comes back later gets a new build, so a transient fault never sticks to a version.
FAILED_RETRY_AFTER = timedelta(seconds=30)

# Packages of versions the collection has moved past are deleted this long after the change
# (links last a minute, but a download started with one may still be running).
KEEP_SUPERSEDED = timedelta(hours=1)

MAX_NAME_LENGTH = 60


class PackageVariant(StrEnum):
    """What a package holds: everything, or (`lean`) no zoom images, the bulk of a package
    (the player then zooms into the normal images). docs/packages.md."""

    FULL = "full"
    LEAN = "lean"

    @property
    def zoom_images(self) -> bool:
        return self is PackageVariant.FULL

    @property
    def name_suffix(self) -> str:
        return "" if self is PackageVariant.FULL else "-lean"


class PackageStatus(StrEnum):
    PROCESSING = "PROCESSING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"


@dataclass(frozen=True)
class ClaimedBuild:
    """A package build a worker holds a lease on; `attempts` is the lease's token."""

    package_id: int
    collection_hash: str
    version: int
    attempts: int
    variant: PackageVariant = PackageVariant.FULL


@dataclass(frozen=True)
class Package:
    id: int
    collection_id: int
    version: int
    status: PackageStatus
    key: str | None
    size: int | None
    error: str | None
    attempts: int
    created_at: datetime
    completed_at: datetime | None
    variant: PackageVariant = PackageVariant.FULL


def retry_due(package: Package, now: datetime) -> bool:
    """A FAILED package is built again by a call made FAILED_RETRY_AFTER after it failed."""
    if package.status is not PackageStatus.FAILED:
        return False
    failed_at = package.completed_at or package.created_at
    return now >= failed_at + FAILED_RETRY_AFTER


def next_round(attempts: int, per_round: int) -> int:
    """The attempt counter a re-armed package restarts from. The counter only grows (it is the
    lease's token, so a stale worker can never match a new claim); each round of `per_round`
    tries starts at a multiple of it, and a build fails for good on the last of its round."""
    return -(-attempts // per_round) * per_round


def last_of_round(attempts: int, per_round: int) -> bool:
    return attempts % per_round == 0


def download_name(
    title: str, collection_hash: str, extension: str = "zip", suffix: str = ""
) -> str:
    """The file name a browser saves the zip under: ASCII letters, digits and dashes from the
    title (accents folded), then the collection's hash, so it is never empty nor ambiguous. No
    quote, slash, or control character can reach the Content-Disposition header."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:MAX_NAME_LENGTH].strip("-")
    stem = f"{slug}-{collection_hash}" if slug else f"flipshelf-{collection_hash}"
    return f"{stem}{suffix}.{extension}"
