"""The errors of a fileUrl fetch: the API layer maps them to codes (refused: 40, too large: 34)."""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    """Why a fetch was refused; every kind answers code 40, the kind is for logs and tests."""

    URL = "url"  # bad scheme, userinfo, malformed host or port
    ADDRESS = "address"  # the host resolves to a non-global address that is not allowed
    RESOLVE = "resolve"  # the host name does not resolve
    REDIRECTS = "redirects"  # too many redirects, or a redirect without a usable Location
    UNREACHABLE = "unreachable"  # no checked address accepted a connection
    TLS = "tls"  # handshake or certificate verification failed
    STATUS = "status"  # the final response was not 200
    PROTOCOL = "protocol"  # malformed HTTP, or the body ended before its declared length
    DEADLINE = "deadline"  # the whole fetch took longer than the policy allows


class FetchError(Exception):
    """Base of every error `fetch_to_file` raises on purpose."""


class FetchRefused(FetchError):
    """The URL was not fetched (code 40). `detail` is for the log, not for the client."""

    def __init__(self, kind: Refusal, detail: str) -> None:
        super().__init__(f"{kind.value}: {detail}")
        self.kind = kind
        self.detail = detail

    @property
    def reason(self) -> str:
        """The refusal as one line: kind and detail."""
        return str(self)


class FetchTooLarge(FetchError):
    """The body is larger than the byte cap (code 34)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"body larger than {max_bytes} bytes")
        self.max_bytes = max_bytes
