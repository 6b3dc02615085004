"""The webhook actions through the client against a real `flipshelf serve`, and a delivery that
server really sent to a receiver on 127.0.0.1 verified with the client's `verify_webhook`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import flipshelf_client as fc
from flipshelf_client import actions
from hook_receiver import hook_receiver
from live_server import LiveServer

WAIT = 180.0  # seconds: generous, the machine is shared; a deadline, never a sleep


def test_a_list_of_events_is_sent_comma_separated() -> None:
    call = actions.set_webhook("https://h.example/x", events=[fc.WebhookEvent.FLIPBOOK_FAILED])
    assert call.params == {"url": "https://h.example/x", "events": "flipbook.failed"}
    both = actions.set_webhook("u", events=("a", "b"), webhook_id="wh_1").params
    assert both == {"url": "u", "events": "a,b", "webhookId": "wh_1"}
    assert actions.set_webhook("u", events="*").params["events"] == "*"
    assert "events" not in actions.set_webhook("u").params
    paged = actions.get_webhook_deliveries("wh_1", start=0, stop=10).params
    assert paged == {"webhookId": "wh_1", "from": "0", "to": "10"}


def test_a_delivery_the_server_sent_verifies_and_can_be_redelivered(
    live: LiveServer, documents: dict[str, Path]
) -> None:
    api_key, secret = live.new_account("hooks")
    with hook_receiver() as receiver, live.client(api_key, secret) as client:
        made = client.set_webhook(receiver.url, events=[fc.WebhookEvent.FLIPBOOK_CONVERTED])
        assert made.secret and made.webhook_id and made.enabled
        assert made.events == ("flipbook.converted",) and made.url == receiver.url
        listed = client.list_webhooks()
        assert [e.webhook_id for e in listed] == [made.webhook_id]
        assert listed[0].secret is None  # shown once, never again

        created = client.create_collection(documents["binarytree-ex1"], title="Hooked")
        client.wait_until_complete(created.collection_hash, timeout=WAIT)
        first = receiver.wait_for(1, WAIT)[0]
        # The client's helper accepts what the server signed, and only that.
        fc.verify_webhook(first.body, first.signature, made.secret)
        event = json.loads(first.body)
        assert event["event"] == "flipbook.converted" and event["id"] == first.event_id
        assert event["data"]["collectionHash"] == created.collection_hash
        with pytest.raises(fc.WebhookSignatureError, match="matches"):
            fc.verify_webhook(first.body + b" ", first.signature, made.secret)
        with pytest.raises(fc.WebhookSignatureError, match="matches"):
            fc.verify_webhook(first.body, first.signature, secret)
        assert first.signature and first.signature.startswith("t=")
        sent_at = int(first.signature.split(",")[0].removeprefix("t="))
        with pytest.raises(fc.WebhookSignatureError, match="tolerance"):
            fc.verify_webhook(first.body, first.signature, made.secret, now=sent_at + 301)

        log = client.get_webhook_deliveries(made.webhook_id)
        assert log.delivery_count == 1
        delivered = log.deliveries[0]
        assert delivered.event_id == event["id"] and delivered.event == "flipbook.converted"
        assert delivered.status is fc.DeliveryStatus.DELIVERED and delivered.attempts >= 1
        assert delivered.last_response_code == 204 and delivered.delivered_at is not None

        again = client.redeliver_webhook(made.webhook_id, event["id"])
        assert again.event_id == event["id"] and again.status is fc.DeliveryStatus.PENDING
        second = receiver.wait_for(2, WAIT)[1]
        fc.verify_webhook(second.body, second.signature, made.secret)
        assert second.body == first.body  # the same event, id and all: receivers deduplicate

        with pytest.raises(fc.BadRequest):
            client.redeliver_webhook(made.webhook_id, "evt_" + "0" * 24)
        with pytest.raises(fc.BadRequest):
            client.set_webhook(receiver.url, events="flipbook.nothing")
        with pytest.raises(fc.MissingParameter):
            client.set_webhook("")
        client.delete_webhook(made.webhook_id)
        assert client.list_webhooks() == ()
        with pytest.raises(fc.BadRequest):
            client.delete_webhook(made.webhook_id)


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_async_client_manages_endpoints(live: LiveServer, anyio_backend: str) -> None:
    api_key, secret = live.new_account("async-hooks")
    async with fc.AsyncClient(live.url, api_key, secret, trust_env=False) as client:
        made = await client.set_webhook("http://127.0.0.1:9/hooks")
        assert made.events == ("*",) and made.secret
        changed = await client.set_webhook(
            "http://127.0.0.1:9/other", events="collection.deleted", webhook_id=made.webhook_id
        )
        assert changed.webhook_id == made.webhook_id and changed.secret is None
        assert changed.url.endswith("/other") and changed.events == ("collection.deleted",)
        listed = await client.list_webhooks()
        assert [e.url for e in listed] == ["http://127.0.0.1:9/other"]
        log = await client.get_webhook_deliveries(made.webhook_id, start=0, stop=5)
        assert log == fc.WebhookDeliveryList(0, ())
        await client.delete_webhook(made.webhook_id)
        assert await client.list_webhooks() == ()
