"""Webhook endpoints and their delivery logs, as owners manage them (the worker's side of
deliveries is db/deliveries.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from flipshelf.db.database import Database
from flipshelf.db.schema import webhook_deliveries, webhook_endpoints, webhook_events
from flipshelf.domain.webhooks import (
    Delivery,
    DeliveryStatus,
    Endpoint,
    check_room,
    stored_events,
)

_PENDING = DeliveryStatus.PENDING.value


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        id=row.id,
        public_id=row.public_id,
        account_id=row.account_id,
        url=row.url,
        events=stored_events(row.events),
        created_at=row.created_at,
        failing_since=row.failing_since,
        last_success_at=row.last_success_at,
        disabled_at=row.disabled_at,
        disabled_reason=row.disabled_reason,
    )


def _delivery(row: Any) -> Delivery:
    status = DeliveryStatus(row.status)
    waiting = status is DeliveryStatus.PENDING and row.lease_until is None
    return Delivery(
        event_id=row.event_public_id,
        kind=row.kind,
        status=status,
        attempts=row.attempts,
        created_at=row.created_at,
        last_attempt_at=row.last_attempt_at,
        next_attempt_at=row.queued_at if waiting else None,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
    )


_LOG = select(
    webhook_deliveries,
    webhook_events.c.public_id.label("event_public_id"),
    webhook_events.c.kind,
).join(webhook_events, webhook_events.c.id == webhook_deliveries.c.event_id)

# Columns of an endpoint as owners see it (never its sealed secret).
_SHOWN = [c for c in webhook_endpoints.c if c.name != "secret_enc"]


def _load(conn: Connection, endpoint_id: int) -> Endpoint:
    row = conn.execute(select(*_SHOWN).where(webhook_endpoints.c.id == endpoint_id)).one()
    return _endpoint(row)


class SqlWebhooks:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add_endpoint(
        self,
        account_id: int,
        public_id: str,
        url: str,
        events: str,
        secret_enc: bytes,
        now: datetime,
    ) -> Endpoint:
        """A new endpoint, refused (40) when the account has as many as it may."""
        with self._db.write() as conn:
            count = conn.execute(
                select(func.count()).where(webhook_endpoints.c.account_id == account_id)
            ).scalar_one()
            check_room(int(count))
            inserted = conn.execute(
                insert(webhook_endpoints).values(
                    public_id=public_id,
                    account_id=account_id,
                    url=url,
                    events=events,
                    secret_enc=secret_enc,
                    created_at=now,
                )
            ).inserted_primary_key
            assert inserted is not None
            return _load(conn, int(inserted[0]))

    def change_endpoint(self, endpoint_id: int, url: str, events: str) -> Endpoint:
        """New URL and events; the endpoint is enabled again with a clean record."""
        with self._db.write() as conn:
            conn.execute(
                update(webhook_endpoints)
                .where(webhook_endpoints.c.id == endpoint_id)
                .values(url=url, events=events, **_ENABLED)
            )
            return _load(conn, endpoint_id)

    def endpoint(self, public_id: str) -> Endpoint | None:
        with self._db.read() as conn:
            row = conn.execute(
                select(*_SHOWN).where(webhook_endpoints.c.public_id == public_id)
            ).first()
        return None if row is None else _endpoint(row)

    def endpoints(self, account_id: int | None) -> list[Endpoint]:
        """The account's endpoints (None: every account's), oldest first."""
        chosen = select(*_SHOWN).order_by(webhook_endpoints.c.id)
        if account_id is not None:
            chosen = chosen.where(webhook_endpoints.c.account_id == account_id)
        with self._db.read() as conn:
            return [_endpoint(row) for row in conn.execute(chosen)]

    def delete_endpoint(self, endpoint_id: int) -> None:
        """The endpoint and its log. A delivery in flight finds its row gone and changes
        nothing; events stay for the account's other endpoints until pruned."""
        with self._db.write() as conn:
            conn.execute(
                delete(webhook_deliveries).where(webhook_deliveries.c.endpoint_id == endpoint_id)
            )
            conn.execute(delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))

    def deliveries(self, endpoint_id: int, offset: int, limit: int) -> tuple[int, list[Delivery]]:
        """The endpoint's log, newest first, and how many entries it has."""
        mine = webhook_deliveries.c.endpoint_id == endpoint_id
        with self._db.read() as conn:
            total = conn.execute(select(func.count()).where(mine)).scalar_one()
            rows = conn.execute(
                _LOG.where(mine)
                .order_by(webhook_deliveries.c.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
        return int(total), [_delivery(row) for row in rows]

    def redeliver(self, endpoint_id: int, event_public_id: str, now: datetime) -> Delivery | None:
        """Arms the event's delivery to this endpoint again, with a new retry window, and
        enables the endpoint (its owner asks to try it); None when there is no such delivery.
        It is left unqueued for the caller to send (services/webhooks.send_pending)."""
        event = (
            select(webhook_events.c.id)
            .where(webhook_events.c.public_id == event_public_id)
            .scalar_subquery()
        )
        chosen = (webhook_deliveries.c.endpoint_id == endpoint_id) & (
            webhook_deliveries.c.event_id == event
        )
        with self._db.write() as conn:
            armed = conn.execute(
                update(webhook_deliveries)
                .where(chosen)
                .values(status=_PENDING, retry_from=now, queued_at=None, delivered_at=None)
            ).rowcount
            if not armed:
                return None
            conn.execute(
                update(webhook_endpoints)
                .where(
                    webhook_endpoints.c.id == endpoint_id,
                    webhook_endpoints.c.disabled_at.is_not(None),
                )
                .values(**_ENABLED)
            )
            return _delivery(conn.execute(_LOG.where(chosen)).one())


# What enabling an endpoint resets: its failures are forgiven with the disabling.
_ENABLED: dict[str, Any] = {"disabled_at": None, "disabled_reason": None, "failing_since": None}
