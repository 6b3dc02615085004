"""Reading parameters from the request body, bounded, without holding files in memory.

Non-upload actions only ever need small text fields. A multipart body is parsed as it streams
and any file part in it is counted and discarded: uploads have their own reader.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, cast

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from flipshelf.api.v1.params import Params

if TYPE_CHECKING:  # the TypedDict exists for type checkers only
    from python_multipart.multipart import MultipartCallbacks

MAX_FORM_BYTES = 1024 * 1024
MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 200


class BodyTooLarge(Exception):
    """A body for a non-upload action beyond MAX_FORM_BYTES: answered 40."""


def content_type(request: Request) -> tuple[str, dict[bytes, bytes]]:
    raw = request.headers.get("content-type", "")
    kind, options = parse_options_header(raw)
    return kind.decode("latin-1").lower(), options


async def _bounded(chunks: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    seen = 0
    async for chunk in chunks:
        seen += len(chunk)
        if seen > limit:
            raise BodyTooLarge()
        yield chunk


async def read_urlencoded(request: Request, params: Params) -> None:
    body = bytearray()
    async for chunk in _bounded(request.stream(), MAX_FORM_BYTES):
        body += chunk
    params.add_query(bytes(body))


class _FieldCollector:
    """Callbacks for python-multipart's low-level parser: keeps text fields, counts files."""

    def __init__(self, params: Params) -> None:
        self.params = params
        self.file_parts = 0
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._is_file = False
        self._data = bytearray()
        self._fields = 0

    def on_part_begin(self) -> None:
        self._disposition, self._is_file, self._data = b"", False, bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "surrogateescape")
        self._is_file = b"filename" in options
        if self._is_file:
            self.file_parts += 1

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            return
        self._data += data[start:end]
        if len(self._data) > MAX_FIELD_BYTES:
            raise BodyTooLarge()

    def on_part_end(self) -> None:
        if self._is_file:
            return
        self._fields += 1
        if self._fields > MAX_FIELDS:
            raise BodyTooLarge()
        self.params.add(self._name, bytes(self._data).decode("utf-8", "surrogateescape"))


async def read_multipart_fields(request: Request, params: Params, boundary: bytes) -> int:
    """Adds the text fields to `params`; answers how many file parts the body held."""
    collector = _FieldCollector(params)
    parser = MultipartParser(boundary, callbacks=_callbacks(collector))
    async for chunk in _bounded(request.stream(), MAX_FORM_BYTES):
        parser.write(chunk)
    parser.finalize()
    return collector.file_parts


def _callbacks(collector: _FieldCollector) -> MultipartCallbacks:
    names = (
        "on_part_begin",
        "on_header_field",
        "on_header_value",
        "on_header_end",
        "on_headers_finished",
        "on_part_data",
        "on_part_end",
    )
    return cast("MultipartCallbacks", {name: getattr(collector, name) for name in names})
