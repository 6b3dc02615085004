"""Signing: the reference's MD5 vector, strict mode, and the HMAC mode's fixed vectors (the same
ones docs/client.md gives), cross-checked with openssl where it is installed."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from flipshelf_client.signing import (
    Signing,
    canonical_string,
    hmac_signature,
    md5_signature,
    new_nonce,
    percent_encode,
    signed_params,
)

SECRET = "123ABCDE-456-7890-FGH"
KEY = "45FD-267-7SG7832"
MOMENT = 1767225600  # 2026-01-01T00:00:00Z
NONCE = "n0nce-0123456789AB"

HMAC_VECTORS = [
    (
        "collection.getCollection",
        {"collectionHash": "fxh4k89"},
        "action=collection.getCollection&apiKey=45FD-267-7SG7832&collectionHash=fxh4k89"
        "&nonce=n0nce-0123456789AB&signatureMethod=HMAC-SHA256&timestamp=1767225600",
        "d20898749f2fd2e4839a47f118984dee79faf7e93d2856e5659b556187261ba5",
    ),
    (
        "collection.getList",
        {"query": "Frühling & Co/2025 ~50% +1", "orderBy": "title"},
        "action=collection.getList&apiKey=45FD-267-7SG7832&nonce=n0nce-0123456789AB"
        "&orderBy=title&query=Fr%C3%BChling%20%26%20Co%2F2025%20~50%25%20%2B1"
        "&signatureMethod=HMAC-SHA256&timestamp=1767225600",
        "e560cf0331190a566699125347481c623bd3e472afee81e2c34588e883d28550",
    ),
]


def test_md5_signs_the_reference_test_vector() -> None:
    params = {"action": "collection.getCollection", "apiKey": KEY, "collectionHash": "fxh4k89"}
    assert md5_signature(SECRET, params) == "26e781d3d1751d82ec284acf4a019def"
    sent = signed_params(
        Signing.MD5,
        KEY,
        SECRET,
        "collection.getCollection",
        {"collectionHash": "fxh4k89"},
        timestamp=MOMENT,
        nonce=NONCE,
    )
    assert sent == {**params, "signature": "26e781d3d1751d82ec284acf4a019def"}


def test_md5_sorts_by_code_point_and_leaves_out_signature_and_file() -> None:
    # Uppercase before lowercase; empty values take part; signature/file never do.
    params = {"b": "2", "B": "1", "title": "", "signature": "x", "file": "y"}
    expected = md5_signature("s", {"B": "1", "b": "2", "title": ""})
    assert md5_signature("s", params) == expected
    import hashlib

    assert expected == hashlib.md5(b"sB1b2title").hexdigest()


def test_strict_md5_signs_a_timestamp_and_a_nonce() -> None:
    sent = signed_params(
        Signing.MD5_STRICT,
        KEY,
        SECRET,
        "collection.getCollection",
        {"collectionHash": "fxh4k89"},
        timestamp=MOMENT,
        nonce=NONCE,
    )
    assert sent["timestamp"] == "1767225600" and sent["nonce"] == NONCE
    assert "signatureMethod" not in sent
    assert sent["signature"] == "274c0d61a1f0025e1a5135e2b24e188c"
    unsigned = {k: v for k, v in sent.items() if k != "signature"}
    assert sent["signature"] == md5_signature(SECRET, unsigned)


@pytest.mark.parametrize(("action", "params", "canonical", "signature"), HMAC_VECTORS)
def test_hmac_mode_matches_the_documented_vectors(
    action: str, params: dict[str, str], canonical: str, signature: str
) -> None:
    sent = signed_params(
        Signing.HMAC_SHA256, KEY, SECRET, action, params, timestamp=MOMENT, nonce=NONCE
    )
    assert sent["signatureMethod"] == "HMAC-SHA256"
    assert canonical_string(sent) == canonical
    assert sent["signature"] == signature


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is not installed")
@pytest.mark.parametrize(("action", "params", "canonical", "signature"), HMAC_VECTORS)
def test_openssl_computes_the_same_hmac(
    action: str, params: dict[str, str], canonical: str, signature: str
) -> None:
    done = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", SECRET],
        input=canonical.encode(),
        capture_output=True,
        check=True,
    )
    assert done.stdout.decode().split()[-1] == signature


def test_percent_encoding_leaves_only_unreserved_characters() -> None:
    unreserved = "ABCXYZabcxyz0189-._~"
    assert percent_encode(unreserved) == unreserved
    assert percent_encode(" !*'();:@&=+$,/?#[]%") == (
        "%20%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D%25"
    )
    assert percent_encode("é€\U0001f600") == "%C3%A9%E2%82%AC%F0%9F%98%80"  # UTF-8, uppercase hex
    assert percent_encode("\n\t") == "%0A%09"


def test_pairs_sort_by_their_encoded_names_not_the_raw_ones() -> None:
    # Raw, "~" (0x7E) sorts before "é"; encoded, "%C3%A9" sorts before "~".
    assert canonical_string({"~x": "1", "éx": "2"}) == "%C3%A9x=2&~x=1"
    assert canonical_string({"b": "", "a": "x y", "signature": "s", "file": "f"}) == "a=x%20y&b="


def test_hmac_signature_is_lowercase_hex_with_the_secret_as_key() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"k\xc3\xa9y", b"a=1", hashlib.sha256).hexdigest()
    assert hmac_signature("kéy", {"a": "1"}) == expected


def test_nonces_are_random_and_of_the_allowed_shape() -> None:
    import re

    nonces = {new_nonce() for _ in range(200)}
    assert len(nonces) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{16,64}", n) for n in nonces)
