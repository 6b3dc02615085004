"""The fetcher as the services' port sees it: its errors become v1 refusals (40 and 34)."""

from __future__ import annotations

from pathlib import Path

from flipshelf.domain.errors import BadRequest, FileTooLarge
from flipshelf.fetch.client import fetch_to_file
from flipshelf.fetch.errors import FetchRefused, FetchTooLarge
from flipshelf.fetch.policy import FetchPolicy
from flipshelf.fetch.resolver import Resolver


class GuardedFetcher:
    def __init__(self, policy: FetchPolicy, resolver: Resolver | None = None) -> None:
        self._policy, self._resolver = policy, resolver

    async def fetch(self, url: str, target: Path) -> None:
        try:
            await fetch_to_file(url, target, policy=self._policy, resolver=self._resolver)
        except FetchTooLarge as refused:
            raise FileTooLarge(str(refused)) from None
        except FetchRefused as refused:
            raise BadRequest(f"fileUrl refused: {refused}") from None
