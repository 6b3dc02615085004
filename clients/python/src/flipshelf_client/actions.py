"""Every v1 action of docs/api.md as a `Call`: its name, its parameters written the way the
server reads them, and the parser of its answer. `Client` and `AsyncClient` send these."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from enum import Enum
from typing import Protocol, TypeVar

from flipshelf_client import models
from flipshelf_client.models import Collection, CollectionStatus
from flipshelf_client.steps import Call
from flipshelf_client.uploads import FileSource, Progress, Upload
from flipshelf_client.webhook_models import (
    WebhookDelivery,
    WebhookDeliveryList,
    WebhookEndpoint,
    webhook_list,
)

T = TypeVar("T")
Value = str | int | bool | date | Enum | None


def wire(**values: Value) -> dict[str, str]:
    """Parameters as the server reads them: None left out, flags `true`/`false`, dates
    `YYYY-MM-DD`, enums by value. An empty string is kept (it clears a title)."""
    params: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            params[name] = "true" if value else "false"
        elif isinstance(value, Enum):
            params[name] = str(value.value)
        elif isinstance(value, date):
            params[name] = value.isoformat()
        else:
            params[name] = str(value)
    return params


def _upload_call(
    action: str,
    file: FileSource | None,
    file_url: str | None,
    filename: str | None,
    on_progress: Progress | None,
    parse: Callable[[object], T],
    **values: Value,
) -> Call[T]:
    if (file is None) == (file_url is None):
        raise ValueError(f"{action} takes exactly one of `file` and `file_url`")
    upload = Upload(file, filename, on_progress) if file is not None else None
    return Call(action, wire(**values, fileUrl=file_url), parse, upload=upload, post=True)


def create_collection(
    file: FileSource | None = None,
    *,
    file_url: str | None = None,
    title: str | None = None,
    description: str | None = None,
    width: int | None = None,
    height: int | None = None,
    status: CollectionStatus | str | None = None,
    rtl: bool | None = None,
    filename: str | None = None,
    on_progress: Progress | None = None,
) -> Call[Collection]:
    return _upload_call(
        "collection.create",
        file,
        file_url,
        filename,
        on_progress,
        Collection.from_wire,
        title=title,
        description=description,
        collectionWidth=width,
        collectionHeight=height,
        collectionStatus=status,
        rtl=rtl,
    )


def add_flipbook(
    collection_hash: str,
    file: FileSource | None = None,
    *,
    file_url: str | None = None,
    title: str | None = None,
    filename: str | None = None,
    on_progress: Progress | None = None,
) -> Call[Collection]:
    return _upload_call(
        "flipbook.add",
        file,
        file_url,
        filename,
        on_progress,
        Collection.from_wire,
        collectionHash=collection_hash,
        title=title,
    )


class ImageUpload(Protocol):
    def __call__(
        self,
        collection_hash: str,
        file: FileSource | None = None,
        *,
        file_url: str | None = None,
        filename: str | None = None,
        on_progress: Progress | None = None,
    ) -> Call[Collection]: ...


def _image_upload(action: str, doc: str) -> ImageUpload:
    """The builder of an action that sets one image of a collection (logo, background)."""

    def build(
        collection_hash: str,
        file: FileSource | None = None,
        *,
        file_url: str | None = None,
        filename: str | None = None,
        on_progress: Progress | None = None,
    ) -> Call[Collection]:
        return _upload_call(
            action,
            file,
            file_url,
            filename,
            on_progress,
            Collection.from_wire,
            collectionHash=collection_hash,
        )

    build.__doc__ = doc
    return build


set_logo = _image_upload(
    "collection.setLogo", "Sets the collection's logo (JPEG, PNG, GIF or WebP; re-encoded)."
)
set_background_image = _image_upload(
    "collection.setBackgroundImage",
    "Sets the collection's background image (JPEG, PNG, GIF or WebP; re-encoded).",
)


def get_collection(collection_hash: str) -> Call[Collection]:
    return Call(
        "collection.getCollection", wire(collectionHash=collection_hash), Collection.from_wire
    )


def update_collection(
    collection_hash: str,
    *,
    title: str | None = None,
    description: str | None = None,
    width: int | None = None,
    height: int | None = None,
    status: CollectionStatus | str | None = None,
    rtl: bool | None = None,
) -> Call[Collection]:
    params = wire(
        collectionHash=collection_hash,
        title=title,
        description=description,
        collectionWidth=width,
        collectionHeight=height,
        collectionStatus=status,
        rtl=rtl,
    )
    return Call("collection.update", params, Collection.from_wire)


def delete_collection(collection_hash: str) -> Call[None]:
    params = wire(collectionHash=collection_hash)
    return Call("collection.deleteCollection", params, models.nothing)


def list_collections(
    *,
    status: CollectionStatus | str | None = None,
    query: str | None = None,
    start: int | None = None,
    stop: int | None = None,
    order_by: str | None = None,
    order_mode: str | None = None,
) -> Call[models.CollectionList]:
    params = {
        "collectionStatus": status,
        "query": query,
        "from": start,
        "to": stop,
        "orderBy": order_by,
        "orderMode": order_mode,
    }
    return Call("collection.getList", wire(**params), models.CollectionList.from_wire)


def get_embed(
    collection_hash: str,
    *,
    https: bool | None = None,
    responsive: bool | None = None,
    start_page: int | None = None,
    start_book: int | None = None,
    width: int | None = None,
    height: int | None = None,
) -> Call[str]:
    params = wire(
        collectionHash=collection_hash,
        https=https,
        responsive=responsive,
        startPage=start_page,
        startBook=start_book,
        width=width,
        height=height,
    )
    return Call("collection.getEmbed", params, models.embed_code)


def get_stats(
    collection_hash: str,
    *,
    start_date: date | str | None = None,
    end_date: date | str | None = None,
    include_page_stats: bool | None = None,
) -> Call[models.Stats]:
    params = wire(
        collectionHash=collection_hash,
        startDate=start_date,
        endDate=end_date,
        includePageStats=include_page_stats,
    )
    return Call("collection.getStats", params, models.Stats.from_wire)


def get_user_stats() -> Call[models.UserStats]:
    return Call("user.getStats", {}, models.UserStats.from_wire)


def download_html(collection_hash: str) -> Call[models.Package]:
    params = wire(collectionHash=collection_hash)
    return Call("collection.downloadHTML", params, models.Package.from_wire)


def delete_logo(collection_hash: str) -> Call[Collection]:
    params = wire(collectionHash=collection_hash)
    return Call("collection.deleteLogo", params, Collection.from_wire)


def delete_flipbook(collection_hash: str, flipbook_hash: str) -> Call[None]:
    params = wire(collectionHash=collection_hash, flipbookHash=flipbook_hash)
    return Call("flipbook.delete", params, models.nothing)


def get_private_link(collection_hash: str, *, expires_in: int | None = None) -> Call[str]:
    params = wire(collectionHash=collection_hash, expiresIn=expires_in)
    return Call("collection.getPrivateLink", params, models.private_link)


def set_webhook(
    url: str, *, events: Iterable[str] | str | None = None, webhook_id: str | None = None
) -> Call[WebhookEndpoint]:
    """Registers an endpoint (its `secret` is in this answer only), or with `webhook_id`
    gives that endpoint a new `url` and `events` and enables it again. `events`: names (see
    `WebhookEvent`), or None or `"*"` for all, those a later server adds included."""
    if events is not None and not isinstance(events, str):
        events = ",".join(events)
    params = wire(url=url, events=events, webhookId=webhook_id)
    return Call("user.setWebhook", params, WebhookEndpoint.from_wire)


def list_webhooks() -> Call[tuple[WebhookEndpoint, ...]]:
    return Call("user.getWebhooks", {}, webhook_list)


def delete_webhook(webhook_id: str) -> Call[None]:
    return Call("user.deleteWebhook", wire(webhookId=webhook_id), models.nothing)


def get_webhook_deliveries(
    webhook_id: str, *, start: int | None = None, stop: int | None = None
) -> Call[WebhookDeliveryList]:
    """The endpoint's delivery log, newest first; `start`/`stop` page it as in
    `list_collections`."""
    params = wire(webhookId=webhook_id, **{"from": start, "to": stop})
    return Call("user.getWebhookDeliveries", params, WebhookDeliveryList.from_wire)


def redeliver_webhook(webhook_id: str, event_id: str) -> Call[WebhookDelivery]:
    """Sends the event to the endpoint again now (same event id), with a fresh day of
    retries; answers the delivery, now pending."""
    params = wire(webhookId=webhook_id, eventId=event_id)
    return Call("user.redeliverWebhook", params, WebhookDelivery.from_wire)


def raw(action: str, params: dict[str, Value], upload: Upload | None = None) -> Call[object]:
    """Any action by name (extensions the client does not know yet); answers `data` as
    decoded JSON."""
    return Call(action, wire(**params), lambda data: data, upload=upload, post=upload is not None)
