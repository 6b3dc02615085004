"""Reading v1 parameters (and at most one file) from the request body as it streams.

The streaming itself (byte caps, the staging file, the gate before a file's first byte) is
`flipshelf.web.staging`, shared with the dashboard; this module feeds its fields into `Params`,
which records problems instead of raising so the order of checks holds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request

from flipshelf.api.v1.params import Params
from flipshelf.web import staging
from flipshelf.web.staging import BodyTooLarge, MultipartBody, StagedFile, content_type

__all__ = [
    "BodyTooLarge",
    "FileGate",
    "MultipartBody",
    "StagedFile",
    "content_type",
    "read_multipart",
    "read_urlencoded",
]

FileGate = Callable[[Params], Awaitable[bool]]
"""Runs before a file part is read; raises to refuse, answers False to skip (discard) the file."""


async def read_urlencoded(request: Request, params: Params) -> None:
    params.add_query(await staging.read_capped(request))


async def read_multipart(
    request: Request,
    params: Params,
    boundary: bytes,
    *,
    gate: FileGate,
    staging_dir: Path,
    max_file_bytes: int,
) -> MultipartBody:
    async def before_file() -> bool:
        return await gate(params)

    rules = staging.StagingRules(staging_dir, max_file_bytes)
    return await staging.read_multipart(request, boundary, params.add, before_file, rules)
