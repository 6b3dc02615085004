"""The seams of webhooks: the endpoints and their logs (db/webhooks.py), the workers' side of
deliveries (db/deliveries.py), the guarded sender (fetch/webhooks.py) and the secrets' box."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from flipshelf.domain.webhooks import Attempt, ClaimedDelivery, Delivery, Endpoint, RetryPolicy
from flipshelf.security.secret_box import SecretBox


class WebhookStore(Protocol):
    def add_endpoint(
        self,
        account_id: int,
        public_id: str,
        url: str,
        events: str,
        secret_enc: bytes,
        now: datetime,
    ) -> Endpoint: ...
    def change_endpoint(self, endpoint_id: int, url: str, events: str) -> Endpoint: ...
    def endpoint(self, public_id: str) -> Endpoint | None: ...
    def endpoints(self, account_id: int | None) -> list[Endpoint]: ...
    def delete_endpoint(self, endpoint_id: int) -> None: ...
    def deliveries(
        self, endpoint_id: int, offset: int, limit: int
    ) -> tuple[int, list[Delivery]]: ...
    def redeliver(
        self, endpoint_id: int, event_public_id: str, now: datetime
    ) -> Delivery | None: ...


class DeliveryJobs(Protocol):
    """Deliveries as jobs: claimed under a lease whose token is `attempts`."""

    def unqueued(self, now: datetime, limit: int = 100) -> list[int]: ...
    def claim(
        self, delivery_id: int, now: datetime, lease: timedelta, owner: str = ""
    ) -> ClaimedDelivery | None: ...
    def delivered(self, claimed: ClaimedDelivery, now: datetime, attempt: Attempt) -> bool: ...
    def failed(
        self,
        claimed: ClaimedDelivery,
        now: datetime,
        attempt: Attempt,
        retry_at: datetime | None,
        disable: str | None = None,
    ) -> bool: ...
    def lost(self, now: datetime, grace: timedelta, limit: int = 100) -> list[int]: ...
    def prune(self, before: datetime, limit: int = 500) -> int: ...


class WebhookSender(Protocol):
    """Posts deliveries through the SSRF guard of fileUrl fetches, with its own allow-list."""

    def check(self, url: str) -> None:
        """Refuses (40) a URL the guard would not post to now: its shape, or where its host
        name leads. Deliveries are checked again each time (DNS answers change)."""
        ...

    def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> Attempt:
        """One POST; never raises for what the network or the receiver did."""
        ...


@dataclass(frozen=True)
class WebhookPorts:
    store: WebhookStore
    deliveries: DeliveryJobs
    sender: WebhookSender
    # Seals endpoint secrets under the server key (they must be opened again to sign).
    secrets: SecretBox
    policy: RetryPolicy
