"""Use cases that take a file: new collections, new flipbooks, logos and backgrounds.

The file arrives staged (complete and fsynced on local disk). A use case inspects it, charges the
monthly quota, moves it into the store, records it, and queues its conversion. Anything that fails
after the charge gives the charge back, so only an upload that answers 20 counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import structlog

from flipshelf.domain import layout
from flipshelf.domain.accounts import Account
from flipshelf.domain.collections import Collection, CollectionStatus, NewCollection, NewFlipbook
from flipshelf.domain.errors import UploadQuotaExceeded
from flipshelf.domain.hashes import new_collection_hash, new_flipbook_hash
from flipshelf.domain.layout import ImageRole
from flipshelf.domain.quota import month_key
from flipshelf.services.collections import find_owned
from flipshelf.services.ports import DocumentInfo, Ports

log = structlog.get_logger("flipshelf.uploads")

RecordFn = Callable[[str, str, DocumentInfo], Collection]


@dataclass(frozen=True)
class UploadLimits:
    uploads_per_month: int
    max_pages: int


@dataclass(frozen=True)
class CollectionFields:
    title: str
    description: str
    status: CollectionStatus
    width: int
    height: int
    rtl: bool = False


def _refuse_if_quota_used(ports: Ports, account: Account, limits: UploadLimits) -> str:
    month = month_key(ports.clock.now())
    if ports.quota.used(account.id, month) >= limits.uploads_per_month:
        raise UploadQuotaExceeded("monthly uploads used up")
    return month


def _store_document(
    ports: Ports, account: Account, staged: Path, limits: UploadLimits, record: RecordFn
) -> Collection:
    """The shared path of create and add: inspect, charge, store, record, queue."""
    month = _refuse_if_quota_used(ports, account, limits)
    info = ports.inspector.inspect(staged, limits.max_pages)
    if not ports.quota.charge(account.id, month, limits.uploads_per_month):
        raise UploadQuotaExceeded("monthly uploads used up")
    flipbook_hash = new_flipbook_hash()
    key = layout.source_key(flipbook_hash, info.extension)
    try:
        ports.files.adopt_file(key, staged)
        collection = record(flipbook_hash, key, info)
    except BaseException:
        ports.quota.refund(account.id, month)
        ports.files.delete(key)
        raise
    try:
        ports.queue.convert(flipbook_hash)
    except Exception:
        # Stored and recorded: the sweep will queue it, so the upload still succeeded.
        log.exception("could not queue a conversion", flipbook=flipbook_hash)
    return collection


def create_collection(
    ports: Ports,
    account: Account,
    staged: Path,
    fields: CollectionFields,
    limits: UploadLimits,
) -> Collection:
    """A new collection whose one flipbook is the staged document; both take `fields.title`."""
    new = NewCollection(
        new_collection_hash(),
        account.id,
        fields.title,
        fields.description,
        fields.status,
        fields.width,
        fields.height,
        fields.rtl,
    )

    def record(flipbook_hash: str, key: str, info: DocumentInfo) -> Collection:
        item = NewFlipbook(
            flipbook_hash, fields.title, info.extension, key, page_count=info.page_count
        )
        return ports.collections.add_with_flipbook(new, item, ports.clock.now())

    return _store_document(ports, account, staged, limits, record)


def add_flipbook(
    ports: Ports,
    account: Account,
    collection_hash: str,
    staged: Path,
    title: str,
    limits: UploadLimits,
) -> Collection:
    collection = find_owned(ports, account, collection_hash)

    def record(flipbook_hash: str, key: str, info: DocumentInfo) -> Collection:
        item = NewFlipbook(flipbook_hash, title, info.extension, key, page_count=info.page_count)
        return ports.collections.add_flipbook(collection.id, item, ports.clock.now())

    return _store_document(ports, account, staged, limits, record)


def replace_image(
    ports: Ports, account: Account, collection_hash: str, staged: Path, role: ImageRole
) -> Collection:
    """A new logo or background for a collection: re-encoded, stored under a fresh key, the old
    file deleted once the collection points at the new one."""
    collection = find_owned(ports, account, collection_hash)
    encoded = staged.with_name(staged.name + ".encoded")
    try:
        extension = ports.images.reencode(staged, encoded)
        # A fresh key per upload: readers' caches and old packages never see a changed file.
        key = layout.image_key(collection.hash, role, new_flipbook_hash()[:12], extension)
        ports.files.adopt_file(key, encoded)
    finally:
        encoded.unlink(missing_ok=True)
    updated, old_key = ports.collections.replace_image(collection.id, role, key, ports.clock.now())
    if old_key:
        ports.files.delete(old_key)
    return updated
