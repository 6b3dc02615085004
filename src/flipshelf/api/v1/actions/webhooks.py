"""user.setWebhook, getWebhooks, deleteWebhook, getWebhookDeliveries, redeliverWebhook: flipshelf
extensions beyond the v1 reference (docs/webhooks.md)."""

from __future__ import annotations

from flipshelf.api.v1.call import Call, Data
from flipshelf.api.v1.webhook_views import delivery_view, endpoint_view
from flipshelf.domain.listing import page_window
from flipshelf.domain.webhooks import parse_events
from flipshelf.services import webhooks


def set_webhook(call: Call) -> Data:
    url = call.required("url")
    events = parse_events(call.optional("events"))
    endpoint, secret = webhooks.set_endpoint(
        call.ports, call.account, url, events, call.optional("webhookId")
    )
    view = endpoint_view(endpoint)
    if secret is not None:
        view["secret"] = secret  # only now: it is stored sealed and never shown again
    return view


def get_webhooks(call: Call) -> Data:
    return {"webhooks": [endpoint_view(e) for e in webhooks.endpoints(call.ports, call.account)]}


def delete_webhook(call: Call) -> Data:
    webhooks.delete_endpoint(call.ports, call.account, call.required("webhookId"))
    return None


def get_webhook_deliveries(call: Call) -> Data:
    webhook_id = call.required("webhookId")
    offset, limit = page_window(call.optional("from"), call.optional("to"))
    total, found = webhooks.delivery_log(call.ports, call.account, webhook_id, offset, limit)
    return {"deliveryCount": total, "deliveryItems": [delivery_view(d) for d in found]}


def redeliver_webhook(call: Call) -> Data:
    webhook_id, event_id = call.required("webhookId"), call.required("eventId")
    return delivery_view(webhooks.redeliver(call.ports, call.account, webhook_id, event_id))
