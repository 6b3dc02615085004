"""The plans that take more than one call: a call retried after a rate limit, waiting for a
conversion, and fetching a collection's offline package.

Polling keeps within the reference's default rate limits (5 calls a second, 60 a minute, per
key): the second poll comes one second after the first, and the pause grows by half each time up
to eight seconds, so a wait makes at most 11 calls in its first minute and 8 a minute after that,
leaving the rest of the key's budget to the caller's other work. A rate-limit refusal (31, 32)
makes the next pause at least as long as the server asks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flipshelf_client import actions
from flipshelf_client.errors import (
    CollectionProcessing,
    ConversionFailed,
    DownloadFailed,
    GatewayUnavailable,
    InternalError,
    Maintenance,
    PackageFailed,
    RateLimited,
    TransportError,
    WaitTimeout,
)
from flipshelf_client.models import Collection, PackageStatus
from flipshelf_client.steps import Call, Plan, T, download, now, perform, sleep
from flipshelf_client.uploads import Progress

# Worth another try once the pause is over: the server was briefly away or busy.
TRANSIENT = (TransportError, GatewayUnavailable, Maintenance, InternalError)
# A download link lives a minute by default; one that expired before we began is asked anew.
EXPIRED_LINK_RETRIES = 3


@dataclass(frozen=True)
class Backoff:
    first: float = 1.0
    factor: float = 1.5
    longest: float = 8.0

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * self.factor, self.longest)


DEFAULT_BACKOFF = Backoff()


def retrying(call: Call[T], retries: int) -> Plan[T]:
    """The call; after a rate-limit refusal it waits as the server asks (doubling each time)
    and sends it again, up to `retries` times. A refused call did nothing, so a retry is safe;
    an upload from a stream that cannot rewind is not retried."""
    attempt = 0
    while True:
        try:
            return (yield from perform(call))
        except RateLimited as limited:
            if attempt >= retries or (call.upload is not None and not call.upload.rewindable):
                raise
            yield from sleep(limited.retry_after * 2**attempt)
            attempt += 1


class _Poll:
    """The clock and pauses of one wait: a deadline and the backoff's delays."""

    def __init__(self, what: str, timeout: float, backoff: Backoff) -> None:
        self.what, self.timeout, self.delays = what, timeout, backoff.delays()
        self.deadline = 0.0
        self.last_error: Exception | None = None

    def start(self) -> Plan[None]:
        self.deadline = (yield from now()) + self.timeout

    def pause(self, at_least: float = 0.0) -> Plan[None]:
        delay = max(next(self.delays), at_least)
        if (yield from now()) + delay > self.deadline:
            message = f"{self.what} did not finish within {self.timeout:g} s"
            raise WaitTimeout(message) from self.last_error
        yield from sleep(delay)


def wait_until_complete(
    collection_hash: str,
    *,
    timeout: float = 600.0,
    on_progress: Callable[[Collection], None] | None = None,
    raise_on_failure: bool = True,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> Plan[Collection]:
    """Polls collection.getCollection until no item is PROCESSING and answers the collection.

    `on_progress` gets every answer (each item's `pages_ready` of `page_count`). An item that
    ended FAILED raises `ConversionFailed` unless `raise_on_failure=False`. Raises `WaitTimeout`
    after `timeout` seconds; network faults, a gateway's 502/503/504 and 22/50 answers are
    retried until then."""
    poll = _Poll(f"the conversion of {collection_hash}", timeout, backoff)
    yield from poll.start()
    while True:
        at_least = 0.0
        try:
            collection = yield from perform(actions.get_collection(collection_hash))
        except RateLimited as limited:
            at_least = limited.retry_after
        except TRANSIENT as fault:
            poll.last_error = fault
        else:
            if on_progress:
                on_progress(collection)
            if not collection.processing:
                return _finished(collection, raise_on_failure)
        yield from poll.pause(at_least)


def _finished(collection: Collection, raise_on_failure: bool) -> Collection:
    failed = collection.failed_items
    if failed and raise_on_failure:
        reasons = "; ".join(f"{i.title or i.flipbook_hash}: {i.convert_error}" for i in failed)
        raise ConversionFailed(f"{len(failed)} item(s) failed to convert: {reasons}", collection)
    return collection


def download_package(
    collection_hash: str,
    target: str | Path,
    *,
    timeout: float = 600.0,
    on_progress: Progress | None = None,
    on_status: Callable[[PackageStatus], None] | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> Plan[Path]:
    """Asks collection.downloadHTML until the package is built (waiting, too, while an item
    still converts), then streams the zip to `target` (replaced only once whole) and answers
    its path. `on_progress` gets (bytes received, total or None); `on_status` each status seen.
    Raises `PackageFailed` when the server gave up building it, `WaitTimeout` after `timeout`."""
    path = Path(target)
    poll = _Poll(f"the package of {collection_hash}", timeout, backoff)
    yield from poll.start()
    expired = 0
    while True:
        at_least = 0.0
        try:
            package = yield from perform(actions.download_html(collection_hash))
        except CollectionProcessing as converting:
            poll.last_error = converting
            package = None
        except RateLimited as limited:
            at_least, package = limited.retry_after, None
        except TRANSIENT as fault:
            poll.last_error, package = fault, None
        if package is not None:
            if on_status:
                on_status(package.status)
            if package.status is PackageStatus.FAILED:
                raise PackageFailed(f"the server could not build the package of {collection_hash}")
            if package.status is PackageStatus.COMPLETE and package.resource_url:
                try:
                    yield from download(package.resource_url, path, on_progress)
                    return path
                except DownloadFailed as failed:
                    expired += 1
                    if failed.http_status != 410 or expired > EXPIRED_LINK_RETRIES:
                        raise
                    continue  # the link expired before the download began: ask for another
        yield from poll.pause(at_least)
