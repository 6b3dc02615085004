"""The steps a client performs, as data.

Everything a client method does (one call, a call retried after a rate limit, a wait that polls
with backoff, a package download) is written once as a *plan*: a generator that yields steps and
gets their outcomes back. `Client` and `AsyncClient` each have one small driver that performs
steps with blocking or async I/O, so the sync and async surfaces cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from flipshelf_client.uploads import Progress, Upload

T = TypeVar("T")


@dataclass(frozen=True)
class Call(Generic[T]):
    """One v1 action. `post` is for upload actions, which are POSTed as multipart even when they
    carry a `fileUrl` instead of a file."""

    action: str
    params: Mapping[str, str]
    parse: Callable[[object], T]
    upload: Upload | None = None
    post: bool = False


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Now:
    """Asks the driver's monotonic clock (seconds)."""


@dataclass(frozen=True)
class Download:
    """GET `url` (following redirects: an S3 store answers with one) into `target`, written
    to a temporary file beside it and renamed when whole. Answers the bytes written."""

    url: str
    target: Path
    on_progress: Progress | None = field(default=None, compare=False)


Step = Call[Any] | Sleep | Now | Download
Plan = Generator[Step, Any, T]


def perform(call: Call[T]) -> Plan[T]:
    """`result = yield from perform(call)`: one call, typed."""
    result = yield call
    return cast(T, result)


def now() -> Plan[float]:
    moment = yield Now()
    return cast(float, moment)


def sleep(seconds: float) -> Plan[None]:
    yield Sleep(seconds)


def download(url: str, target: Path, on_progress: Progress | None) -> Plan[int]:
    written = yield Download(url, target, on_progress)
    return cast(int, written)


class Stepper(Generic[T]):
    """Walks a plan for a driver: `step()` answers the next step (None once the plan is done,
    its value then in `result`); the driver sets `outcome` or `error` after performing it."""

    def __init__(self, plan: Plan[T]) -> None:
        self.plan = plan
        self.outcome: Any = None
        self.error: Exception | None = None
        self.result: T

    def step(self) -> Step | None:
        error, self.error = self.error, None
        try:
            step = self.plan.throw(error) if error is not None else self.plan.send(self.outcome)
        except StopIteration as done:
            self.result = cast(T, done.value)
            return None
        self.outcome = None
        return step
