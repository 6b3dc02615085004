"""Recognise a file's type from its first bytes; the client's file name and MIME type are unused.

This is only the first half of detection: a file that starts like a PDF is not a PDF until PDFium
has opened it (see `inspect.py`). Pure functions of bytes, so they are unit-tested without files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

DocumentKind = Literal["pdf", "jpg", "png"]
ImageKind = Literal["jpg", "png", "gif", "webp"]
Kind = Literal["pdf", "jpg", "png", "gif", "webp"]

# PDF readers accept junk before the header if the header is within the first 1024 bytes
# (ISO 32000 implementation note); files from some mail gateways and CMSs rely on it.
PDF_HEADER_WINDOW = 1024
HEAD_BYTES = PDF_HEADER_WINDOW + 8


def sniff_bytes(head: bytes) -> Kind | None:
    """The type announced by a file's first bytes, or None when no accepted type matches."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if b"%PDF-" in head[: PDF_HEADER_WINDOW + 5]:
        return "pdf"
    return None


def sniff_file(path: Path) -> Kind | None:
    """`sniff_bytes` of the start of the file at `path`."""
    with path.open("rb") as file:
        return sniff_bytes(file.read(HEAD_BYTES))


def as_document_kind(kind: Kind | None) -> DocumentKind | None:
    """Narrow a sniffed type to the ones accepted as flipbook documents."""
    if kind == "pdf" or kind == "jpg" or kind == "png":
        return kind
    return None


def as_image_kind(kind: Kind | None) -> ImageKind | None:
    """Narrow a sniffed type to the ones accepted as logos and backgrounds."""
    if kind == "jpg" or kind == "png" or kind == "gif" or kind == "webp":
        return kind
    return None


# Readers look for the end-of-file marker in the last kilobyte; we allow a little more trailing
# junk. A file cut short in transfer loses it, and PDFium would otherwise "repair" such a file
# and quietly show blank or missing pages.
PDF_EOF_WINDOW = 4096


def pdf_tail_is_complete(tail: bytes) -> bool:
    """True when the last bytes of a PDF hold its `%%EOF` marker."""
    return b"%%EOF" in tail[-PDF_EOF_WINDOW:]


def read_tail(path: Path, size: int = PDF_EOF_WINDOW) -> bytes:
    """The last `size` bytes of a file (all of it when it is shorter)."""
    with path.open("rb") as file:
        file.seek(0, 2)
        length = file.tell()
        file.seek(max(0, length - size))
        return file.read()
