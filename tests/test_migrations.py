"""Migrations and table definitions agree, on both backends."""

from __future__ import annotations

from optledger.storage.database import Database
from optledger.storage.migrate import schema_drift


async def test_migrated_schema_matches_the_tables(database: Database) -> None:
    assert await schema_drift(database.url) == []
