"""While the database is unreachable, requests get 503 with Retry-After, not 500."""

from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager

from optledger.app import create_app
from optledger.settings import Settings
from optledger.storage.database import Database

UNREACHABLE = "postgresql+asyncpg://optledger@127.0.0.1:9/nowhere"


async def test_unreachable_database_is_503() -> None:
    database = Database(UNREACHABLE)
    app = create_app(Settings(run_worker_in_process=False), database=database)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.post(
                "/v1/subscriptions",
                json={"user": {"phone": "+19148440001"}, "signUpSourceId": "1"},
                headers={"Authorization": "Bearer olk_0123456789abcdef.secret"},
            )
    await database.dispose()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "error" in response.json()
