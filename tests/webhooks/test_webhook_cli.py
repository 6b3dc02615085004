"""`flipshelf webhooks ...` as an operator runs it: the installed command in a subprocess, on the
database the server uses (SQLite: each call is a process start)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from flipshelf.db.migrate import upgrade
from flipshelf.db.schema import webhook_endpoints
from flipshelf.domain.accounts import KeyPair
from flipshelf.runtime import Runtime, build_runtime
from flipshelf.services import collections
from flipshelf.settings import Settings
from tests.integration.test_cli import Cli, create, runner
from tests.support import Tenant, seed_collection
from tests.webhook_receiver import Receiver


@pytest.fixture
def cli(data_dir: Path) -> Cli:
    """The command with the operator's allow-list for the receiver on 127.0.0.1."""
    return runner(data_dir, "sqlite", webhook_allow="127.0.0.1")


@pytest.fixture
def server_side(data_dir: Path) -> Iterator[Runtime]:
    """What the server (the same data directory) does meanwhile: events from deletions."""
    settings = Settings(data_dir=data_dir, database_url="", server_key="", jobs_url="")
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url())
    runtime = build_runtime(settings)
    yield runtime
    runtime.db.dispose()


def as_json(cli: Cli, *args: str) -> Any:
    return json.loads(cli("webhooks", *args, "--json").stdout)


def test_add_list_deliveries_redeliver_delete(
    cli: Cli, server_side: Runtime, receiver: Receiver
) -> None:
    pair = create(cli, "shop")
    made = as_json(cli, "add", pair["apiKey"], receiver.url, "--events", "collection.deleted")
    assert made["webhookId"].startswith("wh_") and made["secret"].startswith("whsec_")
    assert made["events"] == ["collection.deleted"]
    [listed] = as_json(cli, "list")
    assert listed["webhookId"] == made["webhookId"] and "secret" not in listed
    assert as_json(cli, "list", "--api-key", pair["apiKey"]) == [listed]

    account = server_side.ports.accounts.by_api_key(pair["apiKey"])
    assert account is not None
    tenant = Tenant(account[0], KeyPair(pair["apiKey"], pair["secret"]))
    doomed = seed_collection(server_side, tenant)
    collections.delete(server_side.ports, tenant.account, doomed.hash)
    log = as_json(cli, "deliveries", made["webhookId"])
    assert log["deliveryCount"] == 1
    [entry] = log["deliveryItems"]
    assert (entry["event"], entry["status"]) == ("collection.deleted", "pending")

    again = as_json(cli, "redeliver", made["webhookId"], entry["eventId"])
    assert again["eventId"] == entry["eventId"] and again["status"] == "pending"
    table = cli("webhooks", "deliveries", made["webhookId"]).stdout
    assert entry["eventId"] in table and "1 of 1 deliveries" in table

    assert "deleted" in cli("webhooks", "delete", made["webhookId"]).stdout
    assert as_json(cli, "list") == []


def test_a_disabled_endpoint_shows_why(cli: Cli, server_side: Runtime, receiver: Receiver) -> None:
    pair = create(cli, "shop")
    made = as_json(cli, "add", pair["apiKey"], receiver.url)
    reason = "no successful delivery since 2026-11-20T12:00:00Z; last error: HTTP 500"
    with server_side.db.write() as conn:  # as db/deliveries.py does after days of failures
        now = server_side.ports.clock.now()
        conn.execute(update(webhook_endpoints).values(disabled_reason=reason, disabled_at=now))
    [listed] = as_json(cli, "list")
    assert (listed["status"], listed["disabledReason"]) == ("disabled", reason)
    table = cli("webhooks", "list").stdout
    assert made["webhookId"] in table and "disabled" in table and "HTTP 500" in table


def test_refusals_are_one_line_errors(cli: Cli, receiver: Receiver, data_dir: Path) -> None:
    pair = create(cli, "shop")
    # Each call is a process start: one per kind of refusal (the API tests hold every case).
    for args in (
        ("add", "NOPE-KEY", receiver.url),
        ("add", pair["apiKey"], "http://10.0.0.1/hooks", "--events", "flipbook.failed"),
        ("redeliver", "wh_" + "a" * 24, "evt_x"),
    ):
        done = cli("webhooks", *args, ok=False)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert done.stderr.startswith("error:") and "Traceback" not in done.stderr, done.stderr
    assert as_json(cli, "list") == []
