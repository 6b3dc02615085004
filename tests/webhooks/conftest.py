"""Fixtures of the webhook tests: settings that let endpoints on 127.0.0.1 through the guard (as
an operator sets `webhook_allow`), a receiver there, helpers to register endpoints and read rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from flipshelf.db.schema import webhook_deliveries, webhook_events
from flipshelf.domain.webhooks import Endpoint, parse_events
from flipshelf.runtime import Runtime
from flipshelf.services import webhooks
from flipshelf.settings import Settings
from tests.conftest import make_settings
from tests.support import Tenant
from tests.webhook_receiver import Receiver, receiving


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(
        tmp_path, database_url, webhook_allow="127.0.0.1/32", webhook_timeout_seconds=5
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as running:
        yield running


def register(runtime: Runtime, tenant: Tenant, url: str, events: str = "") -> tuple[Endpoint, str]:
    """An endpoint registered as user.setWebhook does it (the guard included)."""
    endpoint, secret = webhooks.set_endpoint(
        runtime.ports, tenant.account, url, parse_events(events)
    )
    assert secret is not None
    return endpoint, secret


def events_of(runtime: Runtime) -> list[dict[str, Any]]:
    """Every recorded event, oldest first, with the endpoints it goes to."""
    with runtime.db.read() as conn:
        rows = conn.execute(select(webhook_events).order_by(webhook_events.c.id)).all()
        targets = conn.execute(
            select(webhook_deliveries.c.event_id, webhook_deliveries.c.endpoint_id)
        ).all()
    return [
        {
            "kind": row.kind,
            "body": row.body,
            "endpoints": sorted(t.endpoint_id for t in targets if t.event_id == row.id),
        }
        for row in rows
    ]
