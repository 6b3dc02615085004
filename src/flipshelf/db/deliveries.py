"""The worker's side of webhook deliveries: each delivery row is a job with a lease (db/leases.py),
so two deliveries of one message never both post, and a worker that died mid-post leaves a row
the sweep (or its supervisor) hands to another worker: at least once, never lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, delete, exists, func, select, update

from flipshelf.db.database import Database
from flipshelf.db.leases import Leased
from flipshelf.db.schema import webhook_deliveries, webhook_endpoints, webhook_events
from flipshelf.domain.webhooks import Attempt, ClaimedDelivery, DeliveryStatus

_PENDING = DeliveryStatus.PENDING.value
DELIVERIES = Leased(
    webhook_deliveries, webhook_deliveries.c.id, webhook_deliveries.c.status, _PENDING
)

_CLAIMED = (
    select(
        webhook_deliveries.c.id,
        webhook_deliveries.c.attempts,
        webhook_deliveries.c.endpoint_id,
        webhook_deliveries.c.retry_from,
        webhook_endpoints.c.public_id.label("endpoint_public_id"),
        webhook_endpoints.c.url,
        webhook_endpoints.c.secret_enc,
        webhook_endpoints.c.failing_since,
        webhook_events.c.public_id.label("event_public_id"),
        webhook_events.c.kind,
        webhook_events.c.body,
    )
    .join(webhook_endpoints, webhook_endpoints.c.id == webhook_deliveries.c.endpoint_id)
    .join(webhook_events, webhook_events.c.id == webhook_deliveries.c.event_id)
)


def _tried(claimed: ClaimedDelivery, now: datetime, attempt: Attempt) -> dict[str, object]:
    return {
        "lease_until": None,
        "last_attempt_at": now,
        "last_status_code": attempt.status_code,
        "last_error": None if attempt.succeeded else attempt.reason,
    }


class SqlDeliveries:
    def __init__(self, db: Database) -> None:
        self._db = db

    def unqueued(self, now: datetime, limit: int = 100) -> list[int]:
        """Deliveries nobody has handed to the queue yet (new events, redeliveries), marked
        queued as of `now` in the same statement, so each is sent once by whoever calls."""
        waiting = (
            select(webhook_deliveries.c.id)
            .where(
                webhook_deliveries.c.status == _PENDING,
                webhook_deliveries.c.queued_at.is_(None),
                webhook_deliveries.c.lease_until.is_(None),
            )
            .order_by(webhook_deliveries.c.id)
            .limit(limit)
            .scalar_subquery()
        )
        with self._db.write() as conn:
            # RETURNING with the WHERE again: on PostgreSQL a row taken meanwhile by another
            # caller no longer matches once its lock is released, so it is sent only once.
            rows = conn.execute(
                update(webhook_deliveries)
                .where(
                    webhook_deliveries.c.id.in_(waiting), webhook_deliveries.c.queued_at.is_(None)
                )
                .values(queued_at=now)
                .returning(webhook_deliveries.c.id)
            ).scalars()
            return sorted(int(key) for key in rows)

    def claim(
        self, delivery_id: int, now: datetime, lease: timedelta, owner: str = ""
    ) -> ClaimedDelivery | None:
        with self._db.write() as conn:
            if not conn.execute(DELIVERIES.claim(delivery_id, now, lease, owner)).rowcount:
                return None
            row = conn.execute(_CLAIMED.where(webhook_deliveries.c.id == delivery_id)).one()
        return ClaimedDelivery(
            delivery_id=row.id,
            attempts=row.attempts,
            endpoint_id=row.endpoint_id,
            endpoint_public_id=row.endpoint_public_id,
            url=row.url,
            secret_enc=row.secret_enc,
            event_id=row.event_public_id,
            kind=row.kind,
            body=row.body,
            retry_from=row.retry_from,
            failing_since=row.failing_since,
        )

    def delivered(self, claimed: ClaimedDelivery, now: datetime, attempt: Attempt) -> bool:
        """The endpoint took it: the delivery is done and the endpoint's failures forgotten."""
        with self._db.write() as conn:
            done = conn.execute(
                update(webhook_deliveries)
                .where(*DELIVERIES.held(claimed.delivery_id, claimed.attempts))
                .values(
                    status=DeliveryStatus.DELIVERED.value,
                    delivered_at=now,
                    **_tried(claimed, now, attempt),
                )
            ).rowcount
            conn.execute(
                update(webhook_endpoints)
                .where(webhook_endpoints.c.id == claimed.endpoint_id)
                .values(failing_since=None, last_success_at=now)
            )
        return bool(done)

    def failed(
        self,
        claimed: ClaimedDelivery,
        now: datetime,
        attempt: Attempt,
        retry_at: datetime | None,
        disable: str | None = None,
    ) -> bool:
        """Records a failed try: due again at `retry_at`, or given up (None). With `disable`
        (the reason), the endpoint is disabled and its other pending deliveries given up too.
        False when the lease was lost meanwhile (nothing is changed then)."""
        status = DeliveryStatus.PENDING if retry_at is not None and not disable else None
        values = _tried(claimed, now, attempt)
        if status is None:
            values["status"] = DeliveryStatus.FAILED.value
        else:
            values["queued_at"] = retry_at
        with self._db.write() as conn:
            held = DELIVERIES.held(claimed.delivery_id, claimed.attempts)
            if not conn.execute(update(webhook_deliveries).where(*held).values(**values)).rowcount:
                return False
            endpoint = webhook_endpoints.c.id == claimed.endpoint_id
            conn.execute(
                update(webhook_endpoints)
                .where(endpoint, webhook_endpoints.c.failing_since.is_(None))
                .values(failing_since=now)
            )
            if disable:
                self._disable(conn, claimed.endpoint_id, now, disable)
        return True

    @staticmethod
    def _disable(conn: Connection, endpoint_id: int, now: datetime, reason: str) -> None:
        conn.execute(
            update(webhook_endpoints)
            .where(webhook_endpoints.c.id == endpoint_id)
            .values(disabled_at=now, disabled_reason=reason)
        )
        conn.execute(
            update(webhook_deliveries)
            .where(
                webhook_deliveries.c.endpoint_id == endpoint_id,
                webhook_deliveries.c.status == _PENDING,
            )
            .values(
                status=DeliveryStatus.FAILED.value,
                lease_until=None,
                last_error=func.coalesce(webhook_deliveries.c.last_error, "endpoint disabled"),
            )
        )

    def lost(self, now: datetime, grace: timedelta, limit: int = 100) -> list[int]:
        """Pending deliveries whose worker is gone, or due and never sent (see `Leased.lost`);
        each is marked queued again, so one sweep sends it once."""
        with self._db.write() as conn:
            return [int(key) for key in DELIVERIES.lost(conn, now, grace, limit)]

    def prune(self, before: datetime, limit: int = 500) -> int:
        """Deletes finished deliveries made before `before`, then events no delivery needs;
        answers how many deliveries went."""
        finished = webhook_deliveries.c.status != _PENDING
        old = (
            select(webhook_deliveries.c.id)
            .where(finished, webhook_deliveries.c.created_at < before)
            .limit(limit)
            .scalar_subquery()
        )
        orphan = and_(
            webhook_events.c.created_at < before,
            ~exists().where(webhook_deliveries.c.event_id == webhook_events.c.id),
        )
        with self._db.write() as conn:
            gone = conn.execute(
                delete(webhook_deliveries).where(webhook_deliveries.c.id.in_(old))
            ).rowcount
            conn.execute(delete(webhook_events).where(orphan))
        return int(gone)
