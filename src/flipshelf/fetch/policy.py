"""What a fetch may do: byte cap, deadline, redirects, and the operator's allow-list."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network

from flipshelf import __version__
from flipshelf.fetch.addresses import IPAddress
from flipshelf.fetch.urls import normalize_host_name

DEFAULT_USER_AGENT = f"flipshelf/{__version__} (fileUrl fetcher)"

IPNetwork = IPv4Network | IPv6Network


@dataclass(frozen=True, slots=True)
class AllowList:
    """Hosts and networks the operator trusts although they are not global.

    A host name entry trusts whatever that exact name resolves to (not its subdomains); a network
    entry trusts addresses inside it, whichever name led there.
    """

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: str | Iterable[str]) -> AllowList:
        """From `"127.0.0.1/32, files.internal"` or a list; ValueError on a bad entry."""
        items = entries.split(",") if isinstance(entries, str) else entries
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in items:
            entry = raw.strip()
            if not entry:
                continue  # tolerate "a,b," and empty settings
            network = _as_network(entry)
            if network is not None:
                networks.append(network)
            else:
                hosts.add(_as_host(entry))
        return cls(hosts=frozenset(hosts), networks=tuple(networks))

    def allows_host(self, host: str) -> bool:
        """Whether `host` (already normalized) is trusted by name."""
        return host in self.hosts

    def allows_address(self, ip: IPAddress) -> bool:
        """Whether `ip` lies in a trusted network."""
        return any(ip in network for network in self.networks)


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Limits of one fetch; built by the composition root from settings."""

    max_bytes: int
    timeout_seconds: float
    allow: AllowList = field(default_factory=AllowList)
    max_redirects: int = 3
    # A black-holed address must not eat the whole deadline before the next address is tried.
    connect_timeout_seconds: float = 10.0
    user_agent: str = DEFAULT_USER_AGENT

    def __post_init__(self) -> None:
        if self.max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        if self.timeout_seconds <= 0 or self.connect_timeout_seconds <= 0:
            raise ValueError("timeouts must be positive")
        if self.max_redirects < 0:
            raise ValueError("max_redirects must not be negative")


def _as_network(entry: str) -> IPNetwork | None:
    try:
        return ip_network(entry)  # strict: "10.0.0.1/8" is a typo worth failing on
    except ValueError:
        if "/" in entry or ":" in entry:
            raise ValueError(f"invalid network in fetch allow-list: {entry!r}") from None
        return None  # not an address: a host name, checked by _as_host


def _as_host(entry: str) -> str:
    host = normalize_host_name(entry)
    if host is None:
        raise ValueError(f"invalid host name in fetch allow-list: {entry!r}")
    return host
