"""Receiving a package download: into a temporary file beside the target, renamed over it only
once whole, so an interrupted download never leaves a truncated zip under the asked name."""

from __future__ import annotations

import os
import secrets
from types import TracebackType
from typing import BinaryIO, Self

import httpx

from flipshelf_client.errors import DownloadFailed, TransportError
from flipshelf_client.steps import Download


def expect_ok(response: httpx.Response) -> None:
    if response.status_code != 200:
        raise DownloadFailed(
            f"the package download answered HTTP {response.status_code}", response.status_code
        )


class Receiving:
    def __init__(self, step: Download, response: httpx.Response) -> None:
        self.step = step
        length = response.headers.get("content-length")
        self.total = int(length) if length and length.isdigit() else None
        self.part = step.target.with_name(f".{step.target.name}.{secrets.token_hex(4)}.part")
        self.written = 0
        self._out: BinaryIO

    def __enter__(self) -> Self:
        self.step.target.parent.mkdir(parents=True, exist_ok=True)
        self._out = self.part.open("xb")
        self._report(0)
        return self

    def write(self, chunk: bytes) -> None:
        self._out.write(chunk)
        self.written += len(chunk)
        self._report(self.written)

    def _report(self, received: int) -> None:
        if self.step.on_progress:
            self.step.on_progress(received, self.total)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if error is None:
                self._finish()
        finally:
            self._out.close()
            self.part.unlink(missing_ok=True)

    def _finish(self) -> None:
        if self.total is not None and self.written < self.total:
            raise TransportError(f"the package download stopped at {self.written} of {self.total}")
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        os.replace(self.part, self.step.target)
