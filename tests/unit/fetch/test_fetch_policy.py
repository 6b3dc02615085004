"""The operator's allow-list and the limits of a fetch."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

import pytest

from flipshelf.fetch import AllowList, FetchPolicy


def test_an_allow_list_parses_networks_and_host_names() -> None:
    allow = AllowList.parse("127.0.0.1/32, Files.Internal ,10.0.0.0/8,fd00::/8,192.168.1.5,")
    assert allow.hosts == frozenset({"files.internal"})
    assert allow.networks == (
        ip_network("127.0.0.1/32"),
        ip_network("10.0.0.0/8"),
        ip_network("fd00::/8"),
        ip_network("192.168.1.5/32"),
    )


def test_a_list_of_entries_works_like_the_comma_string() -> None:
    assert AllowList.parse(["127.0.0.1/32", "files.internal"]) == AllowList.parse(
        "127.0.0.1/32,files.internal"
    )


def test_an_empty_setting_allows_nothing() -> None:
    allow = AllowList.parse("")
    assert not allow.allows_address(ip_address("127.0.0.1"))
    assert not allow.allows_host("localhost")


@pytest.mark.parametrize(
    "entry", ["10.0.0.1/8", "10.0.0.0/33", "fd00::/129", "not a host", "127.1", "a..b"]
)
def test_a_bad_entry_fails_loudly(entry: str) -> None:
    with pytest.raises(ValueError, match="allow-list"):
        AllowList.parse(entry)


def test_networks_allow_the_addresses_inside_them_only() -> None:
    allow = AllowList.parse("10.1.0.0/16")
    assert allow.allows_address(ip_address("10.1.255.255"))
    assert not allow.allows_address(ip_address("10.2.0.1"))
    assert not allow.allows_address(ip_address("::ffff:10.1.0.1"))


def test_host_names_are_matched_exactly_not_as_suffixes() -> None:
    allow = AllowList.parse("files.internal")
    assert allow.allows_host("files.internal")
    assert not allow.allows_host("evil.files.internal")
    assert not allow.allows_host("files.internal.evil.example")


def test_policy_defaults_follow_the_spec() -> None:
    policy = FetchPolicy(max_bytes=10, timeout_seconds=5)
    assert policy.max_redirects == 3
    assert policy.user_agent.startswith("flipshelf/")
    assert policy.allow == AllowList()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_bytes": 0, "timeout_seconds": 5},
        {"max_bytes": 1, "timeout_seconds": 0},
        {"max_bytes": 1, "timeout_seconds": 5, "max_redirects": -1},
        {"max_bytes": 1, "timeout_seconds": 5, "connect_timeout_seconds": 0},
    ],
)
def test_policy_refuses_nonsense_limits(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        FetchPolicy(**kwargs)  # type: ignore[arg-type]
