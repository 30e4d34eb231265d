"""Migrations build exactly the schema the tables describe, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from optledger.storage.database import Database
from optledger.storage.migrate import schema_drift, upgrade_database
from tests.conftest import empty_database_url


async def test_migrated_schema_matches_the_tables(database: Database) -> None:
    assert await schema_drift(database.url) == []


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_operators_of_an_older_release_get_an_epoch_each(kind: str, tmp_path: Path) -> None:
    url = await empty_database_url(kind, tmp_path)
    await upgrade_database(url, "0010")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for name in ("ann", "bob"):
                await connection.execute(
                    text(
                        "INSERT INTO operators (name, password_hash, all_companies, created_at,"
                        " password_changed_at) VALUES (:name, 'x', true, :now, :now)"
                    ),
                    {"name": name, "now": datetime.now(UTC)},
                )
        await upgrade_database(url)
        async with engine.connect() as connection:
            epochs = (await connection.execute(text("SELECT session_epoch FROM operators"))).all()
    finally:
        await engine.dispose()
    assert len({epoch for (epoch,) in epochs}) == 2
    assert all(len(epoch) >= 32 for (epoch,) in epochs)
