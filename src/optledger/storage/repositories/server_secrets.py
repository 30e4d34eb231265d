"""Secrets the processes of one installation share through the database."""

from __future__ import annotations

import secrets

from optledger.storage.clock import utcnow
from optledger.storage.sql import Connection, Query

CREATE_SECRET = Query(
    """INSERT INTO server_secrets (name, value, created_at) VALUES (:name, :value, :now)
    ON CONFLICT (name) DO NOTHING"""
)
SECRET_NAMED = Query("SELECT value FROM server_secrets WHERE name = :name")


async def shared_secret(connection: Connection, name: str) -> str:
    """The secret called `name`, made by whichever process asked first."""
    candidate = secrets.token_urlsafe(48)
    await connection.execute(CREATE_SECRET, {"name": name, "value": candidate, "now": utcnow()})
    value: str = await connection.fetchval(SECRET_NAMED, {"name": name})
    return value


async def stored_secret(connection: Connection, name: str) -> str | None:
    """The secret called `name`, if some process made it already (nothing is written)."""
    value = await connection.fetchval(SECRET_NAMED, {"name": name})
    return None if value is None else str(value)
