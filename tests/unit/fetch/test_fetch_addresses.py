"""Which addresses the fetch guard calls global. The blocks are written out here independently of
the tables in `flipshelf.fetch.addresses`, so a mistake in one is caught by the other."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flipshelf.fetch import is_never_a_destination, non_global_reason

IPV4_NON_GLOBAL = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
]

IPV6_NON_GLOBAL = [
    "::/128",
    "::1/128",
    "::/96",  # IPv4-compatible (deprecated)
    "::ffff:0:0/96",  # IPv4-mapped, whatever it embeds
    "::ffff:0:0:0/96",  # SIIT
    "64:ff9b:1::/48",  # local-use NAT64
    "100::/64",
    "2001::/32",  # Teredo
    "2001:2::/48",  # benchmarking
    "2001:10::/28",  # ORCHID
    "2001:db8::/32",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
    "4000::/2",  # unallocated, outside 2000::/3
]

V4_SPECIAL = [IPv4Network(n) for n in IPV4_NON_GLOBAL]


def addresses_in(cidr: str) -> st.SearchStrategy[IPv4Address | IPv6Address]:
    network = ip_network(cidr)
    first, last = int(network.network_address), int(network.broadcast_address)
    return st.integers(first, last).map(
        lambda n: ip_address(n) if network.version == 4 else IPv6Address(n)
    )


def non_global_ipv4() -> st.SearchStrategy[IPv4Address]:
    return st.sampled_from(IPV4_NON_GLOBAL).flatmap(addresses_in)  # type: ignore[arg-type]


def _gaps_between(blocks: list[IPv4Network]) -> list[tuple[int, int]]:
    """The ranges of the IPv4 space that no block covers."""
    gaps, start = [], 0
    for net in sorted(blocks, key=lambda n: int(n.network_address)):
        if int(net.network_address) > start:
            gaps.append((start, int(net.network_address) - 1))
        start = max(start, int(net.broadcast_address) + 1)
    if start <= 2**32 - 1:
        gaps.append((start, 2**32 - 1))
    return gaps


GLOBAL_V4_RANGES = _gaps_between(V4_SPECIAL)


def global_ipv4() -> st.SearchStrategy[IPv4Address]:
    # Built from the gaps instead of filtering: no rejected draws, and every gap's edges are hit.
    return st.sampled_from(GLOBAL_V4_RANGES).flatmap(lambda gap: st.integers(*gap).map(IPv4Address))


@pytest.mark.parametrize("block", IPV4_NON_GLOBAL)
@given(data=st.data())
def test_every_ipv4_in_a_non_global_block_is_refused(block: str, data: st.DataObject) -> None:
    ip = data.draw(addresses_in(block))
    assert non_global_reason(ip) is not None


@pytest.mark.parametrize("block", IPV4_NON_GLOBAL)
def test_both_ends_of_each_ipv4_block_are_refused(block: str) -> None:
    network = IPv4Network(block)
    assert non_global_reason(network.network_address) is not None
    assert non_global_reason(network.broadcast_address) is not None


@given(ip=global_ipv4())
def test_ipv4_outside_the_special_blocks_is_global(ip: IPv4Address) -> None:
    assert non_global_reason(ip) is None


@given(n=st.integers(0, 2**32 - 1))
def test_ipv4_called_global_is_global_for_the_standard_library_too(n: int) -> None:
    ip = IPv4Address(n)
    if non_global_reason(ip) is None:
        assert ip.is_global and not ip.is_multicast


@pytest.mark.parametrize("block", IPV6_NON_GLOBAL)
@given(data=st.data())
def test_every_ipv6_in_a_non_global_block_is_refused(block: str, data: st.DataObject) -> None:
    ip = data.draw(addresses_in(block))
    assert non_global_reason(ip) is not None


@given(n=st.integers(0, 2**128 - 1))
def test_ipv6_called_global_is_global_unicast(n: int) -> None:
    ip = IPv6Address(n)
    if non_global_reason(ip) is None:
        assert ip in IPv6Network("2000::/3") or ip in IPv6Network("64:ff9b::/96")
        assert ip.is_global


@given(embedded=st.one_of(non_global_ipv4(), global_ipv4()))
def test_ipv4_mapped_addresses_are_always_refused(embedded: IPv4Address) -> None:
    mapped = IPv6Address(f"::ffff:{embedded}")
    assert non_global_reason(mapped) is not None


@given(embedded=non_global_ipv4())
def test_nat64_embedding_a_non_global_ipv4_is_refused(embedded: IPv4Address) -> None:
    assert non_global_reason(IPv6Address(f"64:ff9b::{embedded}")) is not None


@given(embedded=global_ipv4())
def test_nat64_embedding_a_global_ipv4_is_global(embedded: IPv4Address) -> None:
    # DNS64 networks answer these for every IPv4-only site; refusing them would break such hosts.
    assert non_global_reason(IPv6Address(f"64:ff9b::{embedded}")) is None


def six_to_four(embedded: IPv4Address, low_bits: int) -> IPv6Address:
    return IPv6Address((0x2002 << 112) | (int(embedded) << 80) | low_bits)


@given(embedded=non_global_ipv4(), low=st.integers(0, 2**80 - 1))
def test_6to4_embedding_a_non_global_ipv4_is_refused(embedded: IPv4Address, low: int) -> None:
    assert non_global_reason(six_to_four(embedded, low)) is not None


@given(embedded=global_ipv4(), low=st.integers(0, 2**80 - 1))
def test_6to4_embedding_a_global_ipv4_is_global(embedded: IPv4Address, low: int) -> None:
    assert non_global_reason(six_to_four(embedded, low)) is None


@given(server=global_ipv4(), client=global_ipv4(), flags=st.integers(0, 2**32 - 1))
def test_teredo_is_refused_whatever_it_embeds(
    server: IPv4Address, client: IPv4Address, flags: int
) -> None:
    ip = IPv6Address(
        (0x2001_0000 << 96) | (int(server) << 64) | (flags << 32) | (int(client) ^ 0xFFFF_FFFF)
    )
    assert ip.teredo is not None
    assert non_global_reason(ip) is not None


@pytest.mark.parametrize(
    "text",
    ["8.8.8.8", "1.1.1.1", "151.101.1.69", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"],
)
def test_well_known_public_addresses_are_global(text: str) -> None:
    assert non_global_reason(ip_address(text)) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "shared"),
        ("::1", "loopback"),
        ("fd00::1", "private"),
        ("fec0::1", "site-local"),
        ("::ffff:127.0.0.1", "mapped"),
        ("64:ff9b::a9fe:a9fe", "link-local"),
    ],
)
def test_the_reason_names_the_kind_of_address(text: str, words: str) -> None:
    reason = non_global_reason(ip_address(text))
    assert reason is not None and words in reason


def test_a_scoped_link_local_address_is_refused() -> None:
    assert non_global_reason(IPv6Address("fe80::1%eth0")) is not None


@pytest.mark.parametrize(
    ("text", "never"),
    [
        ("0.0.0.0", True),
        ("::", True),
        ("224.0.0.1", True),
        ("ff02::1", True),
        ("255.255.255.255", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("8.8.8.8", False),
    ],
)
def test_unspecified_multicast_and_broadcast_are_never_destinations(text: str, never: bool) -> None:
    assert is_never_a_destination(ip_address(text)) is never


def test_no_ipv4_block_is_missing_from_the_guard() -> None:
    # A sample from the middle of each block, checked without hypothesis: fast and obvious.
    for block in IPV4_NON_GLOBAL:
        net = IPv4Network(block)
        middle = IPv4Address(int(net.network_address) + net.num_addresses // 2)
        assert non_global_reason(middle) is not None, block
