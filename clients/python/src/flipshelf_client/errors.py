"""Every way a call can fail, as one hierarchy under `FlipshelfError`.

A refusal by the server (an envelope whose code is not 20) is an `ApiError` subclass chosen by
its code; groups (`RateLimited`, `NotFound`, `AuthenticationError`, `UploadRejected`) let callers
catch a family. Failures below the API (network, a non-JSON answer) are `TransportError` and
`ProtocolError`. Nothing here holds a secret or a signature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flipshelf_client.models import Collection


class FlipshelfError(Exception):
    """The base of every error this package raises.

    `code` and `status` are the envelope's (None when there was no envelope), `reason` its
    `reason` field when the server sent one, `request_id` the `X-Request-Id` header to quote
    when reporting a problem."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        status: str | None = None,
        reason: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.status, self.reason, self.request_id = code, status, reason, request_id


class ConfigurationError(FlipshelfError):
    """No base URL, key or secret could be found, or a profile file is unreadable."""


class TransportError(FlipshelfError):
    """The server could not be reached, or the connection broke (wraps httpx's error)."""


class ProtocolError(FlipshelfError):
    """The server answered, but not with a v1 envelope (wrong URL, a proxy's error page...)."""


class GatewayUnavailable(ProtocolError):
    """A proxy in front of the server answered 502, 503 or 504: the server is restarting or
    overloaded. Waits (`wait_until_complete`, `download_package`) try again."""


class ApiError(FlipshelfError):
    """The server refused the call: an envelope whose code is not 20."""


class Maintenance(ApiError):
    """22: the server is in maintenance mode; try again later."""


class MissingParameter(ApiError):
    """30: a required parameter is missing or empty."""


class RateLimited(ApiError):
    """31 or 32: the key's per-second or per-minute window is full. `retry_after` is how many
    seconds to wait before a retry may pass."""

    retry_after: float = 1.0


class PerSecondLimit(RateLimited):
    """31: more calls in the last second than the server allows."""

    retry_after = 1.0


class PerMinuteLimit(RateLimited):
    """32: more calls in the last minute than the server allows."""

    retry_after = 5.0


class UploadRejected(ApiError):
    """An upload refused for what it is or for the account's quota (33, 34, 35, 36, 45)."""


class UploadQuotaExceeded(UploadRejected):
    """33: the account's uploads for this month are used up."""


class FileTooLarge(UploadRejected):
    """34: the file (or the fetched fileUrl) is over the server's size limit."""


class TooManyPages(UploadRejected):
    """35: the document has more pages than the server allows."""


class MultipleFiles(UploadRejected):
    """36: more than one file part."""


class InvalidFileFormat(UploadRejected):
    """45: not a PDF, JPEG or PNG (GIF and WebP too for logos and backgrounds), or unreadable."""


class LastFlipbook(ApiError):
    """37: the only flipbook of a collection cannot be deleted."""


class CollectionProcessing(ApiError):
    """38: an item of the collection is still converting."""


class BadRequest(ApiError):
    """40: wrong verb, malformed request, a bad parameter value, or a refused fileUrl."""


class AuthenticationError(ApiError):
    """The key pair was not accepted (41, 44)."""


class InvalidCredentials(AuthenticationError):
    """41: unknown or revoked apiKey."""


class InvalidSignature(AuthenticationError):
    """44: the signature does not match (or, in strict mode, a stale timestamp or reused nonce).
    Check the secret and the signing method."""


class InvalidAction(ApiError):
    """42: the server does not know this action (an older server, or not flipshelf)."""


class NotFound(ApiError):
    """The collection cannot be reached (43, 46)."""


class Forbidden(NotFound):
    """43: the collection was deleted or belongs to another account."""


class InvalidCollectionHash(NotFound):
    """46: a malformed hash, or no collection ever had it."""


class InternalError(ApiError):
    """50: an unexpected server fault; quote `request_id` to the operator."""


class ConversionFailed(FlipshelfError):
    """`wait_until_complete` saw an item end FAILED. `collection` is the last answer."""

    def __init__(self, message: str, collection: Collection) -> None:
        super().__init__(message)
        self.collection = collection


class PackageFailed(FlipshelfError):
    """`collection.downloadHTML` answered FAILED: every try to build the package failed."""


class DownloadFailed(FlipshelfError):
    """A package download answered an HTTP error (`http_status`: 410 for an expired link, 403
    for a tampered one, 404 for a package since cleaned up)."""

    def __init__(self, message: str, http_status: int) -> None:
        super().__init__(message)
        self.http_status = http_status


class WaitTimeout(FlipshelfError, TimeoutError):
    """A wait (conversion, package) did not finish within its timeout."""


class WebhookSignatureError(FlipshelfError):
    """A webhook delivery's `Flipshelf-Signature` is missing, malformed, too old, or matches
    none of its signatures: do not trust the body."""


BY_CODE: dict[int, type[ApiError]] = {
    22: Maintenance,
    30: MissingParameter,
    31: PerSecondLimit,
    32: PerMinuteLimit,
    33: UploadQuotaExceeded,
    34: FileTooLarge,
    35: TooManyPages,
    36: MultipleFiles,
    37: LastFlipbook,
    38: CollectionProcessing,
    40: BadRequest,
    41: InvalidCredentials,
    42: InvalidAction,
    43: Forbidden,
    44: InvalidSignature,
    45: InvalidFileFormat,
    46: InvalidCollectionHash,
    50: InternalError,
}


def api_error(
    code: int, status: str, reason: str | None, action: str, request_id: str | None
) -> ApiError:
    """The exception for a refusal; an unknown code gives the plain `ApiError`."""
    kind = BY_CODE.get(code, ApiError)
    message = f"{action}: {code} {status}" + (f" ({reason})" if reason else "")
    if request_id:
        message += f" [request {request_id}]"
    return kind(message, code=code, status=status, reason=reason, request_id=request_id)
