"""Use cases of webhooks: register, change, list and delete endpoints; read their delivery logs;
deliver an event again; hand new deliveries to the queue. docs/webhooks.md.

`account` is the caller's account through the API; None is the operator (the CLI), who may reach
every account's endpoints. An endpoint of another account answers as an unknown one (40).
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from flipshelf.domain.accounts import Account
from flipshelf.domain.errors import BadRequest
from flipshelf.domain.webhooks import (
    Delivery,
    Endpoint,
    EventKind,
    check_url_length,
    format_events,
    is_endpoint_id,
    is_event_id,
    new_endpoint_id,
    new_signing_secret,
)
from flipshelf.services.ports import Clock, JobQueue, Ports
from flipshelf.services.webhook_ports import DeliveryJobs

log = structlog.get_logger("flipshelf.webhooks")


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: Endpoint
    secret: str  # shown once, to whoever registered the endpoint; stored sealed


def secret_context(endpoint_public_id: str) -> str:
    """What a sealed endpoint secret is bound to: moved to another row, it fails to open."""
    return f"webhook:{endpoint_public_id}"


def account_of(ports: Ports, api_key: str) -> Account:
    """The active account of an apiKey, for the operator's commands."""
    found = ports.accounts.by_api_key(api_key)
    if found is None or not found[0].is_active:
        raise BadRequest("no active account has this apiKey")
    return found[0]


def find_endpoint(ports: Ports, account: Account | None, webhook_id: str) -> Endpoint:
    if not is_endpoint_id(webhook_id):
        raise BadRequest("malformed webhookId")
    found = ports.webhooks.store.endpoint(webhook_id)
    if found is None or (account is not None and found.account_id != account.id):
        raise BadRequest("no such webhook")
    return found


def set_endpoint(
    ports: Ports,
    account: Account,
    url: str,
    events: frozenset[EventKind],
    webhook_id: str | None = None,
) -> tuple[Endpoint, str | None]:
    """user.setWebhook: a new endpoint and its secret, or (with `webhook_id`) the account's
    endpoint given a new URL and events and enabled again (its secret unchanged, not shown).
    The URL must pass the SSRF guard now."""
    existing = find_endpoint(ports, account, webhook_id) if webhook_id is not None else None
    ports.webhooks.sender.check(check_url_length(url))
    if existing is not None:
        changed = ports.webhooks.store.change_endpoint(existing.id, url, format_events(events))
        log.info("webhook endpoint changed", webhook=changed.public_id, account=account.id)
        return changed, None
    created = add_endpoint(ports, account, url, events)
    return created.endpoint, created.secret


def add_endpoint(
    ports: Ports, account: Account, url: str, events: frozenset[EventKind]
) -> NewEndpoint:
    """A new endpoint for a URL that passed the guard (`set_endpoint` checks it)."""
    public_id, secret = new_endpoint_id(), new_signing_secret()
    sealed = ports.webhooks.secrets.seal(secret, secret_context(public_id))
    endpoint = ports.webhooks.store.add_endpoint(
        account.id, public_id, url, format_events(events), sealed, ports.clock.now()
    )
    log.info("webhook endpoint added", webhook=public_id, account=account.id)
    return NewEndpoint(endpoint, secret)


def endpoints(ports: Ports, account: Account | None) -> list[Endpoint]:
    return ports.webhooks.store.endpoints(None if account is None else account.id)


def delete_endpoint(ports: Ports, account: Account | None, webhook_id: str) -> None:
    endpoint = find_endpoint(ports, account, webhook_id)
    ports.webhooks.store.delete_endpoint(endpoint.id)
    log.info("webhook endpoint deleted", webhook=endpoint.public_id, account=endpoint.account_id)


def delivery_log(
    ports: Ports, account: Account | None, webhook_id: str, offset: int, limit: int
) -> tuple[int, list[Delivery]]:
    """The endpoint's deliveries, newest first, and their number."""
    endpoint = find_endpoint(ports, account, webhook_id)
    return ports.webhooks.store.deliveries(endpoint.id, offset, limit)


def redeliver(ports: Ports, account: Account | None, webhook_id: str, event_id: str) -> Delivery:
    """Sends an event to the endpoint again now, with a fresh retry window; a disabled endpoint
    is enabled again (its owner asks to try it). The event keeps its id: a receiver that
    already handled it sees a duplicate."""
    endpoint = find_endpoint(ports, account, webhook_id)
    if not is_event_id(event_id):
        raise BadRequest("malformed eventId")
    delivery = ports.webhooks.store.redeliver(endpoint.id, event_id, ports.clock.now())
    if delivery is None:
        raise BadRequest("this event was never delivered to this webhook")
    log.info("webhook redelivery asked", webhook=endpoint.public_id, event_id=event_id)
    send_pending(ports)
    return delivery


def send_pending(ports: Ports) -> int:
    """Hands the deliveries nobody queued yet to the workers; answers how many. Called after
    every change that may have recorded events."""
    return queue_waiting(ports.webhooks.deliveries, ports.queue, ports.clock)


def queue_waiting(deliveries: DeliveryJobs, queue: JobQueue, clock: Clock) -> int:
    """`send_pending` with the parts a worker holds. A queue that is down costs a delay only:
    the rows stay, and the sweep sends them."""
    try:
        waiting = deliveries.unqueued(clock.now())
        for delivery_id in waiting:
            queue.deliver(delivery_id)
    except Exception:
        log.warning("could not queue webhook deliveries; the sweep will", exc_info=True)
        return 0
    return len(waiting)
