from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from flipshelf.api.v1.envelope import CALLBACK, envelope, to_json, to_jsonp, to_xml
from flipshelf.domain.codes import Code

SEED_DATA = {
    "collectionHash": "d3m0h45h",
    "collectionTitle": "Lorem ipsum",
    "collectionStatus": "published",
    "collectionItems": [
        {
            "flipbookHash": "7c5e600d4459fe4e04d23ae5ei188777",
            "flipbookTitle": "Lorem ipsum",
            "extension": "pdf",
            "convertStatus": "COMPLETE",
        }
    ],
    "settings": {"collectionWidth": "640", "collectionHeight": "385"},
}

SEED_XML = """<?xml version="1.0" encoding="utf-8"?>
<response>
<code>20</code>
<status>OK</status>
<data>
<collectionHash>d3m0h45h</collectionHash>
<collectionTitle>Lorem ipsum</collectionTitle>
<collectionStatus>published</collectionStatus>
<collectionItems>
<collectionItem>
<flipbookHash>7c5e600d4459fe4e04d23ae5ei188777</flipbookHash>
<flipbookTitle>Lorem ipsum</flipbookTitle>
<extension>pdf</extension>
<convertStatus>COMPLETE</convertStatus>
</collectionItem>
</collectionItems>
<settings>
<collectionWidth>640</collectionWidth>
<collectionHeight>385</collectionHeight>
</settings>
</data>
</response>
"""


def test_xml_reproduces_the_seed_response_line_for_line() -> None:
    assert to_xml(envelope(Code.OK, SEED_DATA)) == SEED_XML


def test_json_reproduces_the_seed_response() -> None:
    assert json.loads(to_json(envelope(Code.OK, SEED_DATA))) == {
        "code": 20,
        "status": "OK",
        "data": SEED_DATA,
    }


def test_errors_carry_no_data() -> None:
    assert envelope(Code.INVALID_SIGNATURE) == {"code": 44, "status": "Invalid signature"}


def test_lists_are_named_by_their_singular() -> None:
    body = to_xml({"collections": [{"a": 1}], "pages": [{"page": 1}]})
    root = ET.fromstring(body)
    assert [c.tag for c in root.find("collections")] == ["collection"]
    assert [c.tag for c in root.find("pages")] == ["page"]


def test_xml_drops_characters_xml_forbids_and_escapes_markup() -> None:
    body = to_xml(envelope(Code.OK, {"collectionTitle": "a\x00b\x1f<c>&\ufffe"}))
    assert ET.fromstring(body).findtext("data/collectionTitle") == "ab<c>&"


def test_jsonp_is_prefixed_and_escapes_line_separators() -> None:
    body = to_jsonp({"t": "a\u2028b"}, "cb")
    assert body.startswith("/**/cb(") and body.endswith(");")
    assert "\u2028" not in body


def test_callback_pattern() -> None:
    for good in ("cb", "$", "a.b.c.d", "_x1", "jQuery123_456"):
        assert CALLBACK.fullmatch(good)
    for bad in ("1cb", "a.b.c.d.e", "alert(1)", "a-b", "", "x" * 65, "é"):
        assert not CALLBACK.fullmatch(bad)


def _parse_jsonp(body: str) -> object:
    match = re.fullmatch(r"/\*\*/([\w$.]+)\((.*)\);", body, re.S)
    assert match
    return json.loads(match.group(2))


@given(st.text())
def test_any_unicode_title_survives_json_jsonp_and_xml(title: str) -> None:
    body = envelope(Code.OK, {"collectionTitle": title})
    assert json.loads(to_json(body))["data"]["collectionTitle"] == title
    assert _parse_jsonp(to_jsonp(body, "cb")) == json.loads(to_json(body))
    parsed = ET.fromstring(to_xml(body).encode()).findtext("data/collectionTitle") or ""
    allowed = re.sub("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", "", title)
    # XML parsers normalise line ends to \n.
    assert parsed == allowed.replace("\r\n", "\n").replace("\r", "\n")
