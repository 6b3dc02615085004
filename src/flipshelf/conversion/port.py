"""The conversion package as the services' ports see it: its errors become v1 refusals."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import structlog

from flipshelf.conversion import errors
from flipshelf.conversion.checker import NoVerdict, UploadChecker
from flipshelf.conversion.detection import document_kind, image_kind
from flipshelf.conversion.options import ConversionOptions, ResourceLimits
from flipshelf.domain.errors import InvalidFileFormat, Maintenance, TooManyPages
from flipshelf.services.ports import DocumentInfo

log = structlog.get_logger("flipshelf.uploads")

# Per upload, in a checker process. A file PDFium cannot open within these (a crash, a memory
# bomb, a parser loop) is refused as a bad file: from the client's side it is one. Wall-clock
# time is no limit here: see `UploadChecker`.
CHECK_LIMITS = ResourceLimits(memory_bytes=1024 * 1024 * 1024, cpu_seconds=20, wall_seconds=None)

# Logos and backgrounds are shown at most screen-sized: keep them no larger than this.
MAX_IMAGE_SIDE = 2400

# A logo has no later worker to judge it, so its re-encoding is waited for longer than a count.
REENCODE_SECONDS_FACTOR = 6


class ConversionInspector:
    """Checks uploads in the API's checker processes (never PDFium in the API process)."""

    def __init__(
        self, options: ConversionOptions, processes: int = 2, check_seconds: float = 5.0
    ) -> None:
        self._checker = UploadChecker(replace(options, limits=CHECK_LIMITS), processes)
        self._seconds = check_seconds

    def inspect(self, path: Path, max_pages: int) -> DocumentInfo:
        try:
            kind = document_kind(path)
            count = self._checker.count_pages(path, kind, self._seconds)
        except NoVerdict as busy:
            # Accepted unchecked: its conversion worker opens it anyway and fails it with the
            # reason if it is bad. Refusing it as invalid would lose a good file for a client.
            log.warning("upload accepted unchecked; its conversion will judge it", why=str(busy))
            return DocumentInfo(kind, None)
        except errors.ConversionError as refused:
            raise InvalidFileFormat(refused.reason, reason=refused.reason) from None
        if count > max_pages:
            limit = f"{count} pages; the limit is {max_pages}"
            raise TooManyPages(limit, reason=f"{errors.PAGE_LIMIT_EXCEEDED}: {limit}")
        return DocumentInfo(kind, count)

    def reencode(self, source: Path, target: Path) -> str:
        seconds = self._seconds * REENCODE_SECONDS_FACTOR
        try:
            image_kind(source)
            image = self._checker.reencode(source, target, MAX_IMAGE_SIDE, seconds)
        except NoVerdict:
            raise Maintenance("the server is too busy to check this image; try again") from None
        except errors.ConversionError as refused:
            raise InvalidFileFormat(refused.reason, reason=refused.reason) from None
        return "png" if image.format == "png" else "jpg"

    def warm_up(self) -> None:
        self._checker.warm_up()

    def checker_pids(self) -> list[int]:
        """Process ids of the idle checker processes (for operators and tests)."""
        return self._checker.idle_pids()

    def close(self) -> None:
        self._checker.close()
