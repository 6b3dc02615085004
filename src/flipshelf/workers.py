"""Running a worker process (the composition root of `flipshelf worker`): the Huey consumer plus
the sweep, until told to stop."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

import structlog
from huey import Huey

from flipshelf.conversion.checker import (
    CheckerProcess,
    StartChecker,
    checker_request,
    forkserver_checker,
    run_forked_checker,
)
from flipshelf.conversion.options import ConversionOptions
from flipshelf.health import outage_of
from flipshelf.jobs.queue import HueyQueue, make_huey
from flipshelf.jobs.supervisor import lease_owner
from flipshelf.jobs.worker import JobHandlers, Sweeper
from flipshelf.jobs.zygote import Zygote, ZygoteGone
from flipshelf.runtime import (
    build_runtime,
    conversion_context,
    delivery_context,
    package_context,
)
from flipshelf.settings import Settings

log = structlog.get_logger("flipshelf.worker")

PR_SET_PDEATHSIG = 1
# The longest a queued job waits for an idle worker to look (see `run_worker`).
POLL_SECONDS = 0.25


def exit_with_parent(sig: int = signal.SIGTERM) -> None:
    """Asks Linux to send this process `sig` when its parent dies (a `serve` killed with -9
    must not leave orphan workers). Elsewhere it does nothing."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, sig)
    except (OSError, AttributeError):
        log.warning("cannot tie the worker's life to its parent on this system")


def quiet_while_unreachable(huey: Huey) -> None:
    """Huey logs a traceback at every poll of its consumer and scheduler while its queue store
    is down. Instead: one warning when it stops answering, one line when it answers again; a
    poll that finds it down counts as finding nothing, so Huey keeps polling quietly. Jobs
    queued meanwhile are in the database: the sweep sends them again (docs/health.md)."""
    state = {"down": False}

    def guard(read: Callable[..., Any], nothing: Callable[[], Any]) -> Callable[..., Any]:
        def guarded(*args: Any) -> Any:
            try:
                found = read(*args)
            except Exception as error:
                dependency = outage_of(error)
                if dependency is None:
                    raise
                if not state["down"]:
                    log.warning("job queue unreachable; polling quietly", dependency=dependency)
                state["down"] = True
                return nothing()
            if state["down"]:
                log.warning("job queue answers again")
                state["down"] = False
            return found

        return guarded

    huey.dequeue = guard(huey.dequeue, lambda: None)
    huey.read_schedule = guard(huey.read_schedule, list)
    # Around each job Huey reads whether it was revoked (flipshelf never revokes) and deletes
    # the revocation key afterwards: with the store down, run the job and skip the clean-up.
    huey.is_revoked = guard(huey.is_revoked, lambda: False)
    huey.delete = guard(huey.delete, lambda: False)


def worker_zygote(settings: Settings) -> Zygote:
    """`serve`'s zygote (jobs/zygote.py), forked once what a worker runs is imported (this
    module's imports): call it before any thread starts or any database connection opens."""
    return Zygote.fork(
        lambda number: forked_worker(settings, number),
        exit_with_parent,
        connected=run_forked_checker,
    )


def zygote_checkers(zygote: Zygote) -> StartChecker:
    """The API's upload checkers forked by `serve`'s zygote, so they share its pages and need no
    fork server; by the fork server once the zygote is gone (`serve` keeps checking uploads)."""

    def start(options: ConversionOptions, idle_seconds: float) -> tuple[CheckerProcess, Connection]:
        if zygote.alive:
            with contextlib.suppress(ZygoteGone):
                child, ours = zygote.connect(checker_request(options, idle_seconds))
                return child, Connection(ours.detach())
        return forkserver_checker(options, idle_seconds)

    return start


def forked_worker(settings: Settings, number: int) -> None:
    """What a worker forked by the zygote runs, like `flipshelf worker` started by serve: no
    migrations (serve ran them), serve's settings, logging configured afresh."""
    from setproctitle import setproctitle

    from flipshelf.logging import configure

    setproctitle(f"flipshelf worker {number + 1} (forked by serve)")
    configure(settings.log_format, settings.log_level)
    run_worker(settings)


def run_worker(settings: Settings, threads: int = 1) -> None:
    """Blocks, running jobs. Each thread converts one document at a time; a conversion itself
    renders in its own processes, so one thread already keeps the cores busy."""
    handlers = JobHandlers()
    queue = HueyQueue(
        make_huey(settings), handlers.convert, handlers.zoom, handlers.package, handlers.deliver
    )
    quiet_while_unreachable(queue.huey)
    queue.check_task_names()  # before taking any job: a mismatch would drop every one
    runtime = build_runtime(settings, queue=queue)
    owner = lease_owner(os.getpid())
    context = replace(conversion_context(runtime), owner=owner)
    packages = replace(package_context(runtime), owner=owner)
    webhooks = replace(delivery_context(runtime), owner=owner)
    handlers.bind(context, queue, packages, webhooks)
    sweeper = Sweeper(
        context, queue, settings.sweep_interval_seconds, packages, webhooks, outage=outage_of
    )
    sweeper.sweep_once()  # work left by a worker that died while nobody was running
    sweeper.start()
    log.info("worker started", threads=threads)
    consumer = queue.huey.create_consumer(
        workers=threads,
        worker_type="thread",
        periodic=False,
        # Huey's idle polling backs off to 10 s by default: the first upload after a quiet spell
        # would wait that long before its conversion starts. A poll of the SQLite queue costs
        # well under a millisecond; Redis blocks on its list and wakes at once anyway.
        max_delay=POLL_SECONDS,
    )
    try:
        consumer.run()
    finally:
        sweeper.stop()
        runtime.db.dispose()
