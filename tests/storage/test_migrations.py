"""Migrations build exactly the schema the tables describe, on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from optledger.bootstrap import bootstrap_company
from optledger.storage.database import Database
from optledger.storage.migrate import alembic_config, schema_drift, upgrade_database
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


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_records_of_an_older_release_are_counted_by_status(kind: str, tmp_path: Path) -> None:
    url = await empty_database_url(kind, tmp_path)
    before_counters = ScriptDirectory.from_config(alembic_config()).get_revision("0017")
    assert before_counters is not None
    await upgrade_database(url, str(before_counters.down_revision))
    database = Database(url)
    try:
        boot = await database.run(
            lambda connection: bootstrap_company(connection, "older", server_secret="s")
        )
    finally:
        await database.dispose()
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await _older_records(connection, boot.company.id, ["ACTIVE", "ACTIVE", "ENDED"])
        await upgrade_database(url)
        async with engine.begin() as connection:
            await _older_records(connection, boot.company.id, ["PENDING"])
            counted = (
                await connection.execute(
                    text(
                        "SELECT status, sum(n) FROM subscription_counts"
                        " GROUP BY status ORDER BY status"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    assert [(status, int(n)) for status, n in counted] == [
        ("ACTIVE", 2),
        ("ENDED", 1),
        ("PENDING", 1),
    ]


async def _older_records(connection: AsyncConnection, company_id: int, statuses: list[str]) -> None:
    """Records written straight into the table, as an older release left them."""
    now = datetime.now(UTC)
    params = {"company_id": company_id, "now": now}
    for status in statuses:
        person = await connection.execute(
            text(
                "INSERT INTO persons (company_id, person_key, created_at, updated_at)"
                " VALUES (:company_id, :key, :now, :now) RETURNING id"
            ),
            params | {"key": uuid.uuid4().hex},
        )
        await connection.execute(
            text(
                "INSERT INTO subscription_records (company_id, person_id, list_id, type, channel,"
                " contact_value, status, single_opt_in, language, country, source, consented_at,"
                " created_at, updated_at)"
                " SELECT :company_id, :person_id, id, type, channel, :contact, :status, false,"
                " 'en', 'US', 'test', :now, :now, :now FROM subscription_lists"
                " WHERE company_id = :company_id AND is_default AND channel = 'TEXT'"
                " AND type = 'MARKETING'"
            ),
            params
            | {"person_id": person.scalar_one(), "contact": uuid.uuid4().hex, "status": status},
        )
