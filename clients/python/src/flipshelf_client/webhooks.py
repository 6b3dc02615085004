"""Verifying a webhook delivery's `Flipshelf-Signature` header.

The header is `t=<unix seconds>,v1=<hex>`: hex = HMAC-SHA256 with the endpoint's secret (UTF-8)
as key over `"{t}.".encode() + raw body`. While a secret is being rotated the header carries one
`v1=` per secret; one match is enough. Verify the raw bytes as received, before parsing them.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flipshelf_client.errors import WebhookSignatureError

HEADER = "Flipshelf-Signature"
DEFAULT_TOLERANCE = 300


def webhook_signature(payload: bytes, secret: str, timestamp: int) -> str:
    """The hex `v1` signature of `payload` sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign_webhook(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A whole header value, as the server sends it (for testing a receiver)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={webhook_signature(payload, secret, moment)}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise WebhookSignatureError(f"malformed {HEADER} header: {part.strip()!r}")
        if name == "t":
            timestamps.append(value)
        elif name == "v1":
            signatures.append(value.strip().lower())
        # Other schemes (v0, a future v2) are ignored, as receivers of this format do.
    if len(timestamps) != 1 or not timestamps[0].isdigit() or len(timestamps[0]) > 12:
        raise WebhookSignatureError(f"{HEADER} needs exactly one t=<unix seconds>")
    if not signatures:
        raise WebhookSignatureError(f"{HEADER} carries no v1= signature")
    return int(timestamps[0]), signatures


def verify_webhook(
    payload: bytes,
    header: str | None,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Raises `WebhookSignatureError` unless `header` signs `payload` with `secret` and its
    timestamp is within `tolerance` seconds of `now` (default: the clock). Comparisons take
    constant time."""
    if not header or not header.strip():
        raise WebhookSignatureError(f"the {HEADER} header is missing")
    if not secret:
        raise WebhookSignatureError("no endpoint secret to verify with")
    timestamp, signatures = _parse(header)
    moment = time.time() if now is None else now
    if abs(moment - timestamp) > tolerance:
        raise WebhookSignatureError(
            f"the signature's timestamp is {moment - timestamp:+.0f} s from now, "
            f"beyond the {tolerance} s tolerance (a replay, or a wrong clock)"
        )
    expected = webhook_signature(payload, secret, timestamp).encode()
    # Compare with every candidate, so the time taken says nothing about which one matched.
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected, candidate.encode("ascii", "replace"))
    if not matched:
        raise WebhookSignatureError("no v1 signature matches this payload and secret")
