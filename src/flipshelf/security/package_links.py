"""Download links of packages: `<public_url>/packages/<id>.zip?v=<version>&exp=<unix>&sig=<hmac>`.

The signature (SignedLinks, purpose "package") covers the package id, its collection version and
the expiry, so a link names exactly one build and cannot be stretched; ids are never reused
(AUTOINCREMENT), so it can never reach another collection's package. Checking needs no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flipshelf.domain.access import LinkCheck
from flipshelf.domain.packages import Package
from flipshelf.security.links import SignedLinks

PURPOSE = "package"
ROUTE_PREFIX = "/packages"


def _subject(package_id: int, version: int) -> str:
    return f"{package_id}/{version}"


@dataclass(frozen=True)
class PackageLinks:
    base: str  # the public URL, no trailing slash
    signer: SignedLinks
    lifetime: timedelta

    @staticmethod
    def make(base: str, server_key: bytes, lifetime: timedelta) -> PackageLinks:
        return PackageLinks(base, SignedLinks(server_key, PURPOSE), lifetime)

    def url(self, package: Package, now: datetime) -> str:
        """A link that works until `lifetime` from now."""
        query = self.signer.query(_subject(package.id, package.version), now + self.lifetime)
        return f"{self.base}{ROUTE_PREFIX}/{package.id}.zip?v={package.version}&{query}"

    def check(
        self, package_id: int, version: str | None, exp: str | None, sig: str | None, now: datetime
    ) -> LinkCheck:
        if not version or not version.isascii() or not version.isdigit() or len(version) > 12:
            return LinkCheck.INVALID
        return self.signer.check(_subject(package_id, int(version)), exp, sig, now)
