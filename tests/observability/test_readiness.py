"""`/healthz` says the process serves; `/readyz` says the database is there and current."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from optledger.app import create_app
from optledger.settings import Settings
from optledger.storage.database import Database


@asynccontextmanager
async def client_on(database: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(run_worker_in_process=False), database=database)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def test_a_migrated_database_is_ready_and_named(
    app_client: httpx.AsyncClient, database: Database
) -> None:
    assert (await app_client.get("/healthz")).json() == {"status": "ok"}
    ready = await app_client.get("/readyz")
    role = "embedded" if database.is_sqlite else "primary"
    assert (ready.status_code, ready.json()) == (
        200,
        {"status": "ok", "database": {"role": role, "reads": role}},
    )


async def test_an_unmigrated_database_is_not_ready(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        async with client_on(database) as client:
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert "schema" in ready.json()["reason"]
    finally:
        await database.dispose()


async def test_an_unreachable_database_is_not_ready() -> None:
    database = Database("postgresql+asyncpg://nobody@127.0.0.1:9/none")
    try:
        async with client_on(database) as client:
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
            assert (ready.status_code, ready.json()["reason"]) == (
                503,
                "the database is unreachable",
            )
            assert ready.headers["retry-after"] == "5"
    finally:
        await database.dispose()
