"""Streaming request bodies to local staging files: the one upload path of the v1 API and the
dashboard.

Nothing is held in memory beyond one network chunk: text fields are small and capped, a file part
goes straight to a staging file with a byte cap (FileTooLarge past it). Before the first byte of a
file is read, a gate runs the checks the fields seen so far allow (credentials, action, CSRF), so
a refused request stores nothing and costs no more than its headers. A body that ends before its
closing boundary (cut short, or a client gone) is malformed: its partial file is removed. What
one client may hold in staging at once is capped (`staging_limits.py`). A fileUrl is fetched
through the guarded fetcher into the same staging directory.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal, Protocol, cast
from urllib.parse import unquote, urlsplit

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.requests import Request

from flipshelf.domain.errors import BadRequest, FileTooLarge, MultipleFiles
from flipshelf.web.staging_limits import Reservation

if TYPE_CHECKING:  # the TypedDict exists for type checkers only
    from python_multipart.multipart import MultipartCallbacks

MAX_FORM_BYTES = 1024 * 1024
MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 200
FILE_FIELD = "file"
MAX_URL_LENGTH = 2048


class BodyTooLarge(Exception):
    """The text part of a body beyond MAX_FORM_BYTES or MAX_FIELDS."""


@dataclass
class StagedFile:
    """An uploaded file, complete and fsynced in the staging directory. The client's file name
    is kept only as a default title: it never names anything stored."""

    path: Path
    size: int
    client_name: str

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


Gate = Callable[[], Awaitable[bool]]
"""Runs before a file part is read; raises to refuse, answers False to skip (discard) the file."""
FieldSink = Callable[[str, str], None]


def content_type(request: Request) -> tuple[str, dict[bytes, bytes]]:
    raw = request.headers.get("content-type", "")
    kind, options = parse_options_header(raw)
    return kind.decode("latin-1").lower(), options


async def read_capped(request: Request, max_bytes: int = MAX_FORM_BYTES) -> bytes:
    """A small body (a urlencoded form), refused past `max_bytes`."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise BodyTooLarge()
    return bytes(body)


Event = (
    tuple[Literal["field"], str, str]
    | tuple[Literal["file"], str, str]
    | tuple[Literal["data"], bytes]
    | tuple[Literal["end"]]
)


@dataclass
class _Collector:
    """python-multipart's callbacks, turned into a list of events the async loop consumes."""

    events: list[Event] = field(default_factory=list)
    header_name: bytes = b""
    header_value: bytes = b""
    disposition: bytes = b""
    is_file: bool = False
    name: str = ""
    data: bytearray = field(default_factory=bytearray)
    text_bytes: int = 0

    def on_part_begin(self) -> None:
        self.disposition, self.is_file, self.data = b"", False, bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.header_name.lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header_name, self.header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        self.name = options.get(b"name", b"").decode("utf-8", "surrogateescape")
        self.is_file = b"filename" in options
        if self.is_file:
            client_name = options[b"filename"].decode("utf-8", "replace")
            self.events.append(("file", self.name, client_name))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.is_file:
            self.events.append(("data", bytes(data[start:end])))
            return
        self.data += data[start:end]
        self.text_bytes += end - start
        if len(self.data) > MAX_FIELD_BYTES or self.text_bytes > MAX_FORM_BYTES:
            raise BodyTooLarge()

    def on_part_end(self) -> None:
        if self.is_file:
            self.events.append(("end",))
        else:
            self.events.append(("field", self.name, self.data.decode("utf-8", "surrogateescape")))

    def callbacks(self) -> MultipartCallbacks:
        names = (
            "on_part_begin",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
            "on_part_data",
            "on_part_end",
        )
        return cast("MultipartCallbacks", {name: getattr(self, name) for name in names})


def _staging_file(staging_dir: Path, prefix: str) -> tuple[int, Path]:
    staging_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=staging_dir, prefix=prefix, suffix=".part")
    return fd, Path(name)


class _Stager:
    """Writes one file part to a staging file, enforcing the byte cap and the client's staging
    budget (its reservation) as it goes."""

    def __init__(
        self, staging_dir: Path, max_bytes: int, client_name: str, reservation: Reservation | None
    ) -> None:
        fd, self.path = _staging_file(staging_dir, "upload-")
        self.handle = os.fdopen(fd, "wb")
        self.size, self.max_bytes = 0, max_bytes
        self.client_name = client_name
        self.reservation = reservation

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise FileTooLarge(f"upload over {self.max_bytes} bytes")
        if self.reservation is not None:
            self.reservation.take(len(data))
        self.handle.write(data)

    def finish(self) -> StagedFile:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        return StagedFile(self.path, self.size, self.client_name)

    def abandon(self) -> None:
        self.handle.close()
        self.path.unlink(missing_ok=True)


@dataclass
class MultipartBody:
    file_parts: int = 0
    staged: StagedFile | None = None
    # The staged bytes this request holds against its client's budget, until it ends.
    reservation: Reservation | None = None

    def discard(self) -> None:
        """Removes the staged file, if any, and gives its bytes back to the budget."""
        if self.staged is not None:
            self.staged.discard()
            self.staged = None
        if self.reservation is not None:
            self.reservation.release()


@dataclass(frozen=True)
class StagingRules:
    """Where a file part goes, how large it may be, and (`reserve`) the budget of the client
    sending it, asked for when its file starts (the fields before it may name the client)."""

    staging_dir: Path
    max_file_bytes: int
    reserve: Callable[[], Reservation] | None = None


@dataclass
class _State:
    body: MultipartBody
    on_field: FieldSink
    gate: Gate
    rules: StagingRules
    stager: _Stager | None = None
    fields: int = 0


async def read_multipart(
    request: Request, boundary: bytes, on_field: FieldSink, gate: Gate, rules: StagingRules
) -> MultipartBody:
    """Streams a multipart body: text fields to `on_field`, at most one file part (named
    FILE_FIELD) to a staging file once `gate` allowed it. On any failure nothing is kept."""
    collector = _Collector()
    parser = MultipartParser(boundary, callbacks=collector.callbacks())
    state = _State(MultipartBody(), on_field, gate, rules)
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            await _consume(collector, state)
        parser.finalize()
        await _consume(collector, state)
        if parser.state is not MultipartState.END or state.stager is not None:
            # python-multipart's finalize() does not check this itself.
            raise MultipartParseError("the body ends before its closing boundary")
    except BaseException:
        if state.stager is not None:
            state.stager.abandon()
        state.body.discard()
        raise
    return state.body


async def _consume(collector: _Collector, state: _State) -> None:
    events, collector.events = collector.events, []
    for event in events:
        if event[0] == "field":
            state.fields += 1
            if state.fields > MAX_FIELDS:
                raise BodyTooLarge()
            state.on_field(event[1], event[2])
        elif event[0] == "file":
            state.body.file_parts += 1
            if state.body.file_parts > 1:
                raise MultipleFiles("more than one file part")
            if event[1] != FILE_FIELD:
                raise BadRequest(f"the file part must be named {FILE_FIELD!r}")
            if await state.gate():
                rules = state.rules
                reservation = rules.reserve() if rules.reserve is not None else None
                state.body.reservation = reservation
                state.stager = _Stager(
                    rules.staging_dir, rules.max_file_bytes, event[2], reservation
                )
        elif event[0] == "data" and state.stager is not None:
            state.stager.write(event[1])
        elif event[0] == "end" and state.stager is not None:
            state.body.staged = state.stager.finish()
            state.stager = None


class UrlFetcher(Protocol):
    async def fetch(self, url: str, target: Path) -> None: ...


def check_file_url(url: str) -> str:
    if len(url) > MAX_URL_LENGTH:
        raise BadRequest("fileUrl is too long")
    return url


async def stage_url(fetcher: UrlFetcher, staging_dir: Path, url: str) -> StagedFile:
    """A fileUrl fetched (SSRF guard, byte cap, deadline: the fetcher's) into a staging file."""
    descriptor, target = _staging_file(staging_dir, "fetch-")
    os.close(descriptor)
    try:
        await fetcher.fetch(check_file_url(url), target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return StagedFile(target, target.stat().st_size, _name_in_url(url))


def _name_in_url(url: str) -> str:
    return PurePosixPath(unquote(urlsplit(url).path)).name
