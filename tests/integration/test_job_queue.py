"""Job delivery through Huey's real SQLite store: what the API process sends, a worker process (its
own Huey, its own handlers, as in `flipshelf worker`) runs. Huey names a task after the module of
the function it wraps; the API's and the workers' handlers live in different modules, which once
made every job unknown to the workers."""

from __future__ import annotations

from pathlib import Path

import pytest
from huey import SqliteHuey

from flipshelf.jobs.queue import ANNOUNCED, HueyQueue, UnknownTask, only_in_workers
from flipshelf.jobs.worker import JobHandlers


def _huey(path: Path) -> SqliteHuey:
    return SqliteHuey("flipshelf", filename=str(path), results=False)


class Ran:
    def __init__(self) -> None:
        self.jobs: list[tuple[str, object]] = []

    def convert(self, job: str) -> None:
        self.jobs.append(("convert", job))

    def zoom(self, job: str) -> None:
        self.jobs.append(("zoom", job))

    def package(self, job: int) -> None:
        self.jobs.append(("package", job))


def _run_all(huey: SqliteHuey) -> None:
    """What a consumer does with each message: find its task, run it."""
    while (task := huey.dequeue()) is not None:
        huey.execute(task)


def test_every_job_the_api_sends_runs_in_a_worker(tmp_path: Path) -> None:
    api = HueyQueue(_huey(tmp_path / "jobs.db"), only_in_workers, only_in_workers)
    ran = Ran()
    worker = HueyQueue(_huey(tmp_path / "jobs.db"), ran.convert, ran.zoom, ran.package)
    # The handlers a real worker registers, bound methods of another module: the case that broke.
    handlers = JobHandlers()
    real = HueyQueue(_huey(tmp_path / "other.db"), handlers.convert, handlers.zoom)
    assert real.registered() == api.registered() == worker.registered()

    api.convert("book1")
    api.zoom("book2")
    api.package(7)
    _run_all(worker.huey)
    assert ran.jobs == [("convert", "book1"), ("zoom", "book2"), ("package", 7)]

    api.convert_later("book3", 0)  # retries: sent with a time to run at, run once due
    api.package_later(8, 0)
    _run_all(worker.huey)
    assert ran.jobs[3:] == [("convert", "book3"), ("package", 8)]


def test_a_worker_refuses_to_start_when_the_api_sends_tasks_it_does_not_know(
    tmp_path: Path,
) -> None:
    api = HueyQueue(_huey(tmp_path / "jobs.db"), only_in_workers, only_in_workers)
    api.announce()
    ran = Ran()
    worker = HueyQueue(_huey(tmp_path / "jobs.db"), ran.convert, ran.zoom, ran.package)
    worker.check_task_names()  # the same version on both sides: fine

    # An API of another version announces a task name this worker never registered.
    worker.huey.storage.put_data(ANNOUNCED, b'["flipshelf.jobs.tasks.flipshelf.convert"]')
    with pytest.raises(UnknownTask, match=r"tasks\.flipshelf\.convert"):
        worker.check_task_names()
