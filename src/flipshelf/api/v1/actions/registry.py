"""Every v1 action by name, whether it uploads a file, and whether it is a quick read."""

from __future__ import annotations

from flipshelf.api.v1.actions import (
    collection,
    flipbook,
    links,
    packages,
    stats,
    uploads,
    webhooks,
)
from flipshelf.api.v1.call import Action

ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action("collection.getCollection", collection.get_collection, quick_read=True),
        Action("collection.update", collection.update),
        Action("collection.deleteCollection", collection.delete_collection),
        Action("collection.getList", collection.get_list),
        Action("collection.getEmbed", collection.get_embed, quick_read=True),
        Action("collection.deleteLogo", collection.delete_logo),
        Action("collection.getStats", stats.collection_stats),
        Action("user.getStats", stats.user_stats),
        # Extension beyond the v1 reference: a signed, expiring player link (docs/api.md).
        Action("collection.getPrivateLink", links.get_private_link),
        Action("flipbook.delete", flipbook.delete),
        Action("collection.create", uploads.create, upload=True),
        Action("flipbook.add", uploads.add_flipbook, upload=True),
        Action("collection.setLogo", uploads.set_logo, upload=True),
        Action("collection.setBackgroundImage", uploads.set_background, upload=True),
        Action("collection.downloadHTML", packages.download_html),
        # Extensions: webhooks (docs/webhooks.md).
        Action("user.setWebhook", webhooks.set_webhook),
        Action("user.getWebhooks", webhooks.get_webhooks),
        Action("user.deleteWebhook", webhooks.delete_webhook),
        Action("user.getWebhookDeliveries", webhooks.get_webhook_deliveries),
        Action("user.redeliverWebhook", webhooks.redeliver_webhook),
    )
}
