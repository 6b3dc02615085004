"""The guard end to end: the allow-list, and environment proxies that must not be used."""

from __future__ import annotations

import pytest

from flipshelf.fetch import FetchRefused, Refusal, StaticResolver, fetch_to_file

pytestmark = pytest.mark.anyio

PROXY_VARIABLES = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
]


async def fetch(kit, url: str, *, allow: str, resolver=None):
    return await fetch_to_file(
        url, kit.dest, policy=kit.policy(allow=allow), resolver=resolver or kit.resolver
    )


async def test_a_loopback_server_is_refused_without_an_allow_list(
    kit, respond, connections
) -> None:
    kit.server.route("/a", respond.body(b"x"))
    for url in (kit.server.url("/a"), kit.server.url("/a", host="files.test")):
        with pytest.raises(FetchRefused) as caught:
            await fetch(kit, url, allow="")
        assert caught.value.kind is Refusal.ADDRESS
    assert connections == [] and kit.server.connections == 0


async def test_a_network_on_the_allow_list_lets_the_fetch_through(kit, respond) -> None:
    kit.server.route("/a", respond.body(b"x"))
    await fetch(kit, kit.server.url("/a", host="files.test"), allow="127.0.0.0/8")
    assert kit.dest.read_bytes() == b"x"


async def test_a_host_on_the_allow_list_lets_the_fetch_through(kit, respond) -> None:
    kit.server.route("/a", respond.body(b"x"))
    await fetch(kit, kit.server.url("/a", host="files.test"), allow="files.test")
    assert kit.dest.read_bytes() == b"x"


async def test_an_allowed_host_does_not_allow_its_address_by_another_name(
    kit, respond, connections
) -> None:
    kit.server.route("/a", respond.body(b"x"))
    for url in (kit.server.url("/a"), kit.server.url("/a", host="other.test")):
        with pytest.raises(FetchRefused):
            await fetch(kit, url, allow="files.test")
    assert connections == []


async def test_a_name_with_one_disallowed_answer_is_refused_whole(
    kit, respond, connections
) -> None:
    kit.server.route("/a", respond.body(b"x"))
    with pytest.raises(FetchRefused) as caught:
        await fetch(kit, kit.server.url("/a", host="rebind.test"), allow="127.0.0.1/32")
    assert "192.168.0.1" in caught.value.detail
    assert connections == []


async def test_each_fetch_resolves_afresh(kit, respond) -> None:
    # Nothing is cached between fetches: a name that changes to a private answer is refused.
    kit.server.route("/a", respond.body(b"x"))
    url = kit.server.url("/a", host="flip.test")
    await fetch(
        kit, url, allow="127.0.0.1/32", resolver=StaticResolver({"flip.test": ["127.0.0.1"]})
    )
    with pytest.raises(FetchRefused):
        await fetch(
            kit, url, allow="127.0.0.1/32", resolver=StaticResolver({"flip.test": ["10.9.9.9"]})
        )


async def test_proxy_variables_in_the_environment_are_ignored(
    kit, respond, proxy, monkeypatch, connections
) -> None:
    kit.server.route("/a", respond.body(b"direct"))
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, f"http://127.0.0.9:{proxy.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    await fetch(kit, kit.server.url("/a", host="files.test"), allow="127.0.0.0/8")
    assert kit.dest.read_bytes() == b"direct"
    assert proxy.connections == 0 and "127.0.0.9" not in connections
