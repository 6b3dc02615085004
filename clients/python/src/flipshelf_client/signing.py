"""Signing a v1 call: the reference's MD5 (plain or strict) and flipshelf's HMAC-SHA256 mode.

Both are pure functions of the secret and the parameters; the clock and the nonce come in as
arguments so the test vectors in docs/client.md are reproducible.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from enum import StrEnum
from urllib.parse import quote

# Never signed: the signature itself and the file part of an upload.
UNSIGNED = frozenset({"signature", "file"})
HMAC_METHOD = "HMAC-SHA256"


class Signing(StrEnum):
    """How calls are signed. `md5-strict` is the MD5 signature with a signed `timestamp` and
    `nonce`, for keys in strict mode; `hmac-sha256` is flipshelf's HMAC mode."""

    MD5 = "md5"
    MD5_STRICT = "md5-strict"
    HMAC_SHA256 = "hmac-sha256"


def md5_signature(secret: str, params: Mapping[str, str]) -> str:
    """The reference's signature: MD5 of the secret followed by every parameter, sorted by
    name in code-point order, each written as its name then its value."""
    # Python's str ordering is code-point order, as the reference asks.
    body = "".join(name + params[name] for name in sorted(params) if name not in UNSIGNED)
    return hashlib.md5((secret + body).encode()).hexdigest()  # noqa: S324 (the protocol's)


def percent_encode(text: str) -> str:
    """UTF-8, then every byte but RFC 3986's unreserved characters as %XX (uppercase hex)."""
    # quote() with safe="" leaves exactly A-Z a-z 0-9 - . _ ~ and writes uppercase hex.
    return quote(text, safe="", encoding="utf-8", errors="strict")


def canonical_string(params: Mapping[str, str]) -> str:
    """The string HMAC mode signs: encoded `name=value` pairs sorted by encoded name then
    encoded value, joined with `&`."""
    pairs = sorted(
        (percent_encode(name), percent_encode(value))
        for name, value in params.items()
        if name not in UNSIGNED
    )
    return "&".join(f"{name}={value}" for name, value in pairs)


def hmac_signature(secret: str, params: Mapping[str, str]) -> str:
    digest = hmac.new(secret.encode(), canonical_string(params).encode("ascii"), hashlib.sha256)
    return digest.hexdigest()


def new_nonce() -> str:
    """32 characters of [A-Za-z0-9_-] from a cryptographic source."""
    return secrets.token_urlsafe(24)


def signed_params(
    method: Signing,
    api_key: str,
    secret: str,
    action: str,
    params: Mapping[str, str],
    *,
    timestamp: int,
    nonce: str,
) -> dict[str, str]:
    """Every parameter a call sends, `signature` included. `timestamp` and `nonce` are used
    only by the modes that sign them."""
    values = {"action": action, "apiKey": api_key, **params}
    if method is Signing.MD5:
        values["signature"] = md5_signature(secret, values)
        return values
    values["timestamp"] = str(timestamp)
    values["nonce"] = nonce
    if method is Signing.MD5_STRICT:
        values["signature"] = md5_signature(secret, values)
        return values
    values["signatureMethod"] = HMAC_METHOD
    values["signature"] = hmac_signature(secret, values)
    return values
