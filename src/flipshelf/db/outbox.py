"""The webhook outbox: events written in the transaction of the change they announce.

A conversion's end, a package's end and a deletion call `Outbox.record` with their own
connection, so the event exists exactly when the change does: a worker killed a moment later
cannot lose it, and a rolled-back change leaves no event. The event's body (the collection as
getCollection shows it then) is made here once; every try to every endpoint sends those bytes.
Deliveries start unqueued (`queued_at` NULL): whoever made the change hands them to the queue
after the commit (services/webhooks.send_pending), and the sweep does if it could not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from flipshelf.db.collections import load_collection
from flipshelf.db.schema import collections, webhook_deliveries, webhook_endpoints, webhook_events
from flipshelf.domain.collections import Collection
from flipshelf.domain.webhooks import (
    DeliveryStatus,
    EventKind,
    event_body,
    new_event_id,
    stored_events,
    subscribes,
)

Render = Callable[[Collection], Mapping[str, Any]]


class Outbox:
    """Records events for the endpoints that want them. `render` shows a collection as the API
    does (the composition root passes the API's presenter)."""

    def __init__(self, render: Render) -> None:
        self._render = render

    def record(
        self,
        conn: Connection,
        collection_id: int,
        kind: EventKind,
        now: datetime,
        about: Mapping[str, str] | None = None,
    ) -> int:
        """Writes the event and its deliveries; answers how many endpoints will get it (0: no
        endpoint of the account wants it, and nothing was written)."""
        owner = (
            select(collections.c.account_id)
            .where(collections.c.id == collection_id)
            .scalar_subquery()
        )
        endpoints = conn.execute(
            select(webhook_endpoints.c.id, webhook_endpoints.c.events).where(
                webhook_endpoints.c.account_id == owner,
                webhook_endpoints.c.disabled_at.is_(None),
            )
        ).all()
        targets = [row.id for row in endpoints if subscribes(stored_events(row.events), kind)]
        if not targets:
            return 0
        collection = load_collection(conn, collection_id)
        public_id = new_event_id()
        body = event_body(public_id, kind, now, self._render(collection), about)
        inserted = conn.execute(
            insert(webhook_events).values(
                public_id=public_id,
                account_id=collection.account_id,
                kind=kind.value,
                body=body,
                created_at=now,
            )
        ).inserted_primary_key
        assert inserted is not None
        conn.execute(
            insert(webhook_deliveries),
            [
                {
                    "event_id": inserted[0],
                    "endpoint_id": endpoint_id,
                    "status": DeliveryStatus.PENDING.value,
                    "attempts": 0,
                    "retry_from": now,
                    "created_at": now,
                }
                for endpoint_id in targets
            ],
        )
        return len(targets)
