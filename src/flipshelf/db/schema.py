"""The schema, in SQLAlchemy Core. Migrations in `migrations/versions` must produce exactly this."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from flipshelf.db.types import PageNumbers, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("api_key", String(64), nullable=False, unique=True),
    # AES-GCM ciphertext of the secret under the server key: a dump holds no plaintext secret.
    Column("secret_enc", LargeBinary, nullable=False),
    Column("strict", Boolean, nullable=False, default=False),
    # Calls must be signed with HMAC-SHA256 (docs/api.md, "HMAC signing"); MD5 answers 44.
    Column("hmac_only", Boolean, nullable=False, default=False, server_default=false()),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    # `flipshelf accounts delete`: the row stays (its collections' hashes keep answering 43),
    # the key answers 41 and the name is free again.
    Column("deleted_at", UTCDateTime, nullable=True),
    # One live account per name: the dashboard and `login-link` find accounts by name.
    Index(
        "ux_accounts_live_name",
        "name",
        unique=True,
        sqlite_where=text("deleted_at IS NULL"),
        postgresql_where=text("deleted_at IS NULL"),
    ),
)

collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("hash", String(16), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("title", String(255), nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("logo_key", String(255), nullable=True),
    Column("background_key", String(255), nullable=True),
    # Right-to-left books (Arabic, Hebrew, manga) turn the other way in the player.
    Column("rtl", Boolean, nullable=False, default=False, server_default=false()),
    # Bumped on every change: packages and caches are keyed on it.
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # Deleted collections keep their row so their hash answers 43, never 46, afterwards.
    Column("deleted_at", UTCDateTime, nullable=True),
    Index("ix_collections_account_created", "account_id", "created_at"),
)

flipbooks = Table(
    "flipbooks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("hash", String(40), nullable=False, unique=True),
    Column("collection_id", Integer, ForeignKey("collections.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", String(255), nullable=False, default=""),
    Column("extension", String(8), nullable=False),
    Column("convert_status", String(16), nullable=False),
    Column("convert_error", String(255), nullable=True),
    Column("page_count", Integer, nullable=True),
    Column("pages_ready", Integer, nullable=False, default=0),
    # Pages that could not be drawn, as "3,17" (the rest of the book was): getCollection's
    # `failedPages`. NULL when every page was drawn.
    Column("failed_pages", PageNumbers, nullable=True),
    Column("source_key", String(255), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    # The job's lease: a worker holds the conversion until then (renewed as pages complete).
    Column("lease_until", UTCDateTime, nullable=True),
    # Which worker holds the lease (host:pid), so its supervisor can free it when it dies.
    Column("lease_owner", String(100), nullable=True),
    # When the conversion was last handed to the queue; the sweep re-queues after a grace time.
    Column("queued_at", UTCDateTime, nullable=True),
    # The zoom pass, a job of its own once the book is COMPLETE: when it was last queued (or
    # last showed progress), when it finished, and how many passes started. The sweep queues a
    # pass again when it went quiet (message lost, worker dead), up to the attempts allowed.
    Column("zoom_queued_at", UTCDateTime, nullable=True),
    Column("zoomed_at", UTCDateTime, nullable=True),
    Column("zoom_attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_flipbooks_collection_position", "collection_id", "position"),
)

upload_counters = Table(
    "upload_counters",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("used", Integer, nullable=False, default=0),
)

stats_days = Table(
    "stats_days",
    metadata,
    Column("collection_id", Integer, ForeignKey("collections.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("impressions", Integer, nullable=False, default=0),
    Column("views", Integer, nullable=False, default=0),
    Column("time_spent", Integer, nullable=False, default=0),
    Column("downloads", Integer, nullable=False, default=0),
)

page_stats_days = Table(
    "page_stats_days",
    metadata,
    Column("collection_id", Integer, ForeignKey("collections.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("page", Integer, primary_key=True),
    Column("views", Integer, nullable=False, default=0),
    Column("time_spent", Integer, nullable=False, default=0),
    Column("clicks", Integer, nullable=False, default=0),
)

nonces = Table(
    "nonces",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("seen_at", UTCDateTime, nullable=False),
)

# Offline HTML packages (collection.downloadHTML): one row per collection version and variant,
# so any number of simultaneous calls agree on one build. Like a conversion, a build holds a
# lease whose token is `attempts`; the sweep re-queues builds whose lease ran out. AUTOINCREMENT:
# an id is never reused, so a signed download link can never reach another collection's package.
packages = Table(
    "packages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("collection_id", Integer, ForeignKey("collections.id"), nullable=False),
    Column("version", Integer, nullable=False),
    # "full", or "lean" (without zoom images): domain.packages.PackageVariant.
    Column("variant", String(16), nullable=False, server_default="full"),
    Column("status", String(16), nullable=False),
    # The stored zip (server-made key), once COMPLETE.
    Column("key", String(255), nullable=True),
    Column("size", BigInteger, nullable=True),
    Column("error", String(255), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("lease_owner", String(100), nullable=True),
    # When the build was last handed to the queue; the sweep re-queues after a grace time.
    Column("queued_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    # When it became COMPLETE or FAILED.
    Column("completed_at", UTCDateTime, nullable=True),
    UniqueConstraint("collection_id", "version", "variant"),
    sqlite_autoincrement=True,
)

# What each reading session (one page load of the player) has counted already, so an event
# counts once however many API processes receive it. Kept for a day or two (see `day`), then
# pruned: the counters above hold the lasting figures and no session ids.
reader_sessions = Table(
    "reader_sessions",
    metadata,
    Column("session", String(64), primary_key=True),
    Column("collection_id", Integer, ForeignKey("collections.id"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    # "" when the key is the whole collection; a flipbook hash for its pages and downloads.
    Column("flipbook", String(32), primary_key=True),
    Column("page", Integer, primary_key=True),  # 0 unless the key is one page
    # The UTC day the session first counted this key: rows of past days are pruned.
    Column("day", Date, nullable=False),
    # Tenths of a second on the page so far (page views), or clicks so far (the click allowance).
    Column("amount", Integer, nullable=False, default=0),
    Index("ix_reader_sessions_day", "day"),
)

# The dashboard (docs/dashboard.md). An account's password, as an argon2id hash (its parameters
# and salt are in the string); no row: the account signs in with login links only.
passwords = Table(
    "passwords",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("hash", String(255), nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
)

# Signed-in browsers. The cookie holds a random token; only its SHA-256 is stored, so a copy of
# the database signs nobody in. `csrf` is the token every form and state-changing request of the
# session must carry.
dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # The last request, written at most once a minute: idle sessions end.
    Column("seen_at", UTCDateTime, nullable=False),
    Index("ix_dashboard_sessions_account_id", "account_id"),
)

# The nonces of login links already used: a link signs in once. Kept until the link expires.
used_login_links = Table(
    "used_login_links",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

# Failed sign-in attempts per throttle key ("address:..." or "account:..."): the wait before the
# next attempt grows with `failures` (domain/signin.py).
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_at", UTCDateTime, nullable=False),
)

# Webhooks (docs/webhooks.md). An endpoint's signing secret is sealed like an API secret (the
# server key opens it: deliveries must sign with the plaintext). `failing_since` is its first
# failure after its last success; an endpoint failing for days gets `disabled_at` and a reason.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("url", String(2048), nullable=False),
    # Comma-separated event names; empty: every event.
    Column("events", String(255), nullable=False, default=""),
    Column("secret_enc", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("failing_since", UTCDateTime, nullable=True),
    Column("last_success_at", UTCDateTime, nullable=True),
    Column("disabled_at", UTCDateTime, nullable=True),
    Column("disabled_reason", String(255), nullable=True),
    sqlite_autoincrement=True,
)

# The outbox: an event is written in the transaction that made it happen (a conversion's end, a
# package's end, a deletion), with its body (the JSON every try sends) and one delivery per
# subscribed endpoint. Only accounts with endpoints get rows.
webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("body", Text, nullable=False),
    # Indexed for the sweep, which prunes old events no delivery needs any more.
    Column("created_at", UTCDateTime, nullable=False, index=True),
    sqlite_autoincrement=True,
)

# One row per event and endpoint: a job row with the lease pattern of db/leases.py (`attempts`
# is the lease's token). `retry_from` starts the retry window (the first try, or a redelivery);
# `queued_at` is when it was last handed to the queue, or when it is due again after a failure.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, ForeignKey("webhook_events.id"), nullable=False),
    Column("endpoint_id", Integer, ForeignKey("webhook_endpoints.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("lease_owner", String(100), nullable=True),
    Column("queued_at", UTCDateTime, nullable=True),
    Column("retry_from", UTCDateTime, nullable=False),
    Column("last_attempt_at", UTCDateTime, nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(255), nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("event_id", "endpoint_id"),
    Index("ix_webhook_deliveries_endpoint_id", "endpoint_id", "id"),
    Index("ix_webhook_deliveries_status", "status", "created_at"),
    sqlite_autoincrement=True,
)
