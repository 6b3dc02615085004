"""What an account holds (`flipshelf usage`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccountHoldings:
    account_id: int
    name: str
    api_key: str
    collections: int  # not deleted
    flipbooks: int
    pages: int  # of converted books
    uploads_this_month: int
    collection_hashes: tuple[str, ...]  # every collection, deleted ones too: files may remain
    flipbook_hashes: tuple[str, ...]
