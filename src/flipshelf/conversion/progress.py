"""Which pages are ready, and when to tell: pure bookkeeping, unit-tested without processes.

Workers finish pages slightly out of order; the player needs a prefix (pages 1..N all there), so
`ready` counts the longest prefix of finished pages. Rewriting the manifest for every page of a
1,000-page document would be wasteful, so `due` asks for a write on the first page, on the last,
and otherwise at most once per interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ReadyPrefix:
    """The longest run of finished pages from page 1 (pages are 1-based)."""

    page_count: int
    ready: int = 0
    _finished: set[int] = field(default_factory=set)

    def finish(self, number: int) -> int:
        """Record a finished page; return the new prefix length."""
        if not 1 <= number <= self.page_count:
            raise ValueError(f"page {number} is not in 1..{self.page_count}")
        self._finished.add(number)
        while self.ready + 1 in self._finished:
            self._finished.discard(self.ready + 1)
            self.ready += 1
        return self.ready

    @property
    def complete(self) -> bool:
        return self.ready == self.page_count


@dataclass
class WritePolicy:
    """When the manifest is worth rewriting: first page, last page, else every `interval` s."""

    interval: float
    _written_ready: int = 0
    _written_at: float | None = None

    def due(self, ready: int, page_count: int, now: float) -> bool:
        if ready == self._written_ready:
            return False
        if self._written_at is None or ready == page_count:
            return True
        return now - self._written_at >= self.interval

    def written(self, ready: int, now: float) -> None:
        self._written_ready = ready
        self._written_at = now
