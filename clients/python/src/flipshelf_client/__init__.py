"""flipshelf-client: a typed Python client for flipshelf and Flipsnack-v1-compatible servers.

    from flipshelf_client import Client

    with Client.from_env() as client:
        collection = client.create_collection("catalogue.pdf", title="Spring")
        client.wait_until_complete(collection.collection_hash)
        print(client.get_embed(collection.collection_hash))

See docs/client.md in the flipshelf repository.
"""

from flipshelf_client.aio import AsyncClient
from flipshelf_client.client import Client
from flipshelf_client.config import InsecureProfileWarning
from flipshelf_client.errors import (
    ApiError,
    AuthenticationError,
    BadRequest,
    CollectionProcessing,
    ConfigurationError,
    ConversionFailed,
    DownloadFailed,
    FileTooLarge,
    FlipshelfError,
    Forbidden,
    GatewayUnavailable,
    InternalError,
    InvalidAction,
    InvalidCollectionHash,
    InvalidCredentials,
    InvalidFileFormat,
    InvalidSignature,
    LastFlipbook,
    Maintenance,
    MissingParameter,
    MultipleFiles,
    NotFound,
    PackageFailed,
    PerMinuteLimit,
    PerSecondLimit,
    ProtocolError,
    RateLimited,
    TooManyPages,
    TransportError,
    UploadQuotaExceeded,
    UploadRejected,
    WaitTimeout,
    WebhookSignatureError,
)
from flipshelf_client.models import (
    Collection,
    CollectionList,
    CollectionStatus,
    ConvertStatus,
    Flipbook,
    Package,
    PackageStatus,
    PageStats,
    Stats,
    UserStats,
)
from flipshelf_client.plans import Backoff
from flipshelf_client.signing import Signing
from flipshelf_client.webhook_models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookDeliveryList,
    WebhookEndpoint,
    WebhookEvent,
)
from flipshelf_client.webhooks import sign_webhook, verify_webhook

__all__ = [
    "ApiError",
    "AsyncClient",
    "AuthenticationError",
    "Backoff",
    "BadRequest",
    "Client",
    "Collection",
    "CollectionList",
    "CollectionProcessing",
    "CollectionStatus",
    "ConfigurationError",
    "ConversionFailed",
    "ConvertStatus",
    "DeliveryStatus",
    "DownloadFailed",
    "FileTooLarge",
    "Flipbook",
    "FlipshelfError",
    "Forbidden",
    "GatewayUnavailable",
    "InsecureProfileWarning",
    "InternalError",
    "InvalidAction",
    "InvalidCollectionHash",
    "InvalidCredentials",
    "InvalidFileFormat",
    "InvalidSignature",
    "LastFlipbook",
    "Maintenance",
    "MissingParameter",
    "MultipleFiles",
    "NotFound",
    "Package",
    "PackageFailed",
    "PackageStatus",
    "PageStats",
    "PerMinuteLimit",
    "PerSecondLimit",
    "ProtocolError",
    "RateLimited",
    "Signing",
    "Stats",
    "TooManyPages",
    "TransportError",
    "UploadQuotaExceeded",
    "UploadRejected",
    "UserStats",
    "WaitTimeout",
    "WebhookDelivery",
    "WebhookDeliveryList",
    "WebhookEndpoint",
    "WebhookEvent",
    "WebhookSignatureError",
    "sign_webhook",
    "verify_webhook",
]
