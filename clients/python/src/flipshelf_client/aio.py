"""`AsyncClient`: the same methods as `Client`, as coroutines (httpx.AsyncClient, asyncio)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

import httpx

from flipshelf_client import actions, plans
from flipshelf_client.base import DEFAULT_RATE_LIMIT_RETRIES, DEFAULT_TIMEOUT, ClientBase
from flipshelf_client.downloads import Receiving, expect_ok
from flipshelf_client.errors import FlipshelfError, TransportError
from flipshelf_client.methods import Work, async_method
from flipshelf_client.signing import Signing
from flipshelf_client.steps import Call, Download, Now, Sleep, Step, Stepper, T
from flipshelf_client.wire import USER_AGENT, decode


class AsyncClient(ClientBase):
    """`Client` for asyncio: the same constructor, `from_env`, and every method awaitable.
    Use it as `async with AsyncClient.from_env() as client:` or call `await client.aclose()`."""

    def __init__(
        self,
        url: str,
        api_key: str,
        secret: str,
        *,
        signing: Signing | str = Signing.MD5,
        timeout: float = DEFAULT_TIMEOUT,
        rate_limit_retries: int = DEFAULT_RATE_LIMIT_RETRIES,
        transport: httpx.AsyncBaseTransport | None = None,
        trust_env: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(url, api_key, secret, signing, rate_limit_retries, clock)
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            timeout=timeout,
            transport=transport,
            trust_env=trust_env,
            headers={"User-Agent": USER_AGENT},
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    create_collection = async_method(actions.create_collection)
    add_flipbook = async_method(actions.add_flipbook)
    get_collection = async_method(actions.get_collection)
    update_collection = async_method(actions.update_collection)
    delete_collection = async_method(actions.delete_collection)
    list_collections = async_method(actions.list_collections)
    get_embed = async_method(actions.get_embed)
    get_stats = async_method(actions.get_stats)
    get_user_stats = async_method(actions.get_user_stats)
    download_html = async_method(actions.download_html)
    set_logo = async_method(actions.set_logo)
    delete_logo = async_method(actions.delete_logo)
    set_background_image = async_method(actions.set_background_image)
    delete_flipbook = async_method(actions.delete_flipbook)
    get_private_link = async_method(actions.get_private_link)
    set_webhook = async_method(actions.set_webhook)
    list_webhooks = async_method(actions.list_webhooks)
    delete_webhook = async_method(actions.delete_webhook)
    get_webhook_deliveries = async_method(actions.get_webhook_deliveries)
    redeliver_webhook = async_method(actions.redeliver_webhook)
    wait_until_complete = async_method(plans.wait_until_complete)
    download_package = async_method(plans.download_package)
    call = async_method(actions.raw)

    async def run(self, work: Work[T]) -> T:
        """Performs one call (retried after a rate limit) or a whole plan."""
        plan = self._plan(work)
        stepper = Stepper(plan)
        try:
            while (step := stepper.step()) is not None:
                try:
                    stepper.outcome = await self._perform(step)
                except FlipshelfError as error:
                    stepper.error = error
            return stepper.result
        finally:
            plan.close()

    async def _perform(self, step: Step) -> object:
        if isinstance(step, Call):
            return await self._send(step)
        if isinstance(step, Sleep):
            await self._sleep(step.seconds)
            return None
        if isinstance(step, Now):
            return self._clock()
        return await self._download(step)

    async def _send(self, call: Call[T]) -> T:
        request = self._request(call)
        try:
            response = await self._http.request(
                request.method,
                request.url,
                params=request.params,
                content=request.body.async_chunks() if request.body else None,
                headers=request.headers,
            )
        except httpx.HTTPError as error:
            raise TransportError(f"{call.action}: {error!r}") from error
        return decode(call, response.status_code, response.headers, response.content)

    async def _download(self, step: Download) -> int:
        try:
            async with self._http.stream("GET", step.url, follow_redirects=True) as response:
                expect_ok(response)
                with Receiving(step, response) as receiving:
                    async for chunk in response.aiter_bytes():
                        receiving.write(chunk)
                return receiving.written
        except httpx.HTTPError as error:
            raise TransportError(f"downloading the package: {error!r}") from error
