"""Is this upload a document we accept, and how many pages has it? Also: re-encoding logos.

Type is decided by content: the magic bytes choose the parser, and the file counts as that type only
once the parser has opened it. The parsing runs in a resource-limited worker process, because these
functions are called from the API process (to answer codes 45 and 35 at upload time), which serves
many requests on threads and must not run PDFium (not thread-safe) or crash with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flipshelf.conversion import errors
from flipshelf.conversion.images import ReencodedImage
from flipshelf.conversion.messages import Count, Counted, Reencode, Reencoded, expect
from flipshelf.conversion.options import ConversionOptions
from flipshelf.conversion.pool import WorkerPool
from flipshelf.conversion.sniff import (
    DocumentKind,
    ImageKind,
    as_document_kind,
    as_image_kind,
    sniff_file,
)
from flipshelf.conversion.worker import WorkerJob


@dataclass(frozen=True)
class DocumentInfo:
    """What `inspect_document` learnt: the confirmed type and the number of pages."""

    kind: DocumentKind
    page_count: int

    @property
    def extension(self) -> str:
        """The flipbook's `extension` in the API: from the content, never the client's name."""
        return self.kind


def document_kind(path: Path) -> DocumentKind:
    """The document type announced by the file's first bytes (not yet confirmed by parsing)."""
    kind = as_document_kind(sniff_file(path))
    if kind is None:
        raise errors.UnsupportedDocument(errors.NOT_A_DOCUMENT)
    return kind


def image_kind(path: Path) -> ImageKind:
    """The logo/background image type announced by the file's first bytes (not yet confirmed)."""
    kind = as_image_kind(sniff_file(path))
    if kind is None:
        raise errors.UnsupportedDocument(errors.NOT_AN_IMAGE)
    return kind


def inspect_document(path: Path, options: ConversionOptions | None = None) -> DocumentInfo:
    """Confirm the type by opening the file and count its pages, rendering nothing.

    Raises UnsupportedDocument for anything that is not a readable PDF, JPEG or PNG (encrypted,
    corrupt, truncated, an image over the pixel limit). Cheap: PDFium reads only the page tree.
    """
    options = options or ConversionOptions()
    kind = document_kind(path)
    with WorkerPool(WorkerJob(path, kind, None, options)) as pool:
        pool.send(pool.start(), Count())
        counted = expect(pool.receive()[1], Counted)
    return DocumentInfo(kind=kind, page_count=counted.count)


def detect_document_type(path: Path, options: ConversionOptions | None = None) -> DocumentKind:
    """ "pdf", "jpg" or "png", decided by content and confirmed by opening.

    Raises UnsupportedDocument for anything else (see `inspect_document`).
    """
    return inspect_document(path, options).kind


def reencode_image(
    src: Path, dst: Path, max_side: int, options: ConversionOptions | None = None
) -> ReencodedImage:
    """Re-encode an uploaded logo or background (JPEG, PNG, GIF or WebP) into `dst`.

    The result is upright (EXIF orientation applied), sRGB, without metadata, no longer than
    `max_side` on either side, and PNG or JPEG (see `ReencodedImage.format`). Raises
    UnsupportedDocument for other types, corrupt files and images over the pixel limit.
    """
    options = options or ConversionOptions()
    image_kind(src)
    command = Reencode(str(src), str(dst), max_side)
    with WorkerPool(WorkerJob(src, "image", None, options)) as pool:
        pool.send(pool.start(), command)
        return expect(pool.receive()[1], Reencoded).image
