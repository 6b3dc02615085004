"""What `Client` and `AsyncClient` share apart from their I/O: credentials, configuration,
signing each attempt, and turning a call into a plan."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Self

from flipshelf_client.config import resolve
from flipshelf_client.methods import Work
from flipshelf_client.plans import retrying
from flipshelf_client.signing import Signing, new_nonce
from flipshelf_client.steps import Call, Plan, T
from flipshelf_client.wire import Credentials, Request, prepare

DEFAULT_TIMEOUT = 60.0
# Four retries wait 5 + 10 + 20 + 40 s after a 32: longer than the minute window, so a call
# refused for the minute's limit passes once the window has moved on (three waited only 35 s).
DEFAULT_RATE_LIMIT_RETRIES = 4


class ClientBase:
    def __init__(
        self,
        url: str,
        api_key: str,
        secret: str,
        signing: Signing | str,
        rate_limit_retries: int,
        clock: Callable[[], float],
    ) -> None:
        self.credentials = Credentials(url, api_key, secret, Signing(signing))
        self.credentials.endpoint  # noqa: B018 (a bad URL fails here, not at the first call)
        self.rate_limit_retries = rate_limit_retries
        self._clock = clock

    @classmethod
    def from_env(
        cls,
        *,
        url: str | None = None,
        api_key: str | None = None,
        secret: str | None = None,
        signing: Signing | str | None = None,
        profile: str | None = None,
        **options: Any,
    ) -> Self:
        """Arguments, else `FLIPSHELF_URL`/`FLIPSHELF_API_KEY`/`FLIPSHELF_API_SECRET`/
        `FLIPSHELF_SIGNING`, else the profile (`FLIPSHELF_PROFILE`, default `default`) of
        `~/.config/flipshelf/profiles.toml`. `options` go to the constructor."""
        found = resolve(url=url, api_key=api_key, secret=secret, signing=signing, profile=profile)
        return cls(found.url, found.api_key, found.secret, signing=found.signing, **options)

    def __repr__(self) -> str:
        endpoint, key = self.credentials.endpoint, self.credentials.api_key
        return f"{type(self).__name__}({endpoint!r}, api_key={key!r})"

    def _plan(self, work: Work[T]) -> Plan[T]:
        return retrying(work, self.rate_limit_retries) if isinstance(work, Call) else work

    def _request(self, call: Call[Any]) -> Request:
        """Each attempt is signed anew: strict and HMAC modes refuse a nonce seen before."""
        return prepare(call, self.credentials, int(time.time()), new_nonce())
