"""verify_webhook: a good signature passes; a missing, malformed, stale, future or wrong one
raises WebhookSignatureError; several v1 values (secret rotation) are allowed."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from flipshelf_client import WebhookSignatureError, sign_webhook, verify_webhook

SECRET = "whsec_0123456789abcdef"
BODY = b'{"id":"evt_1","event":"flipbook.converted","time":1767225600}'
T = 1767225600
# The documented vector (docs/client.md): HMAC-SHA256(SECRET, b"1767225600." + BODY).
V1 = "f8ee7288a6027d95b879fc1ec0c7fd4c264e2ce1d3c284d84bf351e2835603df"


def test_the_documented_vector() -> None:
    assert hmac.new(SECRET.encode(), b"1767225600." + BODY, hashlib.sha256).hexdigest() == V1
    assert sign_webhook(BODY, SECRET, T) == f"t={T},v1={V1}"


def test_a_good_signature_passes() -> None:
    verify_webhook(BODY, f"t={T},v1={V1}", SECRET, now=T + 10)
    verify_webhook(BODY, f" t={T} , v1={V1.upper()} ", SECRET, now=T - 10)


def test_during_rotation_any_v1_may_match() -> None:
    old = sign_webhook(BODY, "old-secret", T).split(",")[1]
    verify_webhook(BODY, f"t={T},{old},v1={V1}", SECRET, now=T)
    verify_webhook(BODY, f"t={T},v1={V1},{old}", SECRET, now=T)
    verify_webhook(BODY, f"t={T},v0=ignored,v1={V1}", SECRET, now=T)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing"),
        ("", "missing"),
        ("  ", "missing"),
        ("garbage", "malformed"),
        (f"v1={V1}", "exactly one t="),
        (f"t=abc,v1={V1}", "exactly one t="),
        (f"t={T},t={T},v1={V1}", "exactly one t="),
        (f"t=-{T},v1={V1}", "exactly one t="),
        (f"t={T}", "no v1="),
        (f"t={T},v1={'0' * 64}", "no v1 signature matches"),
        (f"t={T + 1},v1={V1}", "no v1 signature matches"),  # the time is signed too
    ],
)
def test_bad_headers_are_refused(header: str | None, message: str) -> None:
    with pytest.raises(WebhookSignatureError, match=message):
        verify_webhook(BODY, header, SECRET, now=T)


def test_a_changed_body_or_another_secret_is_refused() -> None:
    with pytest.raises(WebhookSignatureError, match="matches"):
        verify_webhook(BODY + b" ", f"t={T},v1={V1}", SECRET, now=T)
    with pytest.raises(WebhookSignatureError, match="matches"):
        verify_webhook(BODY, f"t={T},v1={V1}", SECRET + "x", now=T)


def test_old_and_future_timestamps_are_refused_beyond_the_tolerance() -> None:
    header = f"t={T},v1={V1}"
    verify_webhook(BODY, header, SECRET, now=T + 300)
    with pytest.raises(WebhookSignatureError, match="tolerance"):
        verify_webhook(BODY, header, SECRET, now=T + 301)
    with pytest.raises(WebhookSignatureError, match="tolerance"):
        verify_webhook(BODY, header, SECRET, now=T - 301)
    verify_webhook(BODY, header, SECRET, tolerance=3600, now=T + 3000)


def test_the_clock_is_used_when_now_is_not_given() -> None:
    verify_webhook(BODY, sign_webhook(BODY, SECRET), SECRET)
    with pytest.raises(WebhookSignatureError, match="tolerance"):
        verify_webhook(BODY, f"t={T},v1={V1}", SECRET)


def test_an_empty_secret_never_verifies() -> None:
    header = sign_webhook(BODY, "", T)
    with pytest.raises(WebhookSignatureError, match="secret"):
        verify_webhook(BODY, header, "", now=T)
