"""The current time, as rows keep it.

Apart from the column types (`storage.types`), which need SQLAlchemy: what reads
and writes rows imports this without loading SQLAlchemy, so that verification's
workers and the command line start faster."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)
