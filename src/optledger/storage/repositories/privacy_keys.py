"""The per-company key of suppression hashes (see `core.privacy.suppression`)."""

from __future__ import annotations

from datetime import datetime

from optledger.storage.sql import Connection, Query

PRIVACY_KEY = Query("SELECT secret FROM privacy_keys WHERE company_id = :company_id")
INSERT_PRIVACY_KEY = Query(
    """INSERT INTO privacy_keys (company_id, secret, created_at)
    VALUES (:company_id, :secret, :now)"""
)


async def privacy_key(connection: Connection, company_id: int) -> str | None:
    """The company's suppression key, if it ever erased anyone."""
    value = await connection.fetchval(PRIVACY_KEY, {"company_id": company_id})
    return None if value is None else str(value)


async def insert_privacy_key(
    connection: Connection, company_id: int, secret: str, now: datetime
) -> None:
    """Store the company's first suppression key; a racing first erasure fails here."""
    await connection.execute(
        INSERT_PRIVACY_KEY, {"company_id": company_id, "secret": secret, "now": now}
    )
