"""Errors as a designed API: every failure a client can cause, and the one place it maps to a code.

Services raise these; the protocol layer turns `error.code` into the envelope. `detail` is for logs
and tests, never sent to the client. `reason`, when a refusal has one, is written for the client
and sent as the envelope's `reason` (a flipshelf extension): only short, fixed wording that holds
no path, no library message and nothing of the request.
"""

from __future__ import annotations

from flipshelf.domain.codes import Code


class FlipshelfError(Exception):
    """A refusal with a v1 code. Subclasses fix the code."""

    code: Code = Code.BAD_REQUEST

    def __init__(self, detail: str = "", *, reason: str | None = None) -> None:
        super().__init__(detail or self.code.status_text)
        self.detail = detail
        self.reason = reason


class Maintenance(FlipshelfError):
    code = Code.MAINTENANCE


class MissingParameter(FlipshelfError):
    code = Code.MISSING_PARAMETER


class BadRequest(FlipshelfError):
    code = Code.BAD_REQUEST


class RatePerSecondExceeded(FlipshelfError):
    code = Code.RATE_PER_SECOND


class RatePerMinuteExceeded(FlipshelfError):
    code = Code.RATE_PER_MINUTE


class UploadQuotaExceeded(FlipshelfError):
    code = Code.UPLOADS_PER_MONTH


class FileTooLarge(FlipshelfError):
    code = Code.FILE_TOO_LARGE


class TooManyPages(FlipshelfError):
    code = Code.TOO_MANY_PAGES


class MultipleFiles(FlipshelfError):
    code = Code.MULTIPLE_FILES


class LastFlipbook(FlipshelfError):
    code = Code.LAST_FLIPBOOK


class CollectionProcessing(FlipshelfError):
    code = Code.PROCESSING


class InvalidCredentials(FlipshelfError):
    code = Code.INVALID_CREDENTIALS


class InvalidAction(FlipshelfError):
    code = Code.INVALID_ACTION


class Forbidden(FlipshelfError):
    code = Code.FORBIDDEN


class InvalidSignature(FlipshelfError):
    code = Code.INVALID_SIGNATURE


class InvalidFileFormat(FlipshelfError):
    code = Code.INVALID_FILE_FORMAT


class InvalidCollectionHash(FlipshelfError):
    code = Code.INVALID_COLLECTION_HASH


# The dashboard's sign-in. Never sent through the v1 API; the dashboard shows them as pages.
class SignInRefused(FlipshelfError):
    """A wrong name or password (which of the two is not said)."""

    code = Code.INVALID_CREDENTIALS


class SignInThrottled(FlipshelfError):
    """Too many failed attempts: the next is not checked before `retry_after` seconds."""

    code = Code.INVALID_CREDENTIALS

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-in attempts; try again in {retry_after} s")
        self.retry_after = retry_after


class LoginLinkRefused(FlipshelfError):
    """A login link that is tampered with, expired or used already (`kind` says which)."""

    code = Code.INVALID_CREDENTIALS

    def __init__(self, kind: str) -> None:
        super().__init__(f"login link {kind}")
        self.kind = kind
