"""Use cases of offline packages: ask for a collection's package; fetch one by its signed link."""

from __future__ import annotations

from dataclasses import dataclass

from flipshelf.domain.access import LinkCheck
from flipshelf.domain.accounts import Account
from flipshelf.domain.errors import CollectionProcessing
from flipshelf.domain.packages import Package, PackageStatus, PackageVariant, retry_due
from flipshelf.services.collections import find_owned
from flipshelf.services.ports import Ports


@dataclass(frozen=True)
class PackageAnswer:
    status: PackageStatus
    resource_url: str | None = None  # only when COMPLETE: a fresh link, valid for a minute


def request_package(
    ports: Ports,
    account: Account,
    collection_hash: str,
    variant: PackageVariant = PackageVariant.FULL,
) -> PackageAnswer:
    """collection.downloadHTML: the package of the collection as it is now (its version), whole
    or lean (`variant`): each is built once per version.

    The first call for a version makes the row and queues one build; every call after answers
    from the row. A FAILED build answers FAILED until FAILED_RETRY_AFTER has passed, then the
    next call builds it again (docs/packages.md).
    """
    collection = find_owned(ports, account, collection_hash)
    if collection.is_processing:
        raise CollectionProcessing("an item of the collection is converting")
    now = ports.clock.now()
    package, created = ports.packages.ensure(collection.id, collection.version, now, variant)
    if created:
        ports.queue.package(package.id)
        return PackageAnswer(PackageStatus.PROCESSING)
    if retry_due(package, now):
        if ports.packages.rearm(package, now):
            ports.queue.package(package.id)
        return PackageAnswer(PackageStatus.PROCESSING)
    if package.status is PackageStatus.COMPLETE:
        return PackageAnswer(package.status, ports.package_links.url(package, now))
    return PackageAnswer(package.status)


def package_download(
    ports: Ports, package_id: int, version: str | None, exp: str | None, sig: str | None
) -> tuple[LinkCheck, Package | None]:
    """Checks a download link (INVALID: tampered or foreign; EXPIRED: genuine but late), then
    finds its package: None when it is gone (superseded and cleaned up) or not COMPLETE."""
    check = ports.package_links.check(package_id, version, exp, sig, ports.clock.now())
    if check is not LinkCheck.VALID:
        return check, None
    package = ports.packages.get(package_id)
    if (
        package is None
        or str(package.version) != version
        or package.status is not PackageStatus.COMPLETE
        or package.key is None
    ):
        return check, None
    return check, package
