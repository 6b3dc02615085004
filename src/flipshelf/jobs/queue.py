"""Job delivery through Huey: SQLite next to the data for one machine, Redis for many.

Messages carry only ids. The database row is the truth, so a lost message costs a delay (the
sweep sends it again), never a conversion.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.constants import EmptyData

from flipshelf.settings import Settings

CONVERT = "flipshelf.convert"
ZOOM = "flipshelf.zoom"
PACKAGE = "flipshelf.package"
DELIVER = "flipshelf.webhook"
# Key, in the queue's own store, of the task identifiers the API processes send.
ANNOUNCED = "flipshelf.tasks-sent"

Handler = Callable[[str], None]
PackageHandler = Callable[[int], None]
DeliveryHandler = Callable[[int], None]


def make_huey(settings: Settings) -> Huey:
    if settings.jobs_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("flipshelf", url=settings.jobs_url, results=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # fsync=True: a queued job survives a power cut as the upload that queued it does.
    return SqliteHuey(
        "flipshelf",
        filename=str(settings.data_dir / "jobs.db"),
        results=False,
        fsync=True,
    )


class UnknownTask(RuntimeError):
    """A task the API sends is not one a worker would find: every job would be dropped."""


def _task(huey: Huey, name: str, handler: Callable[[Any], None]) -> Any:
    """Registers `handler` under `name`. Huey identifies a task by the module of the function it
    wraps plus its name (huey 3: `flipshelf.jobs.queue.flipshelf.convert`), so the API (whose
    handler is `only_in_workers`) and a worker (whose handler lives in `jobs.worker`) must wrap
    the same function, defined here, or the worker cannot find what the API sent."""

    def run(job: Any) -> None:
        handler(job)

    return huey.task(name=name)(run)


class HueyQueue:
    """The JobQueue port. The same task names are registered in the API (to send) and in
    workers (to run), with the handlers each side has."""

    def __init__(
        self,
        huey: Huey,
        convert: Handler,
        zoom: Handler,
        package: PackageHandler | None = None,
        deliver: DeliveryHandler | None = None,
    ) -> None:
        self.huey = huey
        self._convert: Any = _task(huey, CONVERT, convert)
        self._zoom: Any = _task(huey, ZOOM, zoom)
        self._package: Any = _task(huey, PACKAGE, package or only_in_workers)
        self._deliver: Any = _task(huey, DELIVER, deliver or only_in_workers)

    def registered(self) -> frozenset[str]:
        """The identifiers Huey puts in this queue's messages and looks up when it runs one."""
        registry = self.huey._registry
        tasks = (self._convert, self._zoom, self._package, self._deliver)
        return frozenset(registry.task_to_string(task.task_class) for task in tasks)

    def announce(self) -> None:
        """Records, in the queue's store, the task identifiers this (API) process sends, so a
        worker of another version can tell at start-up that it would drop them."""
        self.huey.storage.put_data(ANNOUNCED, json.dumps(sorted(self.registered())).encode())

    def check_task_names(self) -> None:
        """Fails at start-up, with both lists, unless this worker runs every task an API process
        sends: one built here from the API's own handlers, and the last one that announced."""
        own = self.registered()
        expected = HueyQueue(MemoryHuey("flipshelf-check"), only_in_workers, only_in_workers)
        sent = set(expected.registered())
        announced = self.huey.storage.peek_data(ANNOUNCED)
        if announced is not EmptyData and announced is not None:
            sent |= set(json.loads(announced))
        unknown = sorted(sent - own)
        if unknown:
            raise UnknownTask(
                f"this worker would drop jobs: the API sends {unknown}, this worker knows "
                f"{sorted(own)} (mixed flipshelf versions, or a changed task name?)"
            )

    def pending(self) -> int:
        """Messages waiting in the queue store (one round trip; raises when it is down)."""
        return int(self.huey.pending_count())

    def convert(self, flipbook_hash: str) -> None:
        self._convert(flipbook_hash)

    def zoom(self, flipbook_hash: str) -> None:
        self._zoom(flipbook_hash)

    def convert_later(self, flipbook_hash: str, delay_seconds: float) -> None:
        self._convert.schedule(args=(flipbook_hash,), delay=delay_seconds)

    def package(self, package_id: int) -> None:
        self._package(package_id)

    def package_later(self, package_id: int, delay_seconds: float) -> None:
        self._package.schedule(args=(package_id,), delay=delay_seconds)

    def deliver(self, delivery_id: int) -> None:
        self._deliver(delivery_id)

    def deliver_later(self, delivery_id: int, delay_seconds: float) -> None:
        self._deliver.schedule(args=(delivery_id,), delay=delay_seconds)


def only_in_workers(job: object) -> None:
    """The handler the API process registers: it sends jobs, it never runs them."""
    raise RuntimeError(f"job for {job} delivered to a process that is not a worker")
