"""The response envelope in json, jsonp and xml (spec section 1.1; XML shape from the seed)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from xml.sax.saxutils import escape

from starlette.responses import Response

from flipshelf.domain.codes import Code

CALLBACK = re.compile(r"[A-Za-z_$][\w$]{0,63}(\.[A-Za-z_$][\w$]{0,63}){0,3}", re.ASCII)
# Characters XML 1.0 forbids; dropping them keeps every answer well-formed.
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Format(StrEnum):
    JSON = "json"
    JSONP = "jsonp"
    XML = "xml"


@dataclass(frozen=True)
class Encoding:
    format: Format = Format.JSON
    callback: str = ""


def envelope(code: Code, data: Any = None, reason: str | None = None) -> dict[str, Any]:
    """`reason` (a flipshelf extension) says why a call was refused, when the refusal has a
    reason meant for the client (an unreadable file: "password-protected PDF")."""
    body: dict[str, Any] = {"code": int(code), "status": code.status_text}
    if reason:
        body["reason"] = reason
    if data is not None:
        body["data"] = data
    return body


def to_json(body: Mapping[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def to_jsonp(body: Mapping[str, Any], callback: str) -> str:
    # U+2028/2029 end a line in older JavaScript engines; escape them inside strings.
    text = to_json(body).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    # The /**/ prefix defeats content-sniffing attacks that start the body with the callback.
    return f"/**/{callback}({text});"


def _singular(name: str) -> str:
    if name.endswith("Items"):
        return name[:-1]
    if name.endswith("s") and len(name) > 1:
        return name[:-1]
    return f"{name}Item"


def _xml_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(_XML_INVALID.sub("", str(value)))


def _xml_element(name: str, value: Any, out: list[str]) -> None:
    if isinstance(value, Mapping):
        out.append(f"<{name}>")
        for key, item in value.items():
            _xml_element(key, item, out)
        out.append(f"</{name}>")
    elif isinstance(value, list | tuple):
        out.append(f"<{name}>")
        child = _singular(name)
        for item in value:
            _xml_element(child, item, out)
        out.append(f"</{name}>")
    else:
        out.append(f"<{name}>{_xml_text(value)}</{name}>")


def to_xml(body: Mapping[str, Any]) -> str:
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<response>']
    for key, value in body.items():
        _xml_element(key, value, out)
    out.append("</response>")
    return "\n".join(out) + "\n"


def render(body: Mapping[str, Any], encoding: Encoding, request_id: str) -> Response:
    headers = {"X-Request-Id": request_id, "Cache-Control": "no-store"}
    if encoding.format is Format.XML:
        return Response(to_xml(body), 200, headers, "application/xml; charset=utf-8")
    if encoding.format is Format.JSONP:
        # X-Content-Type-Options: nosniff, which JSONP needs most, comes with every answer
        # (web/headers.py).
        return Response(to_jsonp(body, encoding.callback), 200, headers, "application/javascript")
    return Response(to_json(body), 200, headers, "application/json; charset=utf-8")
