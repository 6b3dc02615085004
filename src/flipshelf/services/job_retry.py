"""Re-running FAILED jobs on an operator's word (`flipshelf jobs retry`): the rows turn back to
PROCESSING first, then each is queued, so a lost message costs only a delay (the sweep sends it
again), never the retry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flipshelf.services.ports import Clock, JobQueue, Retries


@dataclass(frozen=True)
class Retried:
    conversions: list[str]  # flipbook hashes
    packages: list[int]  # package ids


def retry_failed(
    retries: Retries,
    queue: JobQueue,
    clock: Clock,
    *,
    conversions: Sequence[str] | None,
    packages: Sequence[int] | None,
) -> Retried:
    """The FAILED conversions and package builds named (None: every one; empty: none) made to
    run again. What is not FAILED, or no longer wanted (a deleted collection, a package of an
    older version), is left alone and absent from the answer."""
    now = clock.now()
    hashes = retries.conversions(now, conversions) if conversions is None or conversions else []
    ids = retries.packages(now, packages) if packages is None or packages else []
    for flipbook_hash in hashes:
        queue.convert(flipbook_hash)
    for package_id in ids:
        queue.package(package_id)
    return Retried(hashes, ids)
