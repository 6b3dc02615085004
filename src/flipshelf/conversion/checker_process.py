"""The checker process: opens one upload after another, under resource limits, for the API (and
draws on-demand zoom images, the same way: see `checker.UploadChecker.draw_zoom`).

Unlike a conversion worker (one document, then gone), a checker lives for many uploads, so an
upload does not pay for a new process. Its address space is capped once; its CPU time is capped
per upload by moving the soft RLIMIT_CPU to what it has used so far plus the allowance, so a
hostile file still ends in SIGXCPU. It leaves by itself once idle for `idle_seconds`, so an idle
server holds no parser process. Commands and answers are JSON, as for conversion workers.
"""

from __future__ import annotations

import resource
from multiprocessing.connection import Connection
from pathlib import Path

from flipshelf.conversion.messages import (
    Answer,
    Command,
    Count,
    Counted,
    DrawZoomAt,
    Reencode,
    Stop,
    ZoomDrawn,
    decode_command,
    encode_answer,
)
from flipshelf.conversion.options import ConversionOptions
from flipshelf.conversion.pages import draw_zoom_at
from flipshelf.conversion.worker import (
    MAX_MESSAGE_BYTES,
    WorkerJob,
    answered,
    open_source,
    reencoded,
)


def main(conn: Connection, options: ConversionOptions, idle_seconds: float) -> None:
    """Entry point of a checker process."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    memory = options.limits.memory_bytes
    if memory is not None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        while conn.poll(idle_seconds):
            try:
                command = decode_command(conn.recv_bytes(MAX_MESSAGE_BYTES))
            except (EOFError, ConnectionError):
                return  # the API process is gone
            if isinstance(command, Stop):
                return
            _allow_cpu(options.limits.cpu_seconds)
            try:
                conn.send_bytes(encode_answer(answer(command, options)))
            except ConnectionError:
                return  # the API process is gone, or gave up waiting and closed our pipe
    finally:
        conn.close()


def _allow_cpu(seconds: int | None) -> None:
    if seconds is None:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (used + seconds, resource.RLIM_INFINITY))


def answer(command: Command, options: ConversionOptions) -> Answer:
    """One command's answer; errors about the file are answers too, never a crash."""
    return answered(lambda: _dispatch(command, options))


def _dispatch(command: Command, options: ConversionOptions) -> Answer:
    if isinstance(command, Count) and command.path is not None and command.kind is not None:
        source = open_source(WorkerJob(Path(command.path), command.kind, None, options))
        try:
            return Counted(source.page_count, source.kind)
        finally:
            source.close()
    if isinstance(command, Reencode):
        return reencoded(command, options.max_image_pixels)
    if isinstance(command, DrawZoomAt):
        source = open_source(WorkerJob(Path(command.path), command.kind, None, options))
        try:
            if not 0 <= command.index < source.page_count:
                raise ValueError(f"page index {command.index} out of range")
            image = draw_zoom_at(source, command.index, command.width, Path(command.dst), options)
            return ZoomDrawn(command.index, image)
        finally:
            source.close()
    raise ValueError(f"unexpected command {command!r}")
