"""The staging directory's limits: where an upload's file waits, on local disk, until it is
stored or refused (`staging.py` writes it). Nothing may be left there.

- Every way out of a request removes its file: success (the store adopts it), any refusal, a body
  cut short inside the file part, a client that goes away (`staging.read_multipart`, and the
  caller's `finally` through `MultipartBody.discard`).
- A file is written before its request's signature can be checked (the signature covers fields
  that may follow the file), so what one apiKey and one client address may hold there at once is
  capped (`StagingBudget`): a stranger who knows an apiKey but not its secret cannot fill the disk.
- A process killed mid-upload leaves its file behind: `sweep_stale` removes files nobody has
  written to for `STALE_AFTER`, at API start and periodically after.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import structlog

from flipshelf.domain.errors import FileTooLarge

log = structlog.get_logger("flipshelf.api")

# No upload writes to its file for this long while it is in flight (each chunk updates the
# file's time); a file this old belongs to a request that is gone.
STALE_AFTER_SECONDS = 3600.0
# How often a running API process sweeps.
SWEEP_EVERY_SECONDS = 600.0
BUDGET_REASON = (
    "too many upload bytes in flight from this apiKey or address; try again when they are done"
)


class StagingBudget:
    """Bytes being staged at once per apiKey and per client address, in this API process.

    Used from the event loop only (the body is read there), so no lock is needed. Each request
    holds a `Reservation` that grows as its file arrives and is released when the request ends.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: Counter[str] = Counter()

    def reservation(self, api_key: str | None, address: str) -> Reservation:
        owners = [f"address:{address}"] + ([f"key:{api_key}"] if api_key else [])
        return Reservation(self, tuple(owners))

    def held(self, owner: str) -> int:
        return self._held[owner]

    def _take(self, owners: tuple[str, ...], size: int) -> None:
        if any(self._held[owner] + size > self.limit for owner in owners):
            raise FileTooLarge(
                f"staged bytes over {self.limit} for {', '.join(owners)}", reason=BUDGET_REASON
            )
        for owner in owners:
            self._held[owner] += size

    def _give_back(self, owners: tuple[str, ...], size: int) -> None:
        for owner in owners:
            self._held[owner] -= size
            if self._held[owner] <= 0:
                del self._held[owner]


@dataclass
class Reservation:
    budget: StagingBudget
    owners: tuple[str, ...]
    size: int = 0

    def take(self, size: int) -> None:
        self.budget._take(self.owners, size)
        self.size += size

    def release(self) -> None:
        self.budget._give_back(self.owners, self.size)
        self.size = 0


def sweep_stale(staging_dir: Path, now: float | None = None) -> int:
    """Removes files nobody has written to for STALE_AFTER_SECONDS; answers how many."""
    if not staging_dir.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - STALE_AFTER_SECONDS
    removed = 0
    for entry in os.scandir(staging_dir):
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:
            continue  # its request removed it meanwhile
    if removed:
        log.warning("removed stale staging files", count=removed, directory=str(staging_dir))
    return removed


@contextlib.asynccontextmanager
async def sweeping(staging_dir: Path) -> AsyncIterator[None]:
    """For an API process's life: a sweep at start (what a crashed process left), then one every
    SWEEP_EVERY_SECONDS. Sweeps run in a thread; a failed one is logged and tried again later."""

    async def sweep() -> None:
        try:
            await asyncio.to_thread(sweep_stale, staging_dir)
        except OSError:
            log.exception("could not sweep the staging directory")

    async def forever() -> None:
        while True:
            await asyncio.sleep(SWEEP_EVERY_SECONDS)
            await sweep()

    await sweep()
    task = asyncio.create_task(forever())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
