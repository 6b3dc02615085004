"""The worker process: parses one untrusted file under resource limits and answers the parent.

Started by `pool.WorkerPool` through a "forkserver" context (never plain fork: the parent may hold
threads and locks). Each worker opens the document itself, then serves commands one at a time
until told to stop or until the parent goes away. Commands and answers are JSON (see `pool.py`).
"""

from __future__ import annotations

import resource
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from flipshelf.conversion import errors
from flipshelf.conversion.images import ImageSource, reencode
from flipshelf.conversion.messages import (
    Answer,
    Command,
    Count,
    Counted,
    Describe,
    Described,
    DrawPage,
    DrawZoom,
    PageDrawn,
    ReadText,
    Reencode,
    Reencoded,
    Refused,
    Stop,
    ZoomDrawn,
    decode_command,
    encode_answer,
)
from flipshelf.conversion.options import ConversionOptions, ResourceLimits
from flipshelf.conversion.pages import Source, convert_page, read_page_text, zoom_page
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
                command = decode_command(conn.recv_bytes(MAX_MESSAGE_BYTES))
            except (EOFError, ConnectionError):
                return  # the parent is gone: nobody wants the answer
            if isinstance(command, Stop):
                return
            try:
                conn.send_bytes(encode_answer(handler.answer(command)))
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

    def answer(self, command: Command) -> Answer:
        return answered(lambda: self._dispatch(command))

    def _dispatch(self, command: Command) -> Answer:
        options = self._job.options
        if isinstance(command, Reencode):
            return reencoded(command, options.max_image_pixels)
        source = self._opened()
        if isinstance(command, Count):
            return Counted(source.page_count, source.kind)
        if isinstance(command, Describe):
            return _described(source)
        if isinstance(command, DrawPage):
            index = _page_index(command.index, source)
            return PageDrawn(convert_page(source, index, self._out_dir(), options, self._ways))
        if isinstance(command, ReadText):
            index = _page_index(command.index, source)
            return PageDrawn(read_page_text(source, index, self._out_dir(), options))
        if isinstance(command, DrawZoom):
            index = _page_index(command.index, source)
            return ZoomDrawn(index, zoom_page(source, index, self._out_dir(), options))
        raise ValueError(f"unexpected command {command!r}")

    def _opened(self) -> Source:
        if self._source is None:
            self._source = open_source(self._job)
        return self._source

    def _out_dir(self) -> Path:
        if self._job.out_dir is None:
            raise ValueError("this worker has no output directory")
        return self._job.out_dir

    def close(self) -> None:
        if self._source is not None:
            self._source.close()


def answered(work: Callable[[], Answer]) -> Answer:
    """`work()`'s answer, or the answer for what went wrong: errors about the file are answers
    too (the parent turns them back into `errors`, see `messages.Refused`), never a crash."""
    try:
        return work()
    except errors.ConversionError as error:
        return Refused.of(error)
    except MemoryError:
        return Refused("limit", errors.OUT_OF_MEMORY)
    except Exception:
        traceback.print_exc(file=sys.stderr)  # the worker's stderr is the server's log
        return Refused("failed", errors.RENDERER_CRASHED)


def reencoded(command: Reencode, max_pixels: int) -> Reencoded:
    """A logo or background re-encoded as `command` asks."""
    image = reencode(Path(command.src), Path(command.dst), command.max_side, max_pixels)
    return Reencoded(image)


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


# The size given to an unreadable page when no page near it can be read either (A4).
FALLBACK_PAGE_SIZE = (595.276, 841.89)


def _described(source: Source) -> Described:
    """Every page's size. An unreadable page does not stop the book: it takes the size of the
    readable page before it (or after it), and fails on its own when it is drawn."""
    found: list[tuple[float, float] | None] = []
    for index in range(source.page_count):
        try:
            found.append(source.page_size(index))
        except errors.UnsupportedDocument:
            found.append(None)
    first = next((size for size in found if size is not None), FALLBACK_PAGE_SIZE)
    sizes: list[tuple[float, float]] = []
    for size in found:
        sizes.append(size if size is not None else (sizes[-1] if sizes else first))
    return Described(tuple(sizes), tuple(source.outline()))


def _page_index(index: int, source: Source) -> int:
    if not 0 <= index < source.page_count:
        raise ValueError(f"page index {index} out of range")
    return index
