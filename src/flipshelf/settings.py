"""Every setting of flipshelf: its default (good for one machine) and its help text.

Read once at start-up by `load_settings`: ``FLIPSHELF_*`` environment variables first, then a
``.env`` file in the working directory, then one in the data directory (docs/configuration.md);
`docs/configuration.md` lists the same fields and a test fails when the two disagree.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """The one settings object. Field descriptions are the help texts shown in the docs."""

    model_config = SettingsConfigDict(env_prefix="FLIPSHELF_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        default=Path("data"),
        description="Directory holding the SQLite database, stored files and the server key.",
    )
    host: str = Field(default="127.0.0.1", description="Address `flipshelf serve` listens on.")
    port: int = Field(
        default=8000, ge=1, le=65535, description="Port `flipshelf serve` listens on."
    )
    database_url: str = Field(
        default="",
        description=(
            "SQLAlchemy URL of the metadata database. Empty: a SQLite file `flipshelf.db` in the "
            "data directory. For PostgreSQL: `postgresql+psycopg://user:pass@host/db`."
        ),
    )
    server_key: str = Field(
        default="",
        description=(
            "Base64 key (32 bytes) that encrypts API secrets at rest and signs links. Empty: "
            "generated into `server.key` in the data directory on first start. Every API process "
            "of one installation needs the same key."
        ),
    )
    public_url: str = Field(
        default="",
        description=(
            "Public base URL of the server as readers reach it (e.g. `https://books.example.com`), "
            "used in embed codes and file URLs. Empty: `http://HOST:PORT`."
        ),
    )
    maintenance: bool = Field(
        default=False, description="Answer every API call with code 22 (maintenance mode)."
    )
    lenient_verbs: bool = Field(
        default=True,
        description=(
            "Accept POST with a urlencoded or multipart body (and no file part) for every "
            "action, as clients written against the live service send them. `false`: the "
            "reference's letter (GET for actions without a file, multipart POST for uploads)."
        ),
    )
    rate_per_second: int = Field(
        default=5, ge=1, description="API requests per second per key (moving window; code 31)."
    )
    rate_per_minute: int = Field(
        default=60, ge=1, description="API requests per minute per key (moving window; code 32)."
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description=(
            "Where rate-limit windows live: `memory://` (one API process) or a Redis URL such as "
            "`redis://127.0.0.1:6379/0` (shared by many API processes)."
        ),
    )
    credentials_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        description=(
            "How long an API process keeps a key's account and secret after reading them (0: "
            "read the database on every call). A key revoked, rotated or put in strict mode by "
            "another process (the CLI) takes effect in each API process within this time."
        ),
    )
    cached_read_seconds: float = Field(
        default=0.01,
        ge=0,
        description=(
            "SQLite: how long an API process may answer a collection it read from memory before "
            "checking whether another process (a worker, the CLI, another API process) committed "
            "a change; changes made through the API process itself are seen at once. 0: check on "
            "every read."
        ),
    )
    uploads_per_month: int = Field(
        default=1000,
        ge=0,
        description="Successful uploads per calendar month per account (code 33).",
    )
    max_upload_bytes: int = Field(
        default=500 * 1024 * 1024,
        ge=1,
        description="Largest accepted upload or fetched fileUrl (code 34).",
    )
    max_pages: int = Field(default=1000, ge=1, description="Most pages per document (code 35).")
    upload_staging_bytes: int = Field(
        default=2 * 1024 * 1024 * 1024,
        ge=1,
        description=(
            "Bytes of uploads one apiKey, and one client address, may have in flight at once in "
            "an API process (received before their signature can be checked); beyond it an "
            "upload answers 34 with a reason."
        ),
    )
    storage_url: str = Field(
        default="",
        description=(
            "Where files live. Empty: the `files` directory in the data directory. Also "
            "`file:///abs/path`, or `s3://bucket/prefix?endpoint=URL&region=R` for S3-compatible "
            "storage (credentials: `s3_access_key_id` and `s3_secret_access_key`, else the "
            "standard AWS_* variables or the machine's instance role)."
        ),
    )
    s3_access_key_id: str = Field(
        default="",
        description=(
            "Access key of an S3 `storage_url`. Set it with `s3_secret_access_key`, or leave "
            "both empty."
        ),
    )
    s3_secret_access_key: str = Field(
        default="",
        repr=False,
        description="Secret of `s3_access_key_id`. Never logged or printed.",
    )
    jobs_url: str = Field(
        default="",
        description=(
            "Where queued jobs wait. Empty: `jobs.db` (SQLite) in the data directory, for one "
            "machine. A Redis URL (`redis://host:6379/1`) lets workers on many machines share it."
        ),
    )
    workers: int = Field(
        default=1,
        ge=0,
        description=(
            "Worker processes `flipshelf serve` starts beside the API (0: none; run "
            "`flipshelf worker` separately). Each converts one document at a time."
        ),
    )
    upload_check_processes: int = Field(
        default=2,
        ge=1,
        description=(
            "Processes each API process keeps for opening uploads (type and page count) while "
            "the client waits; started on demand, they leave after two idle minutes."
        ),
    )
    upload_check_seconds: float = Field(
        default=5.0,
        gt=0,
        description=(
            "How long an upload waits for its check. A check that cannot finish in time (a busy "
            "machine) never refuses the file: it is accepted, and its conversion judges it."
        ),
    )
    conversion_processes: int = Field(
        default=0,
        ge=0,
        description="Rendering processes per document conversion. 0: one per CPU core.",
    )
    conversion_memory_mb: int = Field(
        default=1536, ge=64, description="Address-space limit of each rendering process, in MiB."
    )
    conversion_cpu_seconds: int = Field(
        default=600, ge=1, description="CPU-time limit of each rendering process per conversion."
    )
    zoom_pass: bool = Field(
        default=False,
        description=(
            "Run the zoom pass after each conversion (every page drawn large, as a job). "
            "`false`: zoom images are drawn when a reader first asks for one, and kept."
        ),
    )
    zoom_draw_processes: int = Field(
        default=1,
        ge=1,
        description=(
            "Processes each API process keeps for drawing zoom images readers ask for; "
            "started on demand, they leave after two idle minutes."
        ),
    )
    zoom_draw_waiting: int = Field(
        default=8,
        ge=1,
        description=(
            "Different zoom images one API process draws or holds waiting at once; the next "
            "reader is answered 503 with Retry-After."
        ),
    )
    zoom_draw_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long a zoom image may wait and take to draw (CPU time included).",
    )
    lease_seconds: int = Field(
        default=60,
        ge=2,
        description=(
            "How long a worker holds a conversion without reporting progress before the sweep "
            "gives the job to another worker."
        ),
    )
    sweep_interval_seconds: float = Field(
        default=15.0,
        gt=0,
        description="Seconds between sweeps for conversions whose worker died.",
    )
    job_attempts: int = Field(
        default=3,
        ge=1,
        description="Attempts at a conversion that fails transiently before it is marked FAILED.",
    )
    fetch_allow: str = Field(
        default="",
        description=(
            "Comma-separated hosts or networks (e.g. `files.internal,10.1.0.0/16`) a fileUrl may "
            "reach even though they are not public addresses."
        ),
    )
    fetch_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="Total deadline for fetching one fileUrl, redirects included.",
    )
    webhook_allow: str = Field(
        default="",
        description=(
            "Comma-separated hosts or networks (e.g. `hooks.internal,10.1.0.0/16`) a webhook "
            "endpoint may reach even though they are not public addresses; the same rules as "
            "`fetch_allow`, kept apart so allowing one never allows the other."
        ),
    )
    webhook_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description=(
            "How long a webhook delivery waits for the endpoint to connect and answer before "
            "the try counts as failed."
        ),
    )
    webhook_first_retry_seconds: float = Field(
        default=10.0,
        gt=0,
        description=(
            "The wait after a delivery's first failed try; each later wait doubles (the time "
            "since the first try), up to an hour."
        ),
    )
    webhook_retry_seconds: int = Field(
        default=86_400,
        ge=1,
        description="How long a delivery is tried again before it is given up (a day).",
    )
    webhook_disable_after_seconds: int = Field(
        default=259_200,
        ge=1,
        description=(
            "An endpoint that has not taken one delivery for this long since its first failure "
            "(three days) is disabled at its next failure, with the reason shown to its owner."
        ),
    )
    strict_signature_window_seconds: int = Field(
        default=300,
        ge=1,
        description=(
            "For keys in strict mode and HMAC-signed calls: how far `timestamp` may be from the "
            "server clock."
        ),
    )
    log_format: str = Field(
        default="console", description="`console` for people, `json` for log collectors."
    )
    log_level: str = Field(
        default="info", description="Lowest level logged: debug, info, warning, error."
    )
    metrics_token: str = Field(
        default="",
        repr=False,  # a secret: never in a logged or printed settings object
        description=(
            "Serves Prometheus metrics at `/metrics` to requests with `Authorization: Bearer "
            "<token>` (at least 16 characters). Empty: `/metrics` answers 404."
        ),
    )
    package_link_seconds: int = Field(
        default=60,
        ge=1,
        description=(
            "How long a `resourceUrl` from collection.downloadHTML works after it was issued; "
            "later it answers 410. Each call issues a fresh one."
        ),
    )

    dashboard_idle_minutes: int = Field(
        default=120,
        ge=1,
        description=(
            "A dashboard session ends after this many minutes without a request (the browser "
            "must sign in again)."
        ),
    )
    dashboard_session_hours: int = Field(
        default=168,
        ge=1,
        description="A dashboard session ends this many hours after signing in, however active.",
    )
    login_link_seconds: int = Field(
        default=900,
        ge=60,
        le=7 * 24 * 3600,
        description=(
            "How long a sign-in link from `flipshelf accounts login-link` (or `flipshelf serve`) "
            "works unless `--expires` says otherwise; each link signs in once."
        ),
    )

    @field_validator("metrics_token")
    @classmethod
    def _long_metrics_token(cls, value: str) -> str:
        if value and (len(value) < 16 or not value.isprintable() or " " in value):
            raise ValueError("metrics_token must be at least 16 printable characters, no spaces")
        return value

    @field_validator("log_format")
    @classmethod
    def _known_log_format(cls, value: str) -> str:
        if value not in ("console", "json"):
            raise ValueError("log_format must be 'console' or 'json'")
        return value

    @model_validator(mode="after")
    def _s3_key_pair(self) -> Settings:
        if bool(self.s3_access_key_id) != bool(self.s3_secret_access_key):
            raise ValueError("set s3_access_key_id and s3_secret_access_key together, or neither")
        return self

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'flipshelf.db').resolve()}"

    def resolved_storage_url(self) -> str:
        """The file store, defaulting to the `files` directory in the data directory."""
        return self.storage_url or str((self.data_dir / "files").resolve())

    def resolved_public_url(self) -> str:
        """The base URL readers use, defaulting to the listening address."""
        return self.public_url or f"http://{self.host}:{self.port}"


ENV_FILE = ".env"


class SettingsError(ValueError):
    """Settings that cannot be used: one line per problem, each naming its variable."""


def load_settings() -> Settings:
    """The settings every command and process uses. The environment wins over `./.env`, which
    wins over `<data dir>/.env`, so an operator can keep an installation's settings beside its
    data and every command run there (serve, worker, accounts, ...) reads the same ones."""
    try:
        first = Settings(_env_file=ENV_FILE)  # type: ignore[call-arg]
        beside_data = first.data_dir / ENV_FILE
        if not beside_data.is_file():
            return first
        # Later files win: ./.env over the data dir's.
        return Settings(_env_file=(beside_data, ENV_FILE))  # type: ignore[call-arg]
    except ValidationError as invalid:
        raise SettingsError(settings_problems(invalid)) from None


def settings_problems(invalid: ValidationError) -> str:
    """One line per invalid setting, named as the operator sets it (FLIPSHELF_PORT, not port)."""
    lines = []
    for problem in invalid.errors():
        where = "_".join(str(part) for part in problem["loc"]).upper()
        name = f"FLIPSHELF_{where}" if where else "settings"
        # Never the value itself: it may be a key or a database URL with its password.
        lines.append(f"{name}: {problem['msg']}"[:300])
    return "\n".join(lines)
