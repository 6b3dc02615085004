"""The one v1 route: read parameters, run the checks in order, call the action, encode."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import partial

import structlog
from python_multipart.exceptions import MultipartParseError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from flipshelf.api.v1 import protocol
from flipshelf.api.v1.body import (
    BodyTooLarge,
    content_type,
    read_multipart_fields,
    read_urlencoded,
)
from flipshelf.api.v1.call import Action, Call, Limits
from flipshelf.api.v1.envelope import envelope, render
from flipshelf.api.v1.params import Params
from flipshelf.api.v1.ratelimit import RateLimiter
from flipshelf.domain.accounts import Account
from flipshelf.domain.codes import Code
from flipshelf.domain.errors import BadRequest, FlipshelfError, InvalidSignature, Maintenance
from flipshelf.security.secret_box import SecretBox
from flipshelf.services import accounts
from flipshelf.services.ports import Ports
from flipshelf.web.urls import PublicUrls

log = structlog.get_logger("flipshelf.api")


@dataclass(frozen=True)
class ApiConfig:
    maintenance: bool
    lenient_verbs: bool
    strict_window_seconds: int
    limits: Limits
    urls: PublicUrls


class V1Endpoint:
    def __init__(
        self,
        ports: Ports,
        box: SecretBox,
        limiter: RateLimiter,
        config: ApiConfig,
        actions: dict[str, Action],
    ) -> None:
        self.ports, self.box, self.limiter = ports, box, limiter
        self.config, self.actions = config, actions

    async def handle(self, request: Request) -> Response:
        request_id = secrets.token_hex(8)
        params = Params()
        try:
            code, data = await self._handle(request, params)
        except FlipshelfError as refusal:
            code, data = refusal.code, None
            log.info("refused", request_id=request_id, code=int(code), reason=refusal.detail)
        except Exception:
            code, data = Code.INTERNAL_ERROR, None
            log.exception("internal error", request_id=request_id, action=params.get("action"))
        return render(envelope(code, data), protocol.encoding_of(params), request_id)

    async def _handle(self, request: Request, params: Params) -> tuple[Code, object]:
        if self.config.maintenance:
            raise Maintenance()
        transport = await self._read(request, params)
        api_key, given, name = protocol.check_mandatory(params)
        account, secret = await run_in_threadpool(
            accounts.credentials, self.ports, self.box, api_key
        )
        action = protocol.find_action(self.actions, name)
        protocol.check_verb(action, transport, self.config.lenient_verbs)
        protocol.check_well_formed(params)
        protocol.check_signature(secret, params, given)
        await self._check_replay(account, params)
        await self.limiter.admit(api_key)
        call = Call(account, params, self.ports, self.config.urls, self.config.limits)
        return Code.OK, await run_in_threadpool(action.run, call)

    async def _read(self, request: Request, params: Params) -> protocol.Transport:
        params.add_query(request.scope.get("query_string", b""))
        if request.method != "POST":
            return protocol.Transport(request.method, multipart=False, urlencoded=False)
        kind, options = content_type(request)
        multipart = kind == "multipart/form-data"
        urlencoded = kind == "application/x-www-form-urlencoded"
        file_parts = 0
        try:
            if multipart:
                boundary = options.get(b"boundary")
                if not boundary:
                    raise BadRequest("multipart body without a boundary")
                file_parts = await read_multipart_fields(request, params, boundary)
            elif urlencoded:
                await read_urlencoded(request, params)
        except (BodyTooLarge, MultipartParseError):
            # The parameters are unreadable, so the checks cannot run: answer 40 directly.
            raise BadRequest("the request body is malformed or too large") from None
        return protocol.Transport("POST", multipart, urlencoded, file_parts)

    async def _check_replay(self, account: Account, params: Params) -> None:
        now = self.ports.clock.now()
        nonce = protocol.check_freshness(account, params, now, self.config.strict_window_seconds)
        if nonce is None:
            return
        fresh = await run_in_threadpool(partial(self.ports.nonces.remember, account.id, nonce, now))
        if not fresh:
            raise InvalidSignature("nonce already used")
