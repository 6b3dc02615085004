"""Request signatures: the reference's MD5 (spec section 2) and flipshelf's HMAC-SHA256 mode.

MD5 signs the secret followed by the sorted names and values with no separators, so a value can
swallow the next name (`description=x&title=T` and `description=xtitleT` sign alike): a captured
call can be re-split. HMAC mode signs an unambiguous encoding instead (docs/api.md, "HMAC
signing"; the client's side is clients/python/src/flipshelf_client/signing.py, and both are held
to the test vectors of docs/client.md).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote

UNSIGNED = frozenset({"signature", "file"})
HMAC_METHOD = "HMAC-SHA256"


def signing_string(secret: str, params: Mapping[str, str]) -> str:
    # Sorted by code point: Python's str ordering is exactly that.
    body = "".join(name + params[name] for name in sorted(params) if name not in UNSIGNED)
    return secret + body


def sign(secret: str, params: Mapping[str, str]) -> str:
    return hashlib.md5(signing_string(secret, params).encode()).hexdigest()  # noqa: S324


def verify(secret: str, params: Mapping[str, str], signature: str) -> bool:
    """Constant-time, case-insensitive on the hex."""
    return _same(sign(secret, params), signature)


def percent_encode(text: str) -> str:
    """UTF-8, then every byte but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~) as %XX
    with uppercase hex: `quote` with nothing extra marked safe does exactly that."""
    return quote(text, safe="", encoding="utf-8", errors="strict")


def canonical_string(params: Mapping[str, str]) -> str:
    """What HMAC mode signs: every parameter but `signature` and the file part, name and value
    percent-encoded, pairs sorted by encoded name then encoded value, `name=value` joined by `&`.
    A `=` or `&` inside a value is encoded, so no value can swallow its neighbour."""
    pairs = sorted(
        (percent_encode(name), percent_encode(value))
        for name, value in params.items()
        if name not in UNSIGNED
    )
    return "&".join(f"{name}={value}" for name, value in pairs)


def hmac_sign(secret: str, params: Mapping[str, str]) -> str:
    key = secret.encode("utf-8")
    return hmac.new(key, canonical_string(params).encode("ascii"), hashlib.sha256).hexdigest()


def hmac_verify(secret: str, params: Mapping[str, str], signature: str) -> bool:
    """Constant-time, case-insensitive on the hex."""
    return _same(hmac_sign(secret, params), signature)


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.lower().encode("utf-8", "replace"))
