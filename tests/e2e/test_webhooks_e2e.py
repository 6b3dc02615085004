"""Webhooks on the installed `flipshelf serve`, as a user meets them: a receiver on 127.0.0.1
(allowed by `webhook_allow`) gets signed events the client's `verify_webhook` accepts for a
conversion, a failed document, a package and a deletion; a receiver answering 500 is retried; a
worker killed mid-delivery still leaves exactly one event id after deduplication.

As in test_installed_serve.py, the sweep and the lease are ten minutes: only direct delivery (and
the supervisor freeing a dead worker's leases) can pass. Every test fails on any traceback or
error line in the server's or a worker's output.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from tests.e2e.test_installed_serve import Remote, started, worker_pids
from tests.webhook_receiver import receiving

ALLOW = {"webhook_allow": "127.0.0.1"}
WITHIN = 120.0


def deliveries(remote: Remote, webhook_id: str) -> list[dict[str, Any]]:
    answer = remote.get("user.getWebhookDeliveries", webhookId=webhook_id)
    assert answer["code"] == 20, answer
    items: list[dict[str, Any]] = answer["data"]["deliveryItems"]
    return items


def package_ready(
    remote: Remote, receiver: Any, secret: str, collection_hash: str
) -> dict[str, Any]:
    """Asks for the package and waits for its event, asking again when the collection moved on
    before the build (the zoom pass follows each conversion), as docs/webhooks.md says."""
    seen: set[str] = set()
    while True:
        asked = remote.get("collection.downloadHTML", collectionHash=collection_hash)
        assert asked["code"] == 20, asked
        if asked["data"]["status"] == "COMPLETE":
            # Built before we asked: its event came already.
            return receiver.event(secret, "collection.package_ready", collection_hash, WITHIN)
        event = remote.until(
            "a package event",
            lambda: _new_package_event(receiver, secret, collection_hash, seen),
            WITHIN,
        )
        if event["event"] == "collection.package_ready":
            return event
        assert event["packageError"] == "the collection changed before the build", event
        seen.add(event["id"])


def _new_package_event(
    receiver: Any, secret: str, collection_hash: str, seen: set[str]
) -> dict[str, Any] | None:
    for event in receiver.events(secret).values():
        if (
            event["event"].startswith("collection.package_")
            and event["data"]["collectionHash"] == collection_hash
            and event["id"] not in seen
        ):
            return dict(event)
    return None


def test_signed_events_for_a_conversion_a_failed_document_a_package_and_a_deletion(
    tmp_path: Path, documents: dict[str, Path]
) -> None:
    # A check that cannot answer in time accepts the upload and leaves it to the conversion:
    # the way a document the server cannot convert reaches a worker and fails there.
    settings = {**ALLOW, "upload_check_seconds": "0.001"}
    with receiving() as receiver, started(tmp_path / "data", **settings) as (server, remote):
        hook = remote.get("user.setWebhook", url=receiver.url)
        assert hook["code"] == 20, hook
        secret, webhook_id = hook["data"]["secret"], hook["data"]["webhookId"]

        broken = remote.upload("collection.create", documents["truncated"].read_bytes())
        good = remote.upload("collection.create", documents["text"].read_bytes(), title="Guide")
        assert broken["code"] == good["code"] == 20, (broken, good)
        good_hash = good["data"]["collectionHash"]
        broken_hash = broken["data"]["collectionHash"]

        converted = receiver.event(secret, "flipbook.converted", good_hash, WITHIN)
        item = converted["data"]["collectionItems"][0]
        assert converted["flipbookHash"] == item["flipbookHash"]
        assert (item["convertStatus"], item["pageCount"]) == ("COMPLETE", 5)
        assert converted["data"]["collectionTitle"] == "Guide"
        failed = receiver.event(secret, "flipbook.failed", broken_hash, WITHIN)
        assert failed["data"]["collectionItems"][0]["convertStatus"] == "FAILED"
        assert failed["data"]["collectionItems"][0]["convertError"]

        ready = package_ready(remote, receiver, secret, good_hash)
        assert ready["data"]["collectionHash"] == good_hash
        package = remote.get("collection.downloadHTML", collectionHash=good_hash)["data"]
        assert package["status"] == "COMPLETE", package
        assert remote.http.get(package["resourceUrl"]).content[:2] == b"PK"

        deleted = remote.get("collection.deleteCollection", collectionHash=broken_hash)
        assert deleted["code"] == 20
        gone = receiver.event(secret, "collection.deleted", broken_hash, WITHIN)
        assert gone["data"]["collectionHash"] == broken_hash

        for got in receiver.received:  # every request as the receiver saw it
            assert got.path == "/hooks/flipshelf"
            assert got.headers["flipshelf-event-id"] == got.event["id"]
            assert got.headers["flipshelf-event"] == got.event["event"]
        # The receiver sees a request before the worker has its answer and records it: the log
        # settles a moment later.
        logged = remote.until(
            "every delivery logged as delivered",
            lambda: _delivered(remote, webhook_id),
            WITHIN,
        )["entries"]
        assert {d["eventId"] for d in logged} == set(receiver.events(secret))
        assert all(
            (d["status"], d["attempts"], d["lastResponseCode"]) == ("delivered", 1, 200)
            for d in logged
        ), logged
        # The log names endpoints and events by id: never the URL (it may hold a token), nor
        # the signing secret.
        log = server.output()
        assert "webhook delivered" in log and webhook_id in log
        assert receiver.url.split("/", 3)[3] not in log and secret not in log


def test_a_receiver_answering_500_is_retried_until_it_answers_200(
    tmp_path: Path, documents: dict[str, Path]
) -> None:
    settings = {**ALLOW, "webhook_first_retry_seconds": "1"}
    with (
        receiving(statuses=(500, 200)) as receiver,
        started(tmp_path / "data", **settings) as (server, remote),
    ):
        hook = remote.get("user.setWebhook", url=receiver.url, events="flipbook.converted")
        secret, webhook_id = hook["data"]["secret"], hook["data"]["webhookId"]
        created = remote.upload("collection.create", documents["text"].read_bytes())
        assert created["code"] == 20, created
        first, second = receiver.wait_for(2, WITHIN)
        assert first.body == second.body
        assert len(receiver.events(secret)) == 1
        [entry] = remote.until(
            "the delivery logged as delivered",
            lambda: _delivered(remote, webhook_id),
            WITHIN,
        )["entries"]
        assert (entry["attempts"], entry["lastResponseCode"], entry["lastError"]) == (2, 200, None)
    assert any("webhook delivery will be retried" in line for line in server.lines)


def _delivered(remote: Remote, webhook_id: str) -> dict[str, Any] | None:
    entries = deliveries(remote, webhook_id)
    if entries and all(e["status"] == "delivered" for e in entries):
        return {"entries": entries}
    return None


def test_a_worker_killed_mid_delivery_still_yields_exactly_one_event_id(
    tmp_path: Path, documents: dict[str, Path]
) -> None:
    with (
        receiving(hold_first=True) as receiver,
        started(tmp_path / "data", **ALLOW) as (server, remote),
    ):
        hook = remote.get("user.setWebhook", url=receiver.url, events="flipbook.converted")
        secret, webhook_id = hook["data"]["secret"], hook["data"]["webhookId"]
        [worker] = remote.until(
            "a worker", lambda: {"pids": p} if (p := worker_pids(server)) else None, 30
        )["pids"]
        created = remote.upload("collection.create", documents["text"].read_bytes())
        assert created["code"] == 20, created
        receiver.wait_for(1, WITHIN)  # the worker is posting, and gets no answer
        os.kill(worker, signal.SIGKILL)
        remote.until(
            "a new worker",
            lambda: {"pids": p} if (p := worker_pids(server) - {worker}) else None,
            30,
        )
        receiver.released.set()
        first, second = receiver.wait_for(2, WITHIN)
        assert first.body == second.body  # at least once: the same event again
        [event] = receiver.events(secret).values()  # deduplicated by id: exactly one
        assert event["data"]["collectionHash"] == created["data"]["collectionHash"]
        [entry] = remote.until(
            "the delivery logged as delivered", lambda: _delivered(remote, webhook_id), WITHIN
        )["entries"]
        assert entry["eventId"] == event["id"] and entry["attempts"] == 2
    assert "worker died" in server.output()
