"""The SSRF rule: every address a target leads to must be global, unless the operator allowed it."""

from __future__ import annotations

from flipshelf.fetch.addresses import IPAddress, is_never_a_destination, non_global_reason
from flipshelf.fetch.errors import FetchRefused, Refusal
from flipshelf.fetch.policy import AllowList
from flipshelf.fetch.resolver import Resolver
from flipshelf.fetch.urls import Target


async def checked_addresses(
    target: Target, allow: AllowList, resolver: Resolver
) -> list[IPAddress]:
    """The addresses to connect to; refuses when ANY of them is not permitted.

    Checking all of them (not just the first) matters: a name that answers one public and one
    private address would otherwise reach the private one whenever the public one fails.
    """
    addresses = await _addresses_of(target, resolver)
    host_allowed = allow.allows_host(target.host)
    for ip in addresses:
        _check(ip, target.host, host_allowed=host_allowed, allow=allow)
    return addresses


async def _addresses_of(target: Target, resolver: Resolver) -> list[IPAddress]:
    if target.ip_literal is not None:
        return [target.ip_literal]
    try:
        addresses = await resolver.resolve(target.host, target.port)
    except OSError as exc:
        raise FetchRefused(Refusal.RESOLVE, f"cannot resolve {target.host!r}: {exc}") from None
    if not addresses:
        raise FetchRefused(Refusal.RESOLVE, f"{target.host!r} has no addresses")
    return addresses


def _check(ip: IPAddress, host: str, *, host_allowed: bool, allow: AllowList) -> None:
    if is_never_a_destination(ip):
        raise FetchRefused(Refusal.ADDRESS, f"{host} leads to {ip}, which is no single host")
    reason = non_global_reason(ip)
    if reason is None or host_allowed or allow.allows_address(ip):
        return
    raise FetchRefused(Refusal.ADDRESS, f"{host} leads to {ip} ({reason})")
