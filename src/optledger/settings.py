"""Process configuration, read from ``OPTLEDGER_*`` environment variables."""

from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from optledger.storage.urls import is_sqlite_url, parse_postgres_url

ONE_MIB = 1024 * 1024
ONE_GIB = 1024 * ONE_MIB


class Settings(BaseSettings):
    """Everything a process needs to know about where it runs."""

    model_config = SettingsConfigDict(env_prefix="OPTLEDGER_", extra="ignore")

    data_dir: Path = Path("optledger-data")
    database_url: str | None = Field(
        default=None,
        description="sqlite+aiosqlite:///FILE or postgresql+asyncpg://USER@HOST[:PORT]"
        "[,HOST2[:PORT]...]/DB (libpq's form: with several hosts, the one that accepts "
        "writes; `target_session_attrs` read-write, primary or any); defaults to a "
        "SQLite file in data_dir.",
    )
    read_database_url: str | None = Field(
        default=None,
        description="PostgreSQL only: where reads that decide nothing (eligibility, "
        "lookups, audience filter, export, console views) may go, usually standbys "
        "(`target_session_attrs` prefer-standby, the default, standby or read-only). "
        "A failing standby falls back to the primary.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Derives bootstrap credentials; defaults to a key kept in data_dir.",
    )
    max_body_bytes: int = ONE_MIB
    max_import_bytes: int = Field(
        default=ONE_GIB, gt=0, description="The largest CSV file the console takes for an import."
    )
    import_dir: Path | None = Field(
        default=None,
        description="Where files uploaded for import wait for the worker (every server "
        "and worker process must see the same folder); defaults to data_dir/imports.",
    )
    body_read_timeout_seconds: float = Field(
        default=30.0, gt=0, description="A request body slower to arrive than this is 408."
    )
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    metrics_token: str | None = Field(
        default=None,
        description="Lets clients other than loopback read /metrics with `Bearer <token>`.",
    )
    default_rate_limit: int = Field(
        default=1000,
        ge=1,
        description="Requests per second a credential may make when it sets no limit.",
    )
    server_processes: int = Field(
        default=1,
        ge=1,
        description="Server processes sharing the load (set by `serve --workers`): each "
        "process enforces its share of every rate limit.",
    )
    shutdown_timeout_seconds: int = Field(
        default=20,
        ge=1,
        description="On SIGTERM, how long `serve` lets requests in flight finish.",
    )
    credential_cache_seconds: float = Field(
        default=5.0,
        description="How long a process remembers an authenticated credential.",
    )
    run_worker_in_process: bool | None = Field(
        default=None,
        description="Deliver the outbox inside `serve`; defaults to on for SQLite.",
    )
    # Double opt-in and delivery (the outbox worker).
    confirmation_ttl_hours: float = Field(
        default=72, gt=0, description="How long a confirmation prompt waits for Y or N."
    )
    worker_lease_seconds: float = Field(
        default=60, gt=0, description="How long a claimed message is a worker's own."
    )
    worker_poll_seconds: float = Field(default=0.2, gt=0)
    worker_batch_size: int = Field(default=100, gt=0)
    worker_max_in_flight: int = Field(
        default=32, gt=0, description="Texts and emails one delivery loop sends at once."
    )
    webhook_max_in_flight: int = Field(
        default=200, gt=0, description="Webhook deliveries a worker process makes at once."
    )
    delivery_max_attempts: int = Field(default=8, gt=0)
    ledger_seal_seconds: float = Field(
        default=60,
        gt=0,
        description="How often the worker seals new events into the ledger (docs/ledger.md).",
    )
    # Transports per channel.
    sms_transport: Literal["log", "webhook", "twilio"] = "log"
    email_transport: Literal["log", "webhook", "smtp"] = "log"
    sms_webhook_url: str | None = None
    email_webhook_url: str | None = None
    webhook_timeout_seconds: float = 10
    # Webhooks and callbacks registered by companies.
    allow_http_webhooks: bool = Field(
        default=False,
        description="Accept http:// webhook URLs to loopback hosts (tests, local development).",
    )
    webhook_allowed_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated CIDRs that webhooks may reach although they are "
        "private or reserved.",
    )
    webhook_retry_hours: float = Field(
        default=72, gt=0, description="How long a webhook delivery is retried before it is dead."
    )
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_api_base: str = "https://api.twilio.com"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str | None = None
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    public_base_url: str | None = Field(
        default=None,
        description="The URL this server is reached at, when a proxy changes it "
        "(Twilio signs the URL it posted to); the links in emails (confirm, one-click "
        "unsubscribe) point here, at http://127.0.0.1:8000 when it is not set.",
    )
    unsubscribe_mailto: str | None = Field(
        default=None,
        description="An address every email also names in List-Unsubscribe "
        "(`mailto:`), beside the one-click HTTPS link.",
    )

    @field_validator("webhook_allowed_networks", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        """CIDRs from a comma-separated variable; each must parse."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for network in value:
                ipaddress.ip_network(str(network), strict=False)
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        """A URL this release can connect to, checked before anything starts."""
        if value and not is_sqlite_url(value):
            parse_postgres_url(value)
        return value

    @field_validator("read_database_url")
    @classmethod
    def _read_database_url(cls, value: str | None) -> str | None:
        """A PostgreSQL URL whose session attributes allow a standby."""
        if value:
            parse_postgres_url(value, role="read")
        return value

    @model_validator(mode="after")
    def _transports_are_complete(self) -> Settings:
        """Refuse to start with a transport that could not send anything."""
        missing = []
        if self.sms_transport == "webhook" and not self.sms_webhook_url:
            missing.append("OPTLEDGER_SMS_WEBHOOK_URL")
        if self.email_transport == "webhook" and not self.email_webhook_url:
            missing.append("OPTLEDGER_EMAIL_WEBHOOK_URL")
        if self.sms_transport == "twilio":
            for name in ("twilio_account_sid", "twilio_auth_token", "twilio_from_number"):
                if not getattr(self, name):
                    missing.append(f"OPTLEDGER_{name.upper()}")
        if self.email_transport == "smtp" and not self.smtp_from:
            missing.append("OPTLEDGER_SMTP_FROM")
        if missing:
            raise ValueError(f"the configured transports need {', '.join(missing)}")
        return self

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'optledger.db').as_posix()}"

    @property
    def resolved_import_dir(self) -> Path:
        """The configured folder for uploaded imports, or the one in the data folder."""
        return self.import_dir or self.data_dir / "imports"

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite kind."""
        return is_sqlite_url(self.resolved_database_url)

    @property
    def worker_in_process(self) -> bool:
        """Whether `serve` also runs an outbox worker."""
        if self.run_worker_in_process is not None:
            return self.run_worker_in_process
        return self.is_sqlite

    def resolved_secret_key(self) -> str:
        """The configured secret key, or one created once and kept in the data folder."""
        if self.secret_key:
            return self.secret_key
        key_file = self.data_dir / "secret.key"
        if not key_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            key_file.touch(mode=0o600)
            key_file.write_text(secrets.token_urlsafe(48))
        return key_file.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
