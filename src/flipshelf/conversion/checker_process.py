"""The checker process: opens one upload after another, under resource limits, for the API.

Unlike a conversion worker (one document, then gone), a checker lives for many uploads, so an
upload does not pay for a new process. Its address space is capped once; its CPU time is capped
per upload by moving the soft RLIMIT_CPU to what it has used so far plus the allowance, so a
hostile file still ends in SIGXCPU. It leaves by itself once idle for `idle_seconds`, so an idle
server holds no parser process. Commands and answers are JSON, as for conversion workers.
"""

from __future__ import annotations

import json
import resource
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from flipshelf.conversion.images import reencode
from flipshelf.conversion.options import ConversionOptions
from flipshelf.conversion.worker import MAX_MESSAGE_BYTES, WorkerJob, answered, open_source


def main(conn: Connection, options: ConversionOptions, idle_seconds: float) -> None:
    """Entry point of a checker process."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    memory = options.limits.memory_bytes
    if memory is not None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        while conn.poll(idle_seconds):
            try:
                command = json.loads(conn.recv_bytes(MAX_MESSAGE_BYTES))
            except (EOFError, ConnectionError):
                return  # the API process is gone
            if command.get("op") == "stop":
                return
            _allow_cpu(options.limits.cpu_seconds)
            try:
                conn.send_bytes(json.dumps(answer(command, options)).encode())
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


def answer(command: dict[str, Any], options: ConversionOptions) -> dict[str, Any]:
    """One command's answer; errors about the file are answers too, never a crash."""
    return answered(lambda: _dispatch(command, options))


def _dispatch(command: dict[str, Any], options: ConversionOptions) -> dict[str, Any]:
    if command["op"] == "count":
        source = open_source(WorkerJob(Path(command["path"]), str(command["kind"]), None, options))
        try:
            return {"count": source.page_count, "kind": source.kind}
        finally:
            source.close()
    if command["op"] == "reencode":
        src, dst = Path(command["src"]), Path(command["dst"])
        image = reencode(src, dst, int(command["max_side"]), options.max_image_pixels)
        return {"reencoded": {"format": image.format, "width": image.width, "height": image.height}}
    raise ValueError(f"unknown command {command['op']!r}")
