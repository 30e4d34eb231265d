"""Process configuration, read from ``OPTLEDGER_*`` environment variables."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ONE_MIB = 1024 * 1024


class Settings(BaseSettings):
    """Everything a process needs to know about where it runs."""

    model_config = SettingsConfigDict(env_prefix="OPTLEDGER_", extra="ignore")

    data_dir: Path = Path("optledger-data")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; defaults to a SQLite file in data_dir.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Derives bootstrap credentials; defaults to a key kept in data_dir.",
    )
    max_body_bytes: int = ONE_MIB
    log_level: str = "INFO"
    credential_cache_seconds: float = Field(
        default=5.0,
        description="How long a process remembers an authenticated credential.",
    )
    run_worker_in_process: bool | None = Field(
        default=None,
        description="Deliver the outbox inside `serve`; defaults to on for SQLite.",
    )

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'optledger.db').as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite kind."""
        return self.resolved_database_url.startswith("sqlite")

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
