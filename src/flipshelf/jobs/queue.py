"""Job delivery through Huey: SQLite next to the data for one machine, Redis for many.

Messages carry only ids. The database row is the truth, so a lost message costs a delay (the
sweep sends it again), never a conversion.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey

from flipshelf.settings import Settings

CONVERT = "flipshelf.convert"
ZOOM = "flipshelf.zoom"
PACKAGE = "flipshelf.package"

Handler = Callable[[str], None]
PackageHandler = Callable[[int], None]


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


class HueyQueue:
    """The JobQueue port. The same task names are registered in the API (to send) and in
    workers (to run), with the handlers each side has."""

    def __init__(
        self, huey: Huey, convert: Handler, zoom: Handler, package: PackageHandler | None = None
    ) -> None:
        self.huey = huey
        self._convert: Any = huey.task(name=CONVERT)(convert)
        self._zoom: Any = huey.task(name=ZOOM)(zoom)
        self._package: Any = huey.task(name=PACKAGE)(package or only_in_workers)

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


def only_in_workers(job: object) -> None:
    """The handler the API process registers: it sends jobs, it never runs them."""
    raise RuntimeError(f"job for {job} delivered to a process that is not a worker")
