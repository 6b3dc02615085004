"""The byte cap and the deadline, against servers that lie, stream forever or crawl."""

from __future__ import annotations

import time

import pytest

from flipshelf.fetch import FetchRefused, FetchTooLarge, Refusal, fetch_to_file

pytestmark = pytest.mark.anyio

CAP = 1000


async def fetch(kit, path: str, **limits: float):
    return await fetch_to_file(
        kit.server.url(path), kit.dest, policy=kit.policy(**limits), resolver=kit.resolver
    )


async def test_a_body_of_exactly_the_cap_is_accepted(kit, respond) -> None:
    kit.server.route("/a", respond.body(b"x" * CAP))
    assert (await fetch(kit, "/a")).byte_count == CAP


async def test_a_declared_length_over_the_cap_is_refused_before_the_body(kit, respond) -> None:
    # The head promises one byte too many, then the server sends nothing: only the header can
    # have triggered the refusal, and it must come at once, not at the deadline.
    kit.server.route(
        "/big", respond.raw(b"HTTP/1.1 200 OK\r\nContent-Length: 1001\r\n\r\n", then_hang=True)
    )
    started = time.monotonic()
    with pytest.raises(FetchTooLarge) as caught:
        await fetch(kit, "/big", timeout_seconds=5.0)
    assert time.monotonic() - started < 2
    assert caught.value.max_bytes == CAP
    assert not kit.dest.exists()


async def test_a_chunked_body_over_the_cap_is_refused_and_its_file_removed(kit, respond) -> None:
    kit.server.route("/c", respond.chunked([b"y" * 100] * 11))
    with pytest.raises(FetchTooLarge):
        await fetch(kit, "/c")
    assert not kit.dest.exists()


async def test_a_chunked_body_at_the_cap_is_accepted(kit, respond) -> None:
    kit.server.route("/c", respond.chunked([b"y" * 100] * 10))
    assert (await fetch(kit, "/c")).byte_count == CAP


async def test_an_endless_body_is_cut_at_the_cap_not_at_the_deadline(kit, respond) -> None:
    endless = iter(lambda: b"z" * 64, None)  # a chunk generator that never ends
    kit.server.route("/endless", respond.chunked(endless, delay=0.001))
    started = time.monotonic()
    with pytest.raises(FetchTooLarge):
        await fetch(kit, "/endless", timeout_seconds=5.0)
    assert time.monotonic() - started < 2
    assert not kit.dest.exists()


async def test_a_body_without_any_length_is_capped_while_streaming(kit, respond) -> None:
    kit.server.route("/u", respond.until_close(b"u" * (CAP + 1)))
    with pytest.raises(FetchTooLarge):
        await fetch(kit, "/u")
    assert not kit.dest.exists()


async def test_a_content_length_that_understates_the_body_bounds_what_is_read(kit, respond) -> None:
    # The server declares 100 bytes and pushes 100 kB: only the declared bytes are the body, so the
    # surplus can neither reach the file nor get past the cap.
    kit.server.route("/lie", respond.body(b"a" * 100 + b"b" * 100_000, length=100))
    result = await fetch(kit, "/lie")
    assert result.byte_count == 100
    assert kit.dest.read_bytes() == b"a" * 100


async def test_a_content_length_that_overstates_the_body_is_refused(kit, respond) -> None:
    kit.server.route("/short", respond.body(b"a" * 100, length=500))
    with pytest.raises(FetchRefused) as caught:
        await fetch(kit, "/short")
    assert caught.value.kind is Refusal.PROTOCOL
    assert not kit.dest.exists()


async def test_a_server_that_never_answers_hits_the_deadline(kit, respond) -> None:
    kit.server.route("/hang", respond.hang())
    started = time.monotonic()
    with pytest.raises(FetchRefused) as caught:
        await fetch(kit, "/hang", timeout_seconds=0.5)
    assert caught.value.kind is Refusal.DEADLINE
    assert 0.4 < time.monotonic() - started < 2


async def test_a_trickling_body_hits_the_deadline_and_leaves_no_file(kit, respond) -> None:
    kit.server.route("/slow", respond.trickle(200, delay=0.05))
    with pytest.raises(FetchRefused) as caught:
        await fetch(kit, "/slow", timeout_seconds=0.5)
    assert caught.value.kind is Refusal.DEADLINE
    assert not kit.dest.exists()


async def test_the_deadline_covers_the_whole_redirect_chain(kit, respond) -> None:
    # Each hop alone is well inside the deadline; together they are not.
    kit.server.route("/r1", respond.redirect("/r2", delay=0.3))
    kit.server.route("/r2", respond.redirect("/r3", delay=0.3))
    kit.server.route("/r3", respond.redirect("/a", delay=0.3))
    kit.server.route("/a", respond.body(b"done"))
    with pytest.raises(FetchRefused) as caught:
        await fetch(kit, "/r1", timeout_seconds=0.7)
    assert caught.value.kind is Refusal.DEADLINE
    assert len(kit.server.requests) < 4
