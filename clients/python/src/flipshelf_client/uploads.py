"""Upload bodies: multipart/form-data streamed from a path or a binary file object, in chunks,
never read whole into memory, with a progress callback.

The text fields come first and the file part last, so the server can refuse a bad key or
action before it reads a byte of the file (docs/api.md, "Calling it").
"""

from __future__ import annotations

import mimetypes
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import BinaryIO

CHUNK = 256 * 1024

# (bytes sent, total bytes or None when the size cannot be known beforehand)
Progress = Callable[[int, int | None], None]
FileSource = str | os.PathLike[str] | BinaryIO


@dataclass(frozen=True)
class Upload:
    """A file to send: a path (opened when the body is sent, so a retry reads it again) or an
    open binary file object (read from its current position; rewound for a retry when it can
    seek)."""

    source: FileSource
    filename: str | None = None
    on_progress: Progress | None = None
    # Where a seekable stream stood when the call was made: every attempt sends from there
    # (a retry's body is built after the first attempt has read the stream to its end).
    start: int | None = field(init=False, default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.source, str | os.PathLike) and _seekable(self.source):
            object.__setattr__(self, "start", self.source.tell())

    def name(self) -> str:
        """The file name sent in the part's header: only the last path segment, never a
        directory (it may be shown to people as the default title)."""
        if self.filename:
            return PurePath(self.filename).name
        if isinstance(self.source, str | os.PathLike):
            return Path(self.source).name
        found = getattr(self.source, "name", None)
        return PurePath(found).name if isinstance(found, str) else "upload"

    def size(self) -> int | None:
        if isinstance(self.source, str | os.PathLike):
            return Path(self.source).stat().st_size
        return _remaining(self.source, self.start)

    @property
    def rewindable(self) -> bool:
        return isinstance(self.source, str | os.PathLike) or _seekable(self.source)


def _seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _remaining(stream: BinaryIO, start: int | None) -> int | None:
    """Bytes from `start` to the end, for a seekable stream (its position left as it was)."""
    if start is None:
        return None
    position = stream.tell()
    end = stream.seek(0, os.SEEK_END)
    stream.seek(position)
    return end - start


def _quoted(value: str) -> str:
    # As browsers write a part header: no quote or line break can end the parameter early.
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartBody:
    """One multipart/form-data body. Iterate it (`chunks()` or `async_chunks()`) once per send;
    each iteration reads the file again from where it started."""

    def __init__(self, fields: Mapping[str, str], upload: Upload | None) -> None:
        self.boundary = secrets.token_hex(16)
        self.upload = upload
        self._head = b"".join(self._field(name, value) for name, value in fields.items())
        self._file_head = self._file_header(upload) if upload else b""
        self._tail = (b"\r\n" if upload else b"") + f"--{self.boundary}--\r\n".encode()
        self._file_size = upload.size() if upload else 0

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def content_length(self) -> int | None:
        if self._file_size is None:
            return None
        return len(self._head) + len(self._file_head) + self._file_size + len(self._tail)

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": self.content_type}
        if (length := self.content_length) is not None:
            headers["Content-Length"] = str(length)
        return headers

    def _field(self, name: str, value: str) -> bytes:
        return (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'
            f"{value}\r\n"
        ).encode()

    def _file_header(self, upload: Upload) -> bytes:
        name = upload.name()
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{_quoted(name)}"\r\n'
            f"Content-Type: {kind}\r\n\r\n"
        ).encode()

    @contextmanager
    def _opened(self) -> Iterator[BinaryIO]:
        assert self.upload is not None
        source = self.upload.source
        if isinstance(source, str | os.PathLike):
            with open(source, "rb") as stream:
                yield stream
            return
        if self.upload.start is not None:
            source.seek(self.upload.start)
        yield source

    def chunks(self) -> Iterator[bytes]:
        yield self._head
        if self.upload is not None:
            yield self._file_head
            with self._opened() as stream:
                sent, report = 0, self.upload.on_progress
                if report:
                    report(0, self._file_size)
                while chunk := stream.read(CHUNK):
                    sent += len(chunk)
                    yield chunk
                    if report:
                        report(sent, self._file_size)
        yield self._tail

    async def async_chunks(self) -> AsyncIterator[bytes]:
        # Local file reads are short; httpx's own multipart reads files the same way.
        for chunk in self.chunks():
            yield chunk
