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

# Offline HTML packages (collection.downloadHTML): one row per collection version, so any number
# of simultaneous calls agree on one build. Like a conversion, a build holds a lease whose token
# is `attempts`; the sweep re-queues builds whose lease ran out. AUTOINCREMENT: an id is never
# reused, so a signed download link can never reach another collection's package.
packages = Table(
    "packages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("collection_id", Integer, ForeignKey("collections.id"), nullable=False),
    Column("version", Integer, nullable=False),
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
    UniqueConstraint("collection_id", "version"),
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
