"""Events are written in the transaction of the change they announce (db/outbox.py), for the
endpoints that want them, with the collection as getCollection shows it then."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from flipshelf.db.conversions import SqlConversions
from flipshelf.db.packages import SqlPackages
from flipshelf.domain.collections import Collection, ConvertStatus
from flipshelf.domain.packages import ClaimedBuild
from flipshelf.domain.webhooks import EventKind
from flipshelf.runtime import Runtime, outbox
from flipshelf.services import collections
from tests.conftest import Api
from tests.packages.conftest import seed_with_books
from tests.support import RecordingQueue, Tenant, new_tenant, seed_collection
from tests.webhook_receiver import Receiver
from tests.webhooks.conftest import events_of, register

LEASE = timedelta(seconds=60)


def _finish(runtime: Runtime, flipbook_hash: str, status: ConvertStatus) -> bool:
    conversions = SqlConversions(runtime.db, outbox(runtime.settings))
    now = runtime.ports.clock.now()
    job = conversions.claim(flipbook_hash, now, LEASE)
    assert job is not None
    error = "truncated PDF" if status is ConvertStatus.FAILED else None
    page_count = 12 if status is ConvertStatus.COMPLETE else None
    return conversions.finish(job, now, status, page_count=page_count, error=error)


def test_a_conversion_end_is_recorded_for_each_endpoint_that_wants_it(
    runtime: Runtime, tenant: Tenant, receiver: Receiver, api: Api
) -> None:
    everything, _ = register(runtime, tenant, receiver.url)
    converted, _ = register(runtime, tenant, receiver.url, "flipbook.converted")
    register(runtime, tenant, receiver.url, "collection.deleted,flipbook.failed")
    collection = seed_collection(runtime, tenant, items=(ConvertStatus.PROCESSING,))
    item = collection.items[0]
    assert _finish(runtime, item.hash, ConvertStatus.COMPLETE)

    [event] = events_of(runtime)
    assert event["kind"] == "flipbook.converted"
    assert event["endpoints"] == sorted([everything.id, converted.id])
    body = json.loads(event["body"])
    assert body["id"].startswith("evt_") and body["event"] == "flipbook.converted"
    assert body["createdAt"] == "2026-11-23T12:00:00Z"
    assert body["flipbookHash"] == item.hash
    # The collection exactly as getCollection answers it after the change.
    shown = api.get("collection.getCollection", collectionHash=collection.hash)["data"]
    assert body["data"] == shown
    assert shown["collectionItems"][0]["convertStatus"] == "COMPLETE"


def test_a_failed_conversion_is_its_own_event(
    runtime: Runtime, tenant: Tenant, receiver: Receiver
) -> None:
    endpoint, _ = register(runtime, tenant, receiver.url, "flipbook.failed")
    collection = seed_collection(runtime, tenant, items=(ConvertStatus.PROCESSING,))
    assert _finish(runtime, collection.items[0].hash, ConvertStatus.FAILED)
    [event] = events_of(runtime)
    assert (event["kind"], event["endpoints"]) == ("flipbook.failed", [endpoint.id])
    item = json.loads(event["body"])["data"]["collectionItems"][0]
    assert (item["convertStatus"], item["convertError"]) == ("FAILED", "truncated PDF")


def test_accounts_without_endpoints_get_no_rows(runtime: Runtime, receiver: Receiver) -> None:
    other = new_tenant(runtime, "other")
    register(runtime, other, receiver.url)  # another account's endpoint hears nothing of ours
    quiet = new_tenant(runtime, "quiet")
    collection = seed_collection(runtime, quiet, items=(ConvertStatus.PROCESSING,))
    assert _finish(runtime, collection.items[0].hash, ConvertStatus.COMPLETE)
    assert events_of(runtime) == []


def test_an_outcome_that_does_not_land_records_nothing(
    runtime: Runtime, tenant: Tenant, receiver: Receiver
) -> None:
    """A worker whose lease was taken over finishes nothing, so it announces nothing."""
    register(runtime, tenant, receiver.url)
    collection = seed_collection(runtime, tenant, items=(ConvertStatus.PROCESSING,))
    conversions = SqlConversions(runtime.db, outbox(runtime.settings))
    now = runtime.ports.clock.now()
    job = conversions.claim(collection.items[0].hash, now, LEASE)
    assert job is not None
    stale = replace(job, attempts=job.attempts - 1)
    assert conversions.finish(stale, now, ConvertStatus.COMPLETE, page_count=1) is False
    assert events_of(runtime) == []


def building(runtime: Runtime, tenant: Tenant) -> tuple[SqlPackages, Collection, ClaimedBuild]:
    """A collection of one book whose package a worker has claimed (its end is announced)."""
    packages = SqlPackages(runtime.db, 3, outbox(runtime.settings))
    now = runtime.ports.clock.now()
    collection = seed_with_books(runtime, tenant, items=1)
    package, _ = packages.ensure(collection.id, collection.version, now)
    build = packages.claim(package.id, now, LEASE)
    assert build is not None
    return packages, collection, build


def test_a_package_is_announced_ready_or_failed(
    runtime: Runtime, tenant: Tenant, receiver: Receiver
) -> None:
    register(runtime, tenant, receiver.url)
    now = runtime.ports.clock.now()
    packages, ready, build = building(runtime, tenant)
    assert packages.complete(build, now, "k", 1)
    packages, failing, build = building(runtime, tenant)
    assert packages.fail(build, now, "the package could not be built")
    bodies = [json.loads(e["body"]) for e in events_of(runtime)]
    assert [(b["event"], b["data"]["collectionHash"], b.get("packageError")) for b in bodies] == [
        ("collection.package_ready", ready.hash, None),
        ("collection.package_failed", failing.hash, "the package could not be built"),
    ]


def test_a_package_the_collection_moved_past_is_announced_failed_with_its_reason(
    runtime: Runtime, tenant: Tenant, receiver: Receiver
) -> None:
    """The zoom pass or an edit made a new version before the build: the receiver learns that
    it must call downloadHTML again (a poller would have)."""
    register(runtime, tenant, receiver.url)
    packages, collection, build = building(runtime, tenant)
    now = runtime.ports.clock.now()
    SqlConversions(runtime.db).zoomed(collection.items[0].hash, now)
    assert packages.fail(build, now, "the collection changed before the build")
    [event] = events_of(runtime)
    body = json.loads(event["body"])
    assert body["event"] == "collection.package_failed"
    assert body["packageError"] == "the collection changed before the build"


def test_the_package_of_a_deleted_collection_is_not_announced(
    runtime: Runtime, tenant: Tenant, receiver: Receiver
) -> None:
    register(runtime, tenant, receiver.url, "collection.package_failed")
    packages, collection, build = building(runtime, tenant)
    now = runtime.ports.clock.now()
    runtime.ports.collections.mark_deleted(collection.id, now)
    assert packages.fail(build, now, "the collection was deleted")
    assert events_of(runtime) == []


def test_a_deletion_is_announced_and_handed_to_the_queue(
    runtime: Runtime, tenant: Tenant, receiver: Receiver
) -> None:
    register(runtime, tenant, receiver.url, "collection.deleted")
    collection = seed_collection(runtime, tenant)
    collections.delete(runtime.ports, tenant.account, collection.hash)
    [event] = events_of(runtime)
    body = json.loads(event["body"])
    assert body["event"] == EventKind.COLLECTION_DELETED
    assert body["data"]["collectionHash"] == collection.hash
    queue = runtime.ports.queue
    assert isinstance(queue, RecordingQueue) and len(queue.deliveries) == 1
