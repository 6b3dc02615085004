"""`flipshelf usage`: per account, what it holds (db/usage.py) and the bytes its files take in
the store: every flipbook's folder (source and book), its collections' images and packages.
Files of deleted collections count too: the store keeps them."""

from __future__ import annotations

from dataclasses import dataclass

from flipshelf.domain import layout
from flipshelf.domain.quota import month_key
from flipshelf.domain.usage import AccountHoldings
from flipshelf.services.ports import Clock, FileStore, Holdings


@dataclass(frozen=True)
class Usage:
    holdings: AccountHoldings
    month: str  # "2026-12": the month `uploads_this_month` counts
    stored_bytes: int


def usage(
    holdings: Holdings, files: FileStore, clock: Clock, api_key: str | None = None
) -> list[Usage]:
    """Every account not deleted (or the one with `api_key`)."""
    month = month_key(clock.now())
    return [
        Usage(held, month, _stored_bytes(files, held))
        for held in holdings.of_accounts(month, api_key)
    ]


def _stored_bytes(files: FileStore, held: AccountHoldings) -> int:
    prefixes = [layout.flipbook_prefix(flipbook) for flipbook in held.flipbook_hashes]
    for collection in held.collection_hashes:
        prefixes += [layout.collection_prefix(collection), layout.packages_prefix(collection)]
    return sum(files.prefix_size(prefix) for prefix in prefixes)
