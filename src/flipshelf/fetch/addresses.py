"""Which IP addresses a fileUrl fetch may connect to.

Our own tables rather than `ipaddress.is_global`: its answer changes between Python patch releases
(3.11.7 calls multicast and the 6to4 relay anycast block global, and knows nothing of NAT64), and a
security rule should not move with the interpreter. The tables follow the IANA special-purpose
registries, erring on the side of refusing: a block that is only partly global is refused whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

IPAddress = IPv4Address | IPv6Address

_IPV4_NON_GLOBAL: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(net), reason)
    for net, reason in (
        ("0.0.0.0/8", "unspecified ('this network')"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared address space"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        # 192.0.0.9 and .10 are anycast services nobody hosts files on; refusing the /24 is simpler.
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "deprecated 6to4 relay anycast"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),  # also holds the limited broadcast 255.255.255.255
    )
)

_IPV6_NON_GLOBAL: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(net), reason)
    for net, reason in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        # A socket connects to the embedded IPv4 address; no resolver has a reason to answer one.
        ("::ffff:0:0/96", "IPv4-mapped"),
        # Local-use NAT64 prefixes may be shorter than /96, so the embedded address cannot be found.
        ("64:ff9b:1::/48", "local-use NAT64"),
        ("::/8", "reserved"),  # IPv4-compatible and SIIT forms live here too
        ("100::/64", "discard-only"),
        # Teredo embeds two IPv4 addresses (one obfuscated) and is routed by relays we do not
        # control; it is refused whole together with the rest of the IETF protocol block.
        ("2001::/32", "Teredo"),
        ("2001::/23", "IETF protocol assignments"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("fc00::/7", "private (unique local)"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
)

# Only this block is allocated for global unicast; anything outside it and not named above is
# reserved space, refused rather than trusted.
_IPV6_GLOBAL_UNICAST = IPv6Network("2000::/3")
_NAT64_WELL_KNOWN = IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR = IPv6Network("2002::/16")
_LIMITED_BROADCAST = IPv4Address("255.255.255.255")


def non_global_reason(ip: IPAddress) -> str | None:
    """None when `ip` is a global unicast address; otherwise why it is not (for the log)."""
    if isinstance(ip, IPv4Address):
        return _first_match(ip, _IPV4_NON_GLOBAL)
    return _ipv6_reason(ip)


def is_never_a_destination(ip: IPAddress) -> bool:
    """Addresses no allow-list can permit: they name no single host to fetch from."""
    return ip.is_unspecified or ip.is_multicast or ip == _LIMITED_BROADCAST


def _ipv6_reason(ip: IPv6Address) -> str | None:
    # Translated forms reach the embedded IPv4 host, so they are exactly as global as it is.
    embedded = _translated_ipv4(ip)
    if embedded is not None:
        reason = non_global_reason(embedded)
        return None if reason is None else f"embeds {reason} IPv4 {embedded}"
    reason = _first_match(ip, _IPV6_NON_GLOBAL)
    if reason is None and ip not in _IPV6_GLOBAL_UNICAST:
        return "reserved"
    return reason


def _translated_ipv4(ip: IPv6Address) -> IPv4Address | None:
    """The IPv4 address a well-known NAT64 or a 6to4 address leads to, if it is one."""
    if ip in _NAT64_WELL_KNOWN:
        return IPv4Address(int(ip) & 0xFFFF_FFFF)
    if ip in _SIX_TO_FOUR:
        return ip.sixtofour
    return None


def _first_match(
    ip: IPAddress, table: Iterable[tuple[IPv4Network | IPv6Network, str]]
) -> str | None:
    for network, reason in table:
        if ip in network:
            return reason
    return None
