"""`Client`: every v1 action, waiting and packages, with blocking I/O (httpx.Client)."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

import httpx

from flipshelf_client import actions, plans
from flipshelf_client.base import DEFAULT_RATE_LIMIT_RETRIES, DEFAULT_TIMEOUT, ClientBase
from flipshelf_client.downloads import Receiving, expect_ok
from flipshelf_client.errors import FlipshelfError, TransportError
from flipshelf_client.methods import Work, sync_method
from flipshelf_client.signing import Signing
from flipshelf_client.steps import Call, Download, Now, Sleep, Step, Stepper, T
from flipshelf_client.wire import USER_AGENT, decode


class Client(ClientBase):
    """A flipshelf (or Flipsnack-v1-compatible) server, called with one key pair.

    `Client(url, api_key, secret)` or `Client.from_env()`; use it as a context manager, or call
    `close()`. `signing` is `md5` (the reference's), `md5-strict` (with a signed timestamp and
    nonce, for keys in strict mode) or `hmac-sha256`. A call refused for the key's rate limit
    is sent again up to `rate_limit_retries` times after the pause the server asks for.
    `transport` (an httpx transport) and `clock`/`sleep` are for tests."""

    def __init__(
        self,
        url: str,
        api_key: str,
        secret: str,
        *,
        signing: Signing | str = Signing.MD5,
        timeout: float = DEFAULT_TIMEOUT,
        rate_limit_retries: int = DEFAULT_RATE_LIMIT_RETRIES,
        transport: httpx.BaseTransport | None = None,
        trust_env: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(url, api_key, secret, signing, rate_limit_retries, clock)
        self._sleep = sleep
        self._http = httpx.Client(
            timeout=timeout,
            transport=transport,
            trust_env=trust_env,
            headers={"User-Agent": USER_AGENT},
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    create_collection = sync_method(actions.create_collection)
    add_flipbook = sync_method(actions.add_flipbook)
    get_collection = sync_method(actions.get_collection)
    update_collection = sync_method(actions.update_collection)
    delete_collection = sync_method(actions.delete_collection)
    list_collections = sync_method(actions.list_collections)
    get_embed = sync_method(actions.get_embed)
    get_stats = sync_method(actions.get_stats)
    get_user_stats = sync_method(actions.get_user_stats)
    download_html = sync_method(actions.download_html)
    set_logo = sync_method(actions.set_logo)
    delete_logo = sync_method(actions.delete_logo)
    set_background_image = sync_method(actions.set_background_image)
    delete_flipbook = sync_method(actions.delete_flipbook)
    get_private_link = sync_method(actions.get_private_link)
    set_webhook = sync_method(actions.set_webhook)
    list_webhooks = sync_method(actions.list_webhooks)
    delete_webhook = sync_method(actions.delete_webhook)
    get_webhook_deliveries = sync_method(actions.get_webhook_deliveries)
    redeliver_webhook = sync_method(actions.redeliver_webhook)
    wait_until_complete = sync_method(plans.wait_until_complete)
    download_package = sync_method(plans.download_package)
    call = sync_method(actions.raw)

    def run(self, work: Work[T]) -> T:
        """Performs one call (retried after a rate limit) or a whole plan."""
        plan = self._plan(work)
        stepper = Stepper(plan)
        try:
            while (step := stepper.step()) is not None:
                try:
                    stepper.outcome = self._perform(step)
                except FlipshelfError as error:
                    stepper.error = error
            return stepper.result
        finally:
            plan.close()

    def _perform(self, step: Step) -> object:
        if isinstance(step, Call):
            return self._send(step)
        if isinstance(step, Sleep):
            self._sleep(step.seconds)
            return None
        if isinstance(step, Now):
            return self._clock()
        return self._download(step)

    def _send(self, call: Call[T]) -> T:
        request = self._request(call)
        try:
            response = self._http.request(
                request.method,
                request.url,
                params=request.params,
                content=request.body.chunks() if request.body else None,
                headers=request.headers,
            )
        except httpx.HTTPError as error:
            raise TransportError(f"{call.action}: {error!r}") from error
        return decode(call, response.status_code, response.headers, response.content)

    def _download(self, step: Download) -> int:
        try:
            with self._http.stream("GET", step.url, follow_redirects=True) as response:
                expect_ok(response)
                with Receiving(step, response) as receiving:
                    for chunk in response.iter_bytes():
                        receiving.write(chunk)
                return receiving.written
        except httpx.HTTPError as error:
            raise TransportError(f"downloading the package: {error!r}") from error
