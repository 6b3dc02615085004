from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from hypothesis import given
from hypothesis import strategies as st

from flipshelf.api.v1.signature import (
    HMAC_METHOD,
    canonical_string,
    hmac_sign,
    hmac_verify,
    percent_encode,
    sign,
    signing_string,
    verify,
)

VECTOR_SECRET = "123ABCDE-456-7890-FGH"
VECTOR_PARAMS = {
    "action": "collection.getCollection",
    "apiKey": "45FD-267-7SG7832",
    "collectionHash": "fxh4k89",
}


def test_the_public_reference_test_vector_passes() -> None:
    assert signing_string(VECTOR_SECRET, VECTOR_PARAMS) == (
        "123ABCDE-456-7890-FGHactioncollection.getCollectionapiKey45FD-267-7SG7832"
        "collectionHashfxh4k89"
    )
    assert sign(VECTOR_SECRET, VECTOR_PARAMS) == "26e781d3d1751d82ec284acf4a019def"


def test_signature_and_file_are_not_signed_but_empty_values_are() -> None:
    base = dict(VECTOR_PARAMS)
    with_extras = {**base, "signature": "x", "file": "binary"}
    assert sign(VECTOR_SECRET, with_extras) == sign(VECTOR_SECRET, base)
    assert sign(VECTOR_SECRET, {**base, "title": ""}) != sign(VECTOR_SECRET, base)


def test_verify_accepts_uppercase_hex_and_refuses_others() -> None:
    good = sign(VECTOR_SECRET, VECTOR_PARAMS)
    assert verify(VECTOR_SECRET, VECTOR_PARAMS, good.upper())
    assert not verify(VECTOR_SECRET, VECTOR_PARAMS, good[:-1] + "0" if good[-1] != "0" else "1")
    assert not verify(VECTOR_SECRET, VECTOR_PARAMS, "")
    assert not verify(VECTOR_SECRET, VECTOR_PARAMS, "é" * 32)


names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


@given(st.dictionaries(names, st.text(max_size=20), max_size=8), st.randoms())
def test_the_signature_ignores_parameter_order(params: dict[str, str], rnd: object) -> None:
    items = list(params.items())
    rnd.shuffle(items)  # type: ignore[attr-defined]
    assert sign("secret", dict(items)) == sign("secret", params)


def test_names_sort_by_code_point() -> None:
    # Uppercase sorts before lowercase in code-point order: "Z" < "a".
    assert signing_string("s", {"a": "1", "Z": "2"}) == "sZ2a1"


# --- HMAC-SHA256 mode: the server holds itself to the client's published test vectors --------

CLIENT_DOC = Path(__file__).resolve().parents[2] / "docs" / "client.md"
VECTOR_ROW = re.compile(r"^\| `collection\.[A-Za-z]+`.* \| `([^`]+)` \| `([0-9a-f]{64})` \|$")


def documented_hmac_vectors() -> list[tuple[str, str]]:
    rows = [VECTOR_ROW.match(line) for line in CLIENT_DOC.read_text("utf-8").splitlines()]
    return [(row.group(1), row.group(2)) for row in rows if row]


def test_the_clients_documented_hmac_vectors_verify_on_the_server() -> None:
    vectors = documented_hmac_vectors()
    assert len(vectors) == 2
    for canonical, signature in vectors:
        params = {unquote(n): unquote(v) for n, v in (p.split("=") for p in canonical.split("&"))}
        assert params["apiKey"] == "45FD-267-7SG7832" and params["signatureMethod"] == HMAC_METHOD
        assert canonical_string(params) == canonical
        assert hmac_sign(VECTOR_SECRET, params) == signature
        assert hmac_verify(VECTOR_SECRET, {**params, "signature": "x"}, signature.upper())


def test_the_canonical_string_encodes_everything_but_unreserved_characters() -> None:
    params = {"b": "a&c=d", "a": "x y+~é/", "signature": "s", "file": "f", "ä": ""}
    assert canonical_string(params) == "%C3%A4=&a=x%20y%2B~%C3%A9%2F&b=a%26c%3Dd"
    assert percent_encode("AZaz09-._~") == "AZaz09-._~"


def test_the_canonical_string_cannot_be_re_split() -> None:
    captured = {"description": "x", "title": "T"}
    assert canonical_string(captured) != canonical_string({"description": "xtitleT"})
    assert signing_string("s", captured) == signing_string("s", {"description": "xtitleT"})
