"""Fetching a client's fileUrl safely (SSRF guard). See docs/fetch.md.

Dependencies: h11 for HTTP/1.1 framing, the standard library for the rest. No proxy, no DNS
after the check, no address the operator did not allow.
"""

from flipshelf.fetch.addresses import IPAddress, is_never_a_destination, non_global_reason
from flipshelf.fetch.client import FetchResult, fetch_to_file
from flipshelf.fetch.errors import FetchError, FetchRefused, FetchTooLarge, Refusal
from flipshelf.fetch.policy import DEFAULT_USER_AGENT, AllowList, FetchPolicy
from flipshelf.fetch.resolver import Resolver, StaticResolver, SystemResolver

__all__ = [
    "DEFAULT_USER_AGENT",
    "AllowList",
    "FetchError",
    "FetchPolicy",
    "FetchRefused",
    "FetchResult",
    "FetchTooLarge",
    "IPAddress",
    "Refusal",
    "Resolver",
    "StaticResolver",
    "SystemResolver",
    "fetch_to_file",
    "is_never_a_destination",
    "non_global_reason",
]
