"""The v1 request signature: MD5 over the secret and the sorted parameters (spec section 2)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

UNSIGNED = frozenset({"signature", "file"})


def signing_string(secret: str, params: Mapping[str, str]) -> str:
    # Sorted by code point: Python's str ordering is exactly that.
    body = "".join(name + params[name] for name in sorted(params) if name not in UNSIGNED)
    return secret + body


def sign(secret: str, params: Mapping[str, str]) -> str:
    return hashlib.md5(signing_string(secret, params).encode()).hexdigest()  # noqa: S324


def verify(secret: str, params: Mapping[str, str], signature: str) -> bool:
    """Constant-time, case-insensitive on the hex."""
    expected = sign(secret, params).encode()
    return hmac.compare_digest(expected, signature.lower().encode("utf-8", "replace"))
