from __future__ import annotations

import pytest

from flipshelf.conversion.progress import ReadyPrefix, WritePolicy


def test_ready_counts_only_the_unbroken_run_from_page_one() -> None:
    prefix = ReadyPrefix(5)
    assert [prefix.finish(n) for n in (2, 3, 1, 5, 4)] == [0, 0, 3, 3, 5]
    assert prefix.complete


def test_pages_outside_the_document_are_refused() -> None:
    with pytest.raises(ValueError):
        ReadyPrefix(3).finish(4)


def test_the_first_ready_page_is_published_at_once() -> None:
    assert WritePolicy(interval=10.0).due(ready=1, page_count=100, now=0.0)


def test_later_pages_wait_for_the_interval_except_the_last() -> None:
    policy = WritePolicy(interval=1.0)
    policy.written(ready=1, now=5.0)
    assert not policy.due(ready=2, page_count=10, now=5.5)
    assert policy.due(ready=2, page_count=10, now=6.0)
    assert policy.due(ready=10, page_count=10, now=5.1)


def test_nothing_new_means_nothing_to_write() -> None:
    policy = WritePolicy(interval=0.0)
    policy.written(ready=3, now=1.0)
    assert not policy.due(ready=3, page_count=10, now=100.0)
