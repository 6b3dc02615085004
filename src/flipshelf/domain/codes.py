"""The v1 status codes and their status texts (spec section 4)."""

from __future__ import annotations

from enum import IntEnum


class Code(IntEnum):
    OK = 20
    MAINTENANCE = 22
    MISSING_PARAMETER = 30
    RATE_PER_SECOND = 31
    RATE_PER_MINUTE = 32
    UPLOADS_PER_MONTH = 33
    FILE_TOO_LARGE = 34
    TOO_MANY_PAGES = 35
    MULTIPLE_FILES = 36
    LAST_FLIPBOOK = 37
    PROCESSING = 38
    BAD_REQUEST = 40
    INVALID_CREDENTIALS = 41
    INVALID_ACTION = 42
    FORBIDDEN = 43
    INVALID_SIGNATURE = 44
    INVALID_FILE_FORMAT = 45
    INVALID_COLLECTION_HASH = 46
    INTERNAL_ERROR = 50

    @property
    def status_text(self) -> str:
        return STATUS_TEXTS[self]


STATUS_TEXTS: dict[Code, str] = {
    Code.OK: "OK",
    Code.MAINTENANCE: "Maintenance mode",
    Code.MISSING_PARAMETER: "Missing mandatory parameter",
    Code.RATE_PER_SECOND: "Requests per second limit exceeded",
    Code.RATE_PER_MINUTE: "Requests per minute limit exceeded",
    Code.UPLOADS_PER_MONTH: "Uploads per month limit exceeded",
    Code.FILE_TOO_LARGE: "File size too large",
    Code.TOO_MANY_PAGES: "Collection maximum pages number exceeded",
    Code.MULTIPLE_FILES: "Multiple files upload not allowed",
    Code.LAST_FLIPBOOK: "Delete flipbook not available for this collection",
    Code.PROCESSING: "Collection is in processing state",
    Code.BAD_REQUEST: "Bad request",
    Code.INVALID_CREDENTIALS: "Invalid credentials",
    Code.INVALID_ACTION: "Invalid action",
    Code.FORBIDDEN: "Forbidden",
    Code.INVALID_SIGNATURE: "Invalid signature",
    Code.INVALID_FILE_FORMAT: "Invalid file format",
    Code.INVALID_COLLECTION_HASH: "Invalid collection hash",
    Code.INTERNAL_ERROR: "Internal error",
}
