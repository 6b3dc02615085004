"""The one v1 route: read parameters, run the checks in order, call the action, encode."""

from __future__ import annotations

import inspect
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import ParamSpec, TypeVar

import structlog
from python_multipart.exceptions import MultipartParseError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from flipshelf.api.v1 import protocol
from flipshelf.api.v1.body import (
    BodyTooLarge,
    MultipartBody,
    Staging,
    content_type,
    read_multipart,
    read_urlencoded,
)
from flipshelf.api.v1.call import Action, Call, Limits
from flipshelf.api.v1.envelope import envelope, render
from flipshelf.api.v1.params import Params
from flipshelf.api.v1.ratelimit import RateLimiter
from flipshelf.api.v1.throttle import SignatureThrottle
from flipshelf.domain.accounts import Account
from flipshelf.domain.codes import Code
from flipshelf.domain.errors import BadRequest, FlipshelfError, InvalidSignature, Maintenance
from flipshelf.security.secret_box import SecretBox
from flipshelf.services import accounts
from flipshelf.services.accounts import CredentialCache, Credentials
from flipshelf.services.ports import Ports
from flipshelf.web.staging_limits import StagingBudget
from flipshelf.web.urls import PublicUrls

log = structlog.get_logger("flipshelf.api")

# The reason sent with 22 when a dependency is down (fixed wording: no library message).
UNAVAILABLE = "temporarily unavailable, retry shortly"
# (action as sent, v1 code, seconds taken)
Observer = Callable[[str | None, int, float], None]
P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class _RequestState:
    params: Params = field(default_factory=Params)
    body: MultipartBody = field(default_factory=MultipartBody)
    credentials: Credentials | None = None


@dataclass(frozen=True)
class ApiConfig:
    maintenance: bool
    lenient_verbs: bool
    strict_window_seconds: int
    limits: Limits
    urls: PublicUrls
    staging_dir: Path
    # Bytes one apiKey, and one client address, may have staged at once (before signatures are
    # checked): see web/staging_limits.py.
    staging_bytes: int
    # SQLite in WAL mode: quick reads never wait for a writer, and a thread hop would cost
    # more than the read. PostgreSQL reads go over the network, so they stay in threads.
    quick_reads_on_loop: bool = False


class V1Endpoint:
    def __init__(
        self,
        ports: Ports,
        box: SecretBox,
        limiter: RateLimiter,
        config: ApiConfig,
        actions: dict[str, Action],
        credentials: CredentialCache | None = None,
        throttle: SignatureThrottle | None = None,
        outage: Callable[[BaseException], str | None] = lambda _error: None,
        observe: Observer = lambda _action, _code, _seconds: None,
    ) -> None:
        self.ports, self.box, self.limiter = ports, box, limiter
        self.config, self.actions = config, actions
        self.credentials = credentials or CredentialCache(ttl=0)
        self.staging_budget = StagingBudget(config.staging_bytes)
        self.throttle = throttle or SignatureThrottle()
        # Names the dependency an error shows unreachable (flipshelf/health.py): such a call
        # answers 22 and the client retries; nothing was acknowledged, so nothing is lost.
        self.outage = outage
        # Told every call's action (as sent), code and duration: the /metrics counters.
        self.observe = observe

    async def handle(self, request: Request) -> Response:
        request_id = secrets.token_hex(8)
        # Every line logged while this call runs carries its id (flipshelf/logging.py).
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            return await self._answer(request, request_id)

    async def _answer(self, request: Request, request_id: str) -> Response:
        started = time.perf_counter()
        state = _RequestState()
        reason: str | None = None
        try:
            code, data = await self._handle(request, state)
        except FlipshelfError as refusal:
            code, data, reason = refusal.code, None, refusal.reason
            log.info("refused", request_id=request_id, code=int(code), reason=refusal.detail)
        except Exception as error:
            code, data = Code.INTERNAL_ERROR, None
            if dependency := self.outage(error):
                code, reason = Code.MAINTENANCE, UNAVAILABLE
                log.warning(
                    "dependency unreachable",
                    request_id=request_id,
                    dependency=dependency,
                    action=state.params.get("action"),
                    error=type(error).__name__,
                )
            else:
                log.exception(
                    "internal error", request_id=request_id, action=state.params.get("action")
                )
        finally:
            # Whatever the action did not move into the store is not kept.
            state.body.discard()
        body = envelope(code, data, reason)
        answer = render(body, protocol.encoding_of(state.params), request_id)
        self.observe(state.params.get("action"), int(code), time.perf_counter() - started)
        return answer

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
        try:
            protocol.check_signature(account, secret, params, given)
        except InvalidSignature:
            await self.throttle.wrong(api_key, _address(request))
            raise
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
        return Code.OK, await self._run(action, call)

    async def _run(self, action: Action, call: Call) -> object:
        if inspect.iscoroutinefunction(action.run):
            return await action.run(call)
        if action.quick_read and self.config.quick_reads_on_loop:
            return action.run(call)
        return await run_in_threadpool(action.run, call)

    async def _quick(self, read: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """A quick read: on the event loop when the database allows it, else in a thread."""
        if self.config.quick_reads_on_loop:
            return read(*args, **kwargs)
        return await run_in_threadpool(read, *args, **kwargs)

    async def _credentials(self, state: _RequestState, api_key: str) -> Credentials:
        if state.credentials is None or state.credentials[0].api_key != api_key:
            # A cache hit never leaves the event loop.
            cached = self.credentials.get(api_key)
            state.credentials = cached or await self._read_credentials(api_key)
        return state.credentials

    async def _read_credentials(self, api_key: str) -> Credentials:
        generation = self.credentials.generation
        found = await self._quick(accounts.credentials, self.ports, self.box, api_key)
        self.credentials.put(api_key, found, generation)
        return found

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
                staging = Staging(
                    self.config.staging_dir,
                    self.config.limits.max_upload_bytes,
                    self.staging_budget,
                    _address(request),
                )
                state.body = await read_multipart(
                    request,
                    params,
                    boundary,
                    gate=partial(self._before_file, state),
                    staging=staging,
                )
            elif urlencoded:
                await read_urlencoded(request, params)
        except (BodyTooLarge, MultipartParseError):
            # The parameters are unreadable, so the checks cannot run: answer 40 directly.
            raise BadRequest("the request body is malformed, cut short or too large") from None
        except ClientDisconnect:
            raise BadRequest("the client went away before its body ended") from None
        return protocol.Transport("POST", multipart, urlencoded, state.body.file_parts)

    async def _check_replay(self, account: Account, params: Params) -> None:
        now = self.ports.clock.now()
        nonce = protocol.check_freshness(account, params, now, self.config.strict_window_seconds)
        if nonce is None:
            return
        fresh = await run_in_threadpool(partial(self.ports.nonces.remember, account.id, nonce, now))
        if not fresh:
            raise InvalidSignature("nonce already used")


def _address(request: Request) -> str:
    """The client's address as the HTTP server reports it (behind a proxy, the proxy's, unless
    the server is told to trust its X-Forwarded-For: docs/self-hosting.md)."""
    return request.client.host if request.client else ""
