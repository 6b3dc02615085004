"""Writing a response body to the destination file under the byte cap."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import BinaryIO

from flipshelf.fetch.errors import FetchTooLarge

# Disk writes go to a thread so a slow disk never stalls the event loop; batching keeps the number
# of thread hops low (a 500 MB body is ~500 hops, not ~8000).
FLUSH_SIZE = 1024 * 1024


class BodyFile:
    """Counts every byte against `max_bytes` before it is written; the cap holds whatever the
    server declared, because it is applied to what actually arrives."""

    def __init__(self, file: BinaryIO, max_bytes: int) -> None:
        self._file = file
        self._max_bytes = max_bytes
        self._pending = bytearray()
        self.byte_count = 0

    @classmethod
    async def create(cls, dest: Path, max_bytes: int) -> BodyFile:
        file = await asyncio.to_thread(dest.open, "wb")
        return cls(file, max_bytes)

    async def write(self, data: bytes) -> None:
        self.byte_count += len(data)
        if self.byte_count > self._max_bytes:
            raise FetchTooLarge(self._max_bytes)
        self._pending += data
        if len(self._pending) >= FLUSH_SIZE:
            await self._flush()

    async def finish(self) -> None:
        """Write what is pending, fsync and close: the caller may rename the file right after."""
        await self._flush()
        await asyncio.to_thread(self._sync_and_close)

    def discard(self) -> None:
        """Close without syncing; the caller deletes the file."""
        self._file.close()

    async def _flush(self) -> None:
        if self._pending:
            data, self._pending = bytes(self._pending), bytearray()
            await asyncio.to_thread(self._file.write, data)

    def _sync_and_close(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
