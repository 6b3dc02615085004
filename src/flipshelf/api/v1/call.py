"""What an action gets: the authenticated account, its parameters and the ports."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flipshelf.api.v1.params import Params
from flipshelf.api.v1.staging import StagedFile
from flipshelf.domain.accounts import Account
from flipshelf.domain.errors import MissingParameter
from flipshelf.services.ports import Ports
from flipshelf.web.urls import PublicUrls


@dataclass(frozen=True)
class Limits:
    uploads_per_month: int
    max_upload_bytes: int
    max_pages: int


@dataclass(frozen=True)
class Call:
    account: Account
    params: Params
    ports: Ports
    urls: PublicUrls
    limits: Limits
    staging_dir: Path
    upload: StagedFile | None = None

    def required(self, name: str) -> str:
        value = self.params.present(name)
        if value is None:
            raise MissingParameter(f"missing {name}")
        return value

    def optional(self, name: str) -> str | None:
        return self.params.present(name)


Data = dict[str, Any] | None
ActionFn = Callable[[Call], Data] | Callable[[Call], Awaitable[Data]]


@dataclass(frozen=True)
class Action:
    name: str
    run: ActionFn
    upload: bool = False
    # Only reads a handful of rows by key (no scans, no writes): cheap and never waiting on
    # SQLite in WAL mode, so the endpoint may run it on the event loop instead of a thread.
    quick_read: bool = False
