"""The one v1 route: read parameters, run the checks in order, call the action, encode."""

from __future__ import annotations

import inspect
import secrets
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import structlog
from python_multipart.exceptions import MultipartParseError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from flipshelf.api.v1 import protocol
from flipshelf.api.v1.body import (
    BodyTooLarge,
    MultipartBody,
    content_type,
    read_multipart,
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


@dataclass
class _RequestState:
    params: Params = field(default_factory=Params)
    body: MultipartBody = field(default_factory=MultipartBody)
    credentials: tuple[Account, str] | None = None


@dataclass(frozen=True)
class ApiConfig:
    maintenance: bool
    lenient_verbs: bool
    strict_window_seconds: int
    limits: Limits
    urls: PublicUrls
    staging_dir: Path


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
        state = _RequestState()
        try:
            code, data = await self._handle(request, state)
        except FlipshelfError as refusal:
            code, data = refusal.code, None
            log.info("refused", request_id=request_id, code=int(code), reason=refusal.detail)
        except Exception:
            code, data = Code.INTERNAL_ERROR, None
            log.exception(
                "internal error", request_id=request_id, action=state.params.get("action")
            )
        finally:
            if state.body.staged is not None:
                # Whatever the action did not move into the store is not kept.
                state.body.staged.discard()
        return render(envelope(code, data), protocol.encoding_of(state.params), request_id)

    async def _handle(self, request: Request, state: _RequestState) -> tuple[Code, object]:
        if self.config.maintenance:
            raise Maintenance()
        params = state.params
        transport = await self._read(request, state)
        api_key, given, name = protocol.check_mandatory(params)
        account, secret = await self._credentials(state, api_key)
        action = protocol.find_action(self.actions, name)
        protocol.check_verb(action, transport, self.config.lenient_verbs)
        protocol.check_well_formed(params)
        protocol.check_signature(secret, params, given)
        await self._check_replay(account, params)
        await self.limiter.admit(api_key)
        call = Call(
            account,
            params,
            self.ports,
            self.config.urls,
            self.config.limits,
            self.config.staging_dir,
            upload=state.body.staged,
        )
        if inspect.iscoroutinefunction(action.run):
            return Code.OK, await action.run(call)
        return Code.OK, await run_in_threadpool(action.run, call)

    async def _credentials(self, state: _RequestState, api_key: str) -> tuple[Account, str]:
        if state.credentials is None or state.credentials[0].api_key != api_key:
            state.credentials = await run_in_threadpool(
                accounts.credentials, self.ports, self.box, api_key
            )
        return state.credentials

    async def _before_file(self, state: _RequestState, _params: Params) -> bool:
        """The checks the fields before a file part allow: a refused upload is never read."""
        api_key, name = state.params.present("apiKey"), state.params.present("action")
        if api_key is not None:
            await self._credentials(state, api_key)
        if name is not None:
            action = protocol.find_action(self.actions, name)
            if not action.upload:
                raise BadRequest(f"{name} takes no file")
        return True

    async def _read(self, request: Request, state: _RequestState) -> protocol.Transport:
        params = state.params
        params.add_query(request.scope.get("query_string", b""))
        if request.method != "POST":
            return protocol.Transport(request.method, multipart=False, urlencoded=False)
        kind, options = content_type(request)
        multipart = kind == "multipart/form-data"
        urlencoded = kind == "application/x-www-form-urlencoded"
        try:
            if multipart:
                boundary = options.get(b"boundary")
                if not boundary:
                    raise BadRequest("multipart body without a boundary")
                state.body = await read_multipart(
                    request,
                    params,
                    boundary,
                    gate=partial(self._before_file, state),
                    staging_dir=self.config.staging_dir,
                    max_file_bytes=self.config.limits.max_upload_bytes,
                )
            elif urlencoded:
                await read_urlencoded(request, params)
        except (BodyTooLarge, MultipartParseError):
            # The parameters are unreadable, so the checks cannot run: answer 40 directly.
            raise BadRequest("the request body is malformed or too large") from None
        return protocol.Transport("POST", multipart, urlencoded, state.body.file_parts)

    async def _check_replay(self, account: Account, params: Params) -> None:
        now = self.ports.clock.now()
        nonce = protocol.check_freshness(account, params, now, self.config.strict_window_seconds)
        if nonce is None:
            return
        fresh = await run_in_threadpool(partial(self.ports.nonces.remember, account.id, nonce, now))
        if not fresh:
            raise InvalidSignature("nonce already used")
