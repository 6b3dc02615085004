"""The SSRF rule as `fetch_to_file` applies it: refusals happen before any socket connects."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import NoReturn

import pytest

from flipshelf.fetch import (
    AllowList,
    FetchPolicy,
    FetchRefused,
    Refusal,
    StaticResolver,
    SystemResolver,
    fetch_to_file,
)
from flipshelf.fetch.guard import checked_addresses
from flipshelf.fetch.urls import parse_target

pytestmark = pytest.mark.anyio

RESOLVER = StaticResolver(
    {
        "public.test": ["93.184.215.14"],
        "public6.test": ["2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
        "loop.test": ["127.0.0.1"],
        "metadata.test": ["169.254.169.254"],
        "private.test": ["10.0.0.5"],
        "mixed.test": ["93.184.215.14", "192.168.1.1"],
        "mapped.test": ["::ffff:127.0.0.1"],
        "nat64.test": ["64:ff9b::a00:1"],
        "ula.test": ["fd12:3456::1"],
        "zero.test": ["0.0.0.0"],
        "multicast.test": ["239.1.1.1"],
        "files.internal": ["10.20.30.40"],
        "nothing.test": [],
    }
)


def policy(allow: str = "") -> FetchPolicy:
    return FetchPolicy(max_bytes=1000, timeout_seconds=5, allow=AllowList.parse(allow))


async def check(url: str, allow: str = "") -> list[str]:
    target = parse_target(url)
    return [str(ip) for ip in await checked_addresses(target, AllowList.parse(allow), RESOLVER)]


async def test_global_addresses_pass() -> None:
    assert await check("http://public.test/") == ["93.184.215.14"]
    assert await check("http://public6.test/") == ["2606:2800:21f:cb07:6820:80da:af6b:8b2c"]


@pytest.mark.parametrize(
    "url",
    [
        "http://loop.test/",
        "http://metadata.test/latest/meta-data/",
        "http://private.test/",
        "http://mixed.test/",
        "http://mapped.test/",
        "http://nat64.test/",
        "http://ula.test/",
        "http://127.0.0.1/",
        "http://[::1]/",
        "http://[::ffff:7f00:1]/",
        "http://169.254.169.254/",
        "http://100.64.0.1/",
        "http://[64:ff9b::7f00:1]/",
        "http://[2002:7f00:1::1]/",
        "http://[fe80::1]/",
    ],
)
async def test_any_non_global_address_refuses_the_url(url: str, connections: list[str]) -> None:
    with pytest.raises(FetchRefused) as caught:
        await check(url)
    assert caught.value.kind is Refusal.ADDRESS


async def test_one_private_answer_among_public_ones_is_enough_to_refuse() -> None:
    with pytest.raises(FetchRefused, match=r"192\.168\.1\.1"):
        await check("http://mixed.test/")


async def test_a_network_on_the_allow_list_permits_its_addresses() -> None:
    assert await check("http://loop.test/", allow="127.0.0.0/8") == ["127.0.0.1"]
    assert await check("http://127.0.0.1:8080/", allow="127.0.0.1/32") == ["127.0.0.1"]


async def test_a_host_on_the_allow_list_permits_whatever_it_resolves_to() -> None:
    assert await check("http://files.internal/", allow="files.internal") == ["10.20.30.40"]


async def test_an_allowed_host_name_does_not_allow_its_address_under_another_name() -> None:
    with pytest.raises(FetchRefused):
        await check("http://10.20.30.40/", allow="files.internal")
    with pytest.raises(FetchRefused):
        await check("http://private.test/", allow="files.internal")


async def test_an_allowed_network_does_not_cover_other_answers_of_the_same_name() -> None:
    with pytest.raises(FetchRefused, match=r"192\.168\.1\.1"):
        await check("http://mixed.test/", allow="93.184.215.0/24")


@pytest.mark.parametrize("url", ["http://zero.test/", "http://multicast.test/"])
async def test_unspecified_and_multicast_are_refused_even_when_allowed(url: str) -> None:
    with pytest.raises(FetchRefused):
        await check(url, allow="0.0.0.0/0, zero.test, multicast.test")


async def test_a_name_without_addresses_is_refused() -> None:
    with pytest.raises(FetchRefused) as caught:
        await check("http://nothing.test/")
    assert caught.value.kind is Refusal.RESOLVE
    with pytest.raises(FetchRefused) as caught:
        await check("http://unknown.test/")
    assert caught.value.kind is Refusal.RESOLVE


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://loop.test:9/", Refusal.ADDRESS),
        ("http://metadata.test/latest/meta-data/", Refusal.ADDRESS),
        ("http://mixed.test/", Refusal.ADDRESS),
        ("http://127.0.0.1:9/", Refusal.ADDRESS),
        ("ftp://public.test/", Refusal.URL),
        ("http://user@public.test/", Refusal.URL),
        ("http://unknown.test/", Refusal.RESOLVE),
    ],
)
async def test_fetch_refuses_before_connecting_and_leaves_no_file(
    url: str, kind: Refusal, tmp_path: Path, connections: list[str]
) -> None:
    dest = tmp_path / "body"
    dest.write_bytes(b"left by the caller")
    with pytest.raises(FetchRefused) as caught:
        await fetch_to_file(url, dest, policy=policy(), resolver=RESOLVER)
    assert caught.value.kind is kind
    assert connections == []
    assert not dest.exists()


async def test_literal_addresses_are_not_sent_to_the_resolver(tmp_path: Path) -> None:
    resolver = StaticResolver({})
    with pytest.raises(FetchRefused):
        await fetch_to_file("http://10.0.0.1/", tmp_path / "b", policy=policy(), resolver=resolver)
    assert resolver.lookups == []


async def test_the_system_resolver_answers_addresses_without_duplicates() -> None:
    addresses = await SystemResolver().resolve("localhost", 80)
    assert addresses and all(ip.is_loopback for ip in addresses)
    assert len(addresses) == len(set(addresses))


async def test_the_system_resolver_turns_lookup_failures_into_refusals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_such_name(*args: object, **kwargs: object) -> NoReturn:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    with pytest.raises(FetchRefused) as caught:
        await SystemResolver().resolve("files.invalid", 80)
    assert caught.value.kind is Refusal.RESOLVE


def test_refusals_carry_their_kind_in_the_reason() -> None:
    error = FetchRefused(Refusal.DEADLINE, "not complete within 1 s")
    assert error.reason == "deadline: not complete within 1 s"
    assert error.detail == "not complete within 1 s"
