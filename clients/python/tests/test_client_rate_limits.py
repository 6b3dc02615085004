"""The client against a real server at the reference's default rate limits (5 a second, 60 a
minute, per key): a burst is paced by the server's 31/32 answers and retried, and waiting for a
conversion is never refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import flipshelf_client as fc
from live_server import LiveServer, live_server


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("limited")) as running:  # default limits
        yield running
    assert not running.tracebacks(), running.output()


class Counting(httpx.HTTPTransport):
    """Counts the rate-limit refusals the server answered."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0
        self.codes: set[int] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        code = response.json().get("code")
        if code in (31, 32):
            self.refused += 1
            self.codes.add(code)
        return response


def test_without_retries_a_burst_is_refused_with_a_rate_limit(limited: LiveServer) -> None:
    api_key, secret = limited.new_account("burst")
    client = limited.client(api_key, secret, rate_limit_retries=0)
    with client, pytest.raises(fc.RateLimited) as refused:
        for _ in range(61):  # the 61st call of a minute is refused whatever the pace
            client.get_user_stats()
    assert refused.value.code in (31, 32)


def test_with_retries_a_burst_all_passes_paced_by_the_server(limited: LiveServer) -> None:
    api_key, secret = limited.new_account("paced")
    transport = Counting()
    with fc.Client(limited.url, api_key, secret, transport=transport, trust_env=False) as client:
        answers = [client.get_user_stats() for _ in range(15)]
    assert len(answers) == 15
    assert transport.refused >= 1  # 15 calls cannot pass in under two seconds at 5 a second


def test_with_the_default_retries_a_burst_past_the_minute_limit_passes(
    limited: LiveServer,
) -> None:
    # The 61st call of a burst is refused (32) until the burst's first call is a minute old:
    # the default retries must wait that long in total (5 + 10 + 20 + 40 s), not give up.
    api_key, secret = limited.new_account("minute")
    transport = Counting()
    with fc.Client(limited.url, api_key, secret, transport=transport, trust_env=False) as client:
        answers = [client.get_user_stats() for _ in range(62)]
    assert len(answers) == 62
    assert 32 in transport.codes  # the minute's limit was met, not merely the second's


def test_waiting_for_a_conversion_stays_within_the_limits(
    limited: LiveServer, documents: dict[str, Path]
) -> None:
    api_key, secret = limited.new_account("waiter")
    transport = Counting()
    polls: list[int] = []
    with fc.Client(limited.url, api_key, secret, transport=transport, trust_env=False) as client:
        created = client.create_collection(documents["R-FAQ"])
        done = client.wait_until_complete(
            created.collection_hash, timeout=180, on_progress=lambda c: polls.append(1)
        )
    assert done.items[0].page_count == 52
    assert transport.refused == 0 and len(polls) >= 1
