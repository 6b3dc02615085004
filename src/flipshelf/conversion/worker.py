"""The worker process: parses one untrusted file under resource limits and answers the parent.

Started by `pool.WorkerPool` through a "forkserver" context (never plain fork: the parent may hold
threads and locks). Each worker opens the document itself, then serves commands one at a time
until told to stop or until the parent goes away. Commands and answers are JSON (see `pool.py`).
"""

from __future__ import annotations

import json
import resource
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from flipshelf.conversion import errors
from flipshelf.conversion.images import ImageSource, reencode
from flipshelf.conversion.options import ConversionOptions, ResourceLimits
from flipshelf.conversion.pages import Source, convert_page, zoom_page
from flipshelf.conversion.ways import WayChooser

MAX_MESSAGE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class WorkerJob:
    """What a worker works on: a document (`kind` pdf, jpg or png) or, for `image`, nothing yet."""

    path: Path
    kind: str
    out_dir: Path | None = None
    options: ConversionOptions = field(default_factory=ConversionOptions)


def main(conn: Connection, job: WorkerJob) -> None:
    """Entry point of a worker process."""
    apply_limits(job.options.limits)
    handler = _Handler(job)
    try:
        while True:
            try:
                command = json.loads(conn.recv_bytes(MAX_MESSAGE_BYTES))
            except (EOFError, ConnectionError):
                return  # the parent is gone: nobody wants the answer
            if command.get("op") == "stop":
                return
            try:
                conn.send_bytes(json.dumps(handler.answer(command)).encode())
            except ConnectionError:
                return  # the parent died while this page was drawn (a killed worker)
    finally:
        handler.close()
        conn.close()


def apply_limits(limits: ResourceLimits) -> None:
    """Cap this process's address space and CPU time; a worker never writes a core dump."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if limits.memory_bytes is not None:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    if limits.cpu_seconds is not None:
        # At the soft limit the kernel sends SIGXCPU, whose default action ends the process, and
        # the parent reports "CPU time limit exceeded" from the exit signal. The hard limit (a
        # SIGKILL) is one second later: at the same value SIGKILL would win and look like an OOM.
        cpu = limits.cpu_seconds
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


class _Handler:
    def __init__(self, job: WorkerJob) -> None:
        self._job = job
        self._source: Source | None = None
        self._ways = WayChooser()

    def answer(self, command: dict[str, Any]) -> dict[str, Any]:
        return answered(lambda: self._dispatch(command))

    def _dispatch(self, command: dict[str, Any]) -> dict[str, Any]:
        op = command.get("op")
        if op == "reencode":
            return self._reencode(command)
        source = self._opened()
        if op == "count":
            return {"count": source.page_count, "kind": source.kind}
        if op == "info":
            return _info(source)
        out_dir = self._out_dir()
        index = _page_index(command, source)
        if op == "page":
            page = convert_page(source, index, out_dir, self._job.options, self._ways)
            return {"page": page.to_json()}
        if op == "zoom":
            image = zoom_page(source, index, out_dir, self._job.options)
            return {"zoom": {"index": index, "image": image.to_json()}}
        raise ValueError(f"unknown command {op!r}")

    def _opened(self) -> Source:
        if self._source is None:
            self._source = open_source(self._job)
        return self._source

    def _out_dir(self) -> Path:
        if self._job.out_dir is None:
            raise ValueError("this worker has no output directory")
        return self._job.out_dir

    def _reencode(self, command: dict[str, Any]) -> dict[str, Any]:
        result = reencode(
            Path(command["src"]),
            Path(command["dst"]),
            int(command["max_side"]),
            self._job.options.max_image_pixels,
        )
        size = {"width": result.width, "height": result.height}
        return {"reencoded": {"format": result.format, **size}}

    def close(self) -> None:
        if self._source is not None:
            self._source.close()


def answered(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`work()`'s answer, or the answer for what went wrong: errors about the file are answers
    too (the parent turns them back into `errors`, see `pool.reported_error`), never a crash."""
    try:
        return work()
    except errors.UnsupportedDocument as error:
        return {"error": "unsupported", "reason": error.reason}
    except errors.ConversionError as error:
        return {"error": "failed", "reason": error.reason}
    except MemoryError:
        return {"error": "limit", "reason": errors.OUT_OF_MEMORY}
    except Exception:
        traceback.print_exc(file=sys.stderr)  # the worker's stderr is the server's log
        return {"error": "failed", "reason": errors.RENDERER_CRASHED}


def open_source(job: WorkerJob) -> Source:
    """Open the job's document with the parser its sniffed kind calls for."""
    if job.kind == "pdf":
        # Imported here: PDFium is loaded only in processes that parse PDFs.
        from flipshelf.conversion.pdfium import PdfSource

        return PdfSource(job.path)
    if job.kind == "jpg":
        return ImageSource(job.path, "jpg", job.options.max_image_pixels)
    if job.kind == "png":
        return ImageSource(job.path, "png", job.options.max_image_pixels)
    raise errors.UnsupportedDocument(errors.NOT_A_DOCUMENT)


def _info(source: Source) -> dict[str, Any]:
    sizes = [source.page_size(index) for index in range(source.page_count)]
    return {
        "info": {
            "kind": source.kind,
            "sizes": [[width, height] for width, height in sizes],
            "outline": [entry.to_json() for entry in source.outline()],
        }
    }


def _page_index(command: dict[str, Any], source: Source) -> int:
    index = int(command["index"])
    if not 0 <= index < source.page_count:
        raise ValueError(f"page index {index} out of range")
    return index
