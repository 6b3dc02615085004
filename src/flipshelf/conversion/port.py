"""The conversion package as the services' ports see it: its errors become v1 refusals."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from flipshelf.conversion import errors
from flipshelf.conversion.detection import inspect_document, reencode_image
from flipshelf.conversion.options import ConversionOptions, ResourceLimits
from flipshelf.domain.errors import InvalidFileFormat, TooManyPages
from flipshelf.services.ports import DocumentInfo

# A file PDFium cannot open within its limits (a crash, a memory bomb) is refused as a bad
# file: from the client's side it is one.

INSPECTION_LIMITS = ResourceLimits(memory_bytes=1024 * 1024 * 1024, cpu_seconds=20, wall_seconds=30)

# Logos and backgrounds are shown at most screen-sized: keep them no larger than this.
MAX_IMAGE_SIDE = 2400


class ConversionInspector:
    """Opens uploads in a resource-limited worker process (never PDFium in the API process)."""

    def __init__(self, options: ConversionOptions) -> None:
        # Opening a file to count pages takes milliseconds; a file that needs more is hostile,
        # and it runs while an API request waits.
        self._options = replace(options, limits=INSPECTION_LIMITS)

    def inspect(self, path: Path, max_pages: int) -> DocumentInfo:
        try:
            info = inspect_document(path, replace(self._options, max_pages=max_pages))
        except errors.ConversionError as refused:
            raise InvalidFileFormat(refused.reason) from None
        if info.page_count > max_pages:
            raise TooManyPages(f"{info.page_count} pages, the limit is {max_pages}")
        return DocumentInfo(info.extension, info.page_count)

    def reencode(self, source: Path, target: Path) -> str:
        try:
            image = reencode_image(source, target, MAX_IMAGE_SIDE, self._options)
        except errors.ConversionError as refused:
            raise InvalidFileFormat(refused.reason) from None
        return "png" if image.format == "png" else "jpg"
