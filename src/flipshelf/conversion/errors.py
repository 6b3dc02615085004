"""What can go wrong when turning an upload into pages.

Every error carries a short human `reason` that is safe to show to the uploader (it becomes the
flipbook's `convertError`); none of them holds a path or a library's internal message.
The API maps `UnsupportedDocument` to code 45 and `PageLimitExceeded` to code 35; the job layer
marks the item FAILED with the reason for any of them.
"""

from __future__ import annotations


class ConversionError(Exception):
    """Base of every error this package raises on purpose."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsupportedDocument(ConversionError):
    """Not an accepted type, or cannot be parsed (corrupt, truncated, encrypted, a pixel bomb)."""


class PageLimitExceeded(ConversionError):
    """The document has more pages than the server accepts; found before any page is rendered."""

    def __init__(self, page_count: int, limit: int) -> None:
        super().__init__(PAGE_LIMIT_EXCEEDED)
        self.page_count = page_count
        self.limit = limit


class ConversionFailed(ConversionError):
    """The document was accepted but could not be rendered (the renderer crashed or timed out)."""


class ResourceLimitExceeded(ConversionFailed):
    """A worker ran out of its memory, CPU time or wall-clock allowance."""


# Stable reasons, so callers and tests do not depend on wording scattered through the code.
NOT_A_DOCUMENT = "not a PDF, JPEG or PNG"
NOT_AN_IMAGE = "not a JPEG, PNG, GIF or WebP image"
PASSWORD_PROTECTED = "password-protected PDF"  # noqa: S105 (a reason, not a password)
CORRUPT_PDF = "corrupt PDF"
TRUNCATED_PDF = "truncated PDF"
CORRUPT_IMAGE = "corrupt or truncated image"
IMAGE_TOO_LARGE = "image too large"
OUT_OF_MEMORY = "out of memory"
CPU_TIME_EXCEEDED = "CPU time limit exceeded"
TIME_EXCEEDED = "took too long"
RENDERER_CRASHED = "the renderer crashed"
PAGE_LIMIT_EXCEEDED = "page limit exceeded"
WORKER_DIED = "the worker stopped while converting it, at every attempt"
