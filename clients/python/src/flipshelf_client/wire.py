"""One call on the wire, without I/O: the request it becomes and the envelope it gets back.

Every non-upload action is a GET with its parameters in the query string; an upload action is
a multipart POST (fields first, then the file). Answers are HTTP 200 with a JSON envelope
`{"code", "status", "data"}`; anything else is a `ProtocolError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flipshelf_client.errors import GatewayUnavailable, ProtocolError, api_error
from flipshelf_client.signing import Signing, signed_params
from flipshelf_client.steps import Call, T
from flipshelf_client.uploads import MultipartBody


def _user_agent() -> str:
    try:
        return f"flipshelf-client/{version('flipshelf-client')}"
    except PackageNotFoundError:  # running from a source tree
        return "flipshelf-client"


USER_AGENT = _user_agent()
GATEWAY_STATUSES = frozenset({502, 503, 504})


def endpoint(base_url: str) -> str:
    """The v1 endpoint of a server: `https://books.example.com`, `.../v1` and `.../v1/` all
    give `https://books.example.com/v1/`."""
    base = base_url.strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"the server URL must start with http:// or https://: {base_url!r}")
    return (base if base.endswith("/v1") else base + "/v1") + "/"


@dataclass(frozen=True)
class Credentials:
    """Where and as whom to call. The secret never appears in a repr."""

    url: str
    api_key: str
    secret: str = field(repr=False)
    signing: Signing = Signing.MD5

    @property
    def endpoint(self) -> str:
        return endpoint(self.url)


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    params: dict[str, str] | None
    body: MultipartBody | None
    headers: dict[str, str]


def prepare(call: Call[Any], credentials: Credentials, timestamp: int, nonce: str) -> Request:
    """The request for one attempt of `call`, signed now (a retry is signed again: strict
    mode and HMAC mode refuse a nonce seen before)."""
    params = signed_params(
        credentials.signing,
        credentials.api_key,
        credentials.secret,
        call.action,
        call.params,
        timestamp=timestamp,
        nonce=nonce,
    )
    if not (call.post or call.upload):
        return Request("GET", credentials.endpoint, params, None, {})
    body = MultipartBody(params, call.upload)
    return Request("POST", credentials.endpoint, None, body, body.headers())


def decode(call: Call[T], status_code: int, headers: Any, content: bytes) -> T:
    """The parsed `data` of a successful answer; raises the code's `ApiError` otherwise."""
    request_id = headers.get("x-request-id")
    if status_code != 200:
        # A gateway's 502/503/504 says the server is away for a moment, not that this is no v1.
        kind = GatewayUnavailable if status_code in GATEWAY_STATUSES else ProtocolError
        raise kind(
            f"{call.action}: HTTP {status_code} from the server, not a v1 answer",
            request_id=request_id,
        )
    try:
        envelope = json.loads(content)
    except ValueError:
        raise ProtocolError(
            f"{call.action}: the answer is not JSON (is the URL a flipshelf server?)",
            request_id=request_id,
        ) from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("code"), int):
        raise ProtocolError(f"{call.action}: the answer has no code", request_id=request_id)
    code = envelope["code"]
    if code != 20:
        status, reason = str(envelope.get("status", "")), envelope.get("reason")
        raise api_error(code, status, reason, call.action, request_id)
    return call.parse(envelope.get("data"))
