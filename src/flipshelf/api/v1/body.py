"""Reading parameters (and at most one file) from the request body as it streams.

Nothing is held in memory beyond one network chunk: text fields are small and capped, a file part
goes straight to a staging file (`staging.py`). Before the first byte of a file is read, `on_file`
runs the checks the fields seen so far allow (credentials, action, verb), so a refused request
stores nothing and costs no more than its headers. A body that ends before its closing boundary
(cut short, or a client gone) is malformed: its partial file is removed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.requests import Request

from flipshelf.api.v1.params import Params
from flipshelf.api.v1.staging import Reservation, StagedFile, Stager, StagingBudget
from flipshelf.domain.errors import BadRequest, MultipleFiles

if TYPE_CHECKING:  # the TypedDict exists for type checkers only
    from python_multipart.multipart import MultipartCallbacks

MAX_FORM_BYTES = 1024 * 1024
MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 200
FILE_FIELD = "file"


class BodyTooLarge(Exception):
    """The text part of a body beyond MAX_FORM_BYTES or MAX_FIELDS: answered 40."""


FileGate = Callable[[Params], Awaitable[bool]]
"""Runs before a file part is read; raises to refuse, answers False to skip (discard) the file."""


def content_type(request: Request) -> tuple[str, dict[bytes, bytes]]:
    raw = request.headers.get("content-type", "")
    kind, options = parse_options_header(raw)
    return kind.decode("latin-1").lower(), options


async def read_urlencoded(request: Request, params: Params) -> None:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise BodyTooLarge()
    params.add_query(bytes(body))


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


@dataclass
class MultipartBody:
    file_parts: int = 0
    staged: StagedFile | None = None
    # The staged bytes this request holds against its apiKey's and address's budget, until it
    # ends (the endpoint releases it).
    reservation: Reservation | None = None

    def discard(self) -> None:
        """Removes the staged file, if any, and gives its bytes back to the budget."""
        if self.staged is not None:
            self.staged.discard()
            self.staged = None
        if self.reservation is not None:
            self.reservation.release()


@dataclass(frozen=True)
class Staging:
    """Where and how much a request may stage: the directory, the per-file cap, the budget
    shared by the requests of one apiKey and of one client address."""

    directory: Path
    max_file_bytes: int
    budget: StagingBudget
    address: str


@dataclass
class _State:
    body: MultipartBody
    staging: Staging
    stager: Stager | None = None
    skipping: bool = False
    fields: int = 0


async def read_multipart(
    request: Request, params: Params, boundary: bytes, *, gate: FileGate, staging: Staging
) -> MultipartBody:
    collector = _Collector()
    parser = MultipartParser(boundary, callbacks=collector.callbacks())
    state = _State(MultipartBody(), staging)
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            await _consume(collector, state, params, gate)
        parser.finalize()
        await _consume(collector, state, params, gate)
        if parser.state is not MultipartState.END or state.stager is not None:
            # python-multipart's finalize() does not check this itself.
            raise MultipartParseError("the body ends before its closing boundary")
    except BaseException:
        if state.stager is not None:
            state.stager.abandon()
        state.body.discard()
        raise
    return state.body


async def _consume(collector: _Collector, state: _State, params: Params, gate: FileGate) -> None:
    events, collector.events = collector.events, []
    for event in events:
        if event[0] == "field":
            state.fields += 1
            if state.fields > MAX_FIELDS:
                raise BodyTooLarge()
            params.add(event[1], event[2])
        elif event[0] == "file":
            state.body.file_parts += 1
            if state.body.file_parts > 1:
                raise MultipleFiles("more than one file part")
            if event[1] != FILE_FIELD:
                raise BadRequest(f"the file part must be named {FILE_FIELD!r}")
            state.skipping = not await gate(params)
            if not state.skipping:
                staging = state.staging
                reservation = staging.budget.reservation(params.present("apiKey"), staging.address)
                state.body.reservation = reservation
                state.stager = Stager(
                    staging.directory, staging.max_file_bytes, event[2], reservation
                )
        elif event[0] == "data" and state.stager is not None:
            state.stager.write(event[1])
        elif event[0] == "end" and state.stager is not None:
            state.body.staged = state.stager.finish()
            state.stager = None
