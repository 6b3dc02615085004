from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flipshelf.api.v1.signature import sign, signing_string, verify

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
