"""The webhook actions through HTTP (user.setWebhook, getWebhooks, deleteWebhook,
getWebhookDeliveries, redeliverWebhook): answers, the order of their checks, and what is stored."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from flipshelf.app import create_app
from flipshelf.db.migrate import upgrade
from flipshelf.domain.webhooks import MAX_ENDPOINTS, new_endpoint_id, new_event_id
from flipshelf.runtime import Runtime, build_runtime
from tests.conftest import Api, make_settings
from tests.support import FixedClock, RecordingQueue, new_tenant, seed_collection, signed
from tests.webhook_receiver import Receiver


def test_set_webhook_answers_the_id_and_the_secret_once(
    api: Api, receiver: Receiver, runtime: Runtime
) -> None:
    answer = api.get("user.setWebhook", url=receiver.url)
    assert answer["code"] == 20, answer
    made = answer["data"]
    assert made["webhookId"].startswith("wh_") and made["secret"].startswith("whsec_")
    assert made["url"] == receiver.url
    assert (made["events"], made["status"], made["disabledReason"]) == (["*"], "enabled", None)
    assert made["createdAt"] == "2026-11-23T12:00:00Z"
    [listed] = api.get("user.getWebhooks")["data"]["webhooks"]
    assert listed == {k: v for k, v in made.items() if k != "secret"}
    # Stored sealed: neither the database file nor a dump of the table holds it.
    database = Path(runtime.settings.resolved_database_url().removeprefix("sqlite:///"))
    if database.exists():
        raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
        assert made["secret"].encode() not in raw


def test_events_are_chosen_by_name(api: Api, receiver: Receiver) -> None:
    answer = api.get(
        "user.setWebhook", url=receiver.url, events="flipbook.failed, collection.package_ready"
    )
    assert answer["data"]["events"] == ["collection.package_ready", "flipbook.failed"]
    assert api.get("user.setWebhook", url=receiver.url, events="*")["data"]["events"] == ["*"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, 30),
        ({"url": ""}, 30),
        ({"url": "RECEIVER", "events": "flipbook.done"}, 40),
        ({"url": "http://127.0.0.1:9/" + "x" * 2048}, 40),
        ({"url": "ftp://127.0.0.1/hooks"}, 40),
        ({"url": "http://10.0.0.7/hooks"}, 40),  # private and not in the allow-list
        ({"url": "http://169.254.169.254/latest/meta-data"}, 40),
        ({"url": "RECEIVER", "webhookId": "wh_nope"}, 40),
        ({"url": "RECEIVER", "webhookId": new_endpoint_id()}, 40),
    ],
)
def test_set_webhook_refusals(
    api: Api, receiver: Receiver, params: dict[str, str], code: int
) -> None:
    given = {k: receiver.url if v == "RECEIVER" else v for k, v in params.items()}
    assert api.get("user.setWebhook", **given)["code"] == code
    assert api.get("user.getWebhooks")["data"]["webhooks"] == []  # nothing stored


def test_an_account_has_a_bounded_number_of_endpoints(api: Api, receiver: Receiver) -> None:
    for _ in range(MAX_ENDPOINTS):
        assert api.get("user.setWebhook", url=receiver.url)["code"] == 20
    assert api.get("user.setWebhook", url=receiver.url)["code"] == 40
    assert len(api.get("user.getWebhooks")["data"]["webhooks"]) == MAX_ENDPOINTS


def test_set_webhook_with_its_id_changes_it_and_keeps_the_secret_unshown(
    api: Api, receiver: Receiver
) -> None:
    made = api.get("user.setWebhook", url=receiver.url)["data"]
    other = receiver.url.replace("/hooks/flipshelf", "/other")
    changed = api.get(
        "user.setWebhook", url=other, events="collection.deleted", webhookId=made["webhookId"]
    )["data"]
    assert changed["webhookId"] == made["webhookId"] and "secret" not in changed
    assert (changed["url"], changed["events"]) == (other, ["collection.deleted"])
    [listed] = api.get("user.getWebhooks")["data"]["webhooks"]
    assert listed == changed


def test_another_accounts_endpoint_is_unknown(
    api: Api, receiver: Receiver, runtime: Runtime, client: TestClient
) -> None:
    made = api.get("user.setWebhook", url=receiver.url)["data"]
    stranger = Api(client, new_tenant(runtime, "stranger"))
    webhook_id = made["webhookId"]
    assert stranger.get("user.getWebhooks")["data"]["webhooks"] == []
    assert stranger.get("user.deleteWebhook", webhookId=webhook_id)["code"] == 40
    assert stranger.get("user.getWebhookDeliveries", webhookId=webhook_id)["code"] == 40
    answer = stranger.get("user.setWebhook", url=receiver.url, webhookId=webhook_id)
    assert answer["code"] == 40
    assert api.get("user.getWebhooks")["data"]["webhooks"][0]["url"] == receiver.url


def test_delete_webhook(api: Api, receiver: Receiver) -> None:
    made = api.get("user.setWebhook", url=receiver.url)["data"]
    assert api.get("user.deleteWebhook")["code"] == 30
    answer = api.get("user.deleteWebhook", webhookId=made["webhookId"])
    assert answer == {"code": 20, "status": "OK"}
    assert api.get("user.getWebhooks")["data"]["webhooks"] == []
    assert api.get("user.deleteWebhook", webhookId=made["webhookId"])["code"] == 40


def test_the_delivery_log_and_redelivery(api: Api, receiver: Receiver, runtime: Runtime) -> None:
    made = api.get("user.setWebhook", url=receiver.url)["data"]
    webhook_id = made["webhookId"]
    log = api.get("user.getWebhookDeliveries", webhookId=webhook_id)["data"]
    assert log == {"deliveryCount": 0, "deliveryItems": []}
    for _ in range(3):
        collection = seed_collection(runtime, api.tenant)
        api.get("collection.deleteCollection", collectionHash=collection.hash)
    log = api.get("user.getWebhookDeliveries", webhookId=webhook_id)["data"]
    assert log["deliveryCount"] == 3
    newest = log["deliveryItems"][0]
    assert newest["event"] == "collection.deleted" and newest["eventId"].startswith("evt_")
    assert (newest["status"], newest["attempts"], newest["lastResponseCode"]) == (
        "pending",
        0,
        None,
    )
    assert newest["nextAttemptAt"] == "2026-11-23T12:00:00Z"  # handed to the queue at once
    queue = runtime.ports.queue
    assert isinstance(queue, RecordingQueue) and len(queue.deliveries) == 3
    page = api.get("user.getWebhookDeliveries", webhookId=webhook_id, **{"from": 1, "to": 2})
    assert [d["eventId"] for d in page["data"]["deliveryItems"]] == [
        log["deliveryItems"][1]["eventId"]
    ]
    again = api.get("user.redeliverWebhook", webhookId=webhook_id, eventId=newest["eventId"])
    assert again["code"] == 20 and again["data"]["eventId"] == newest["eventId"]
    assert len(queue.deliveries) == 4


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, 30),
        ({"webhookId": "WEBHOOK"}, 30),
        ({"webhookId": "WEBHOOK", "eventId": "evt_bad"}, 40),
        ({"webhookId": "WEBHOOK", "eventId": "NEW_EVENT"}, 40),
        ({"webhookId": "wh_x", "eventId": "NEW_EVENT"}, 40),
    ],
)
def test_redeliver_refusals(
    api: Api, receiver: Receiver, params: dict[str, str], code: int
) -> None:
    webhook_id = api.get("user.setWebhook", url=receiver.url)["data"]["webhookId"]
    values = {"WEBHOOK": webhook_id, "NEW_EVENT": new_event_id()}
    given = {k: values.get(v, v) for k, v in params.items()}
    assert api.get("user.redeliverWebhook", **given)["code"] == code


def test_the_log_refuses_a_bad_window(api: Api, receiver: Receiver) -> None:
    webhook_id = api.get("user.setWebhook", url=receiver.url)["data"]["webhookId"]
    assert api.get("user.getWebhookDeliveries")["code"] == 30
    bad = {"webhookId": webhook_id, "from": "5", "to": "1"}
    assert api.get("user.getWebhookDeliveries", **bad)["code"] == 40


def test_webhooks_answer_in_xml_too(api: Api, receiver: Receiver) -> None:
    api.get("user.setWebhook", url=receiver.url, events="flipbook.converted,flipbook.failed")
    response = api.client.get(
        "/v1/", params=signed(api.tenant.pair, "user.getWebhooks", format="xml")
    )
    root = ET.fromstring(response.text)
    [webhook] = root.findall("./data/webhooks/webhook")
    assert [e.text for e in webhook.findall("./events/event")] == [
        "flipbook.converted",
        "flipbook.failed",
    ]


def test_loopback_endpoints_are_refused_with_default_settings(
    tmp_path: Path, database_url: str, receiver: Receiver, clock: FixedClock
) -> None:
    """What the operator's `webhook_allow` does: without it 127.0.0.1 is refused."""
    settings = make_settings(tmp_path / "default", database_url)
    upgrade(settings.resolved_database_url())
    runtime = build_runtime(settings, clock=clock, queue=RecordingQueue())
    try:
        with TestClient(create_app(runtime)) as client:
            api = Api(client, new_tenant(runtime))
            assert api.get("user.setWebhook", url=receiver.url)["code"] == 40
            assert api.get("user.setWebhook", url="http://localhost:8000/")["code"] == 40
            assert api.get("user.getWebhooks")["data"]["webhooks"] == []
    finally:
        runtime.db.dispose()
