"""Reading v1 parameters (and at most one file) from the request body as it streams.

The streaming itself (byte caps, the staging file, the gate before a file's first byte, a body cut
short) is `flipshelf.web.staging`, shared with the dashboard; this module feeds its fields into
`Params`, which records problems instead of raising so the order of checks holds, and charges a
file's bytes to its apiKey and client address (`web/staging_limits.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request

from flipshelf.api.v1.params import Params
from flipshelf.web import staging as streaming
from flipshelf.web.staging import BodyTooLarge, MultipartBody, StagedFile, content_type
from flipshelf.web.staging_limits import Reservation, StagingBudget

__all__ = [
    "BodyTooLarge",
    "FileGate",
    "MultipartBody",
    "StagedFile",
    "Staging",
    "content_type",
    "read_multipart",
    "read_urlencoded",
]

FileGate = Callable[[Params], Awaitable[bool]]
"""Runs before a file part is read; raises to refuse, answers False to skip (discard) the file."""


@dataclass(frozen=True)
class Staging:
    """Where and how much a request may stage: the directory, the per-file cap, the budget
    shared by the requests of one apiKey and of one client address."""

    directory: Path
    max_file_bytes: int
    budget: StagingBudget
    address: str


async def read_urlencoded(request: Request, params: Params) -> None:
    params.add_query(await streaming.read_capped(request))


async def read_multipart(
    request: Request, params: Params, boundary: bytes, *, gate: FileGate, staging: Staging
) -> MultipartBody:
    async def before_file() -> bool:
        return await gate(params)

    def reserve() -> Reservation:
        # The apiKey is not proven yet (the signature may follow the file): charge it and the
        # address both, so neither a stranger with a key nor one address can fill the disk.
        return staging.budget.reservation(params.present("apiKey"), staging.address)

    rules = streaming.StagingRules(staging.directory, staging.max_file_bytes, reserve)
    return await streaming.read_multipart(request, boundary, params.add, before_file, rules)
