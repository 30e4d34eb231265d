"""PostgreSQL stops under load and comes back: 503 fast while it is down, then the
same process serves again, and nothing it acknowledged is lost."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from bench.common import free_port

from optledger.app import create_app
from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.migrate import upgrade_database
from optledger.storage.tables import SubscriptionRecord
from tests.conftest import Tenant, make_tenant
from tests.support.helpers import count_rows, subscribe_body

pytestmark = [pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = ROOT / ".pgoutage"


def postgres(*args: str) -> str:
    result = subprocess.run(
        [str(ROOT / "scripts" / "postgres"), *args], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


@pytest.fixture(scope="module")
def cluster_url() -> Iterator[str]:
    """A PostgreSQL of this test's own, which it may stop and start."""
    port = str(free_port())
    url = postgres("start", str(CLUSTER), port)
    yield url
    postgres("stop", str(CLUSTER))


@pytest.fixture
async def served(cluster_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Tenant]]:
    await upgrade_database(cluster_url)
    database = Database(cluster_url)
    tenant = await make_tenant(database)
    app = create_app(Settings(run_worker_in_process=False), database=database)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=tenant.api_headers
        ) as client:
            yield client, tenant
    await database.dispose()


async def test_an_outage_is_503_at_once_and_the_process_recovers(
    served: tuple[httpx.AsyncClient, Tenant], cluster_url: str
) -> None:
    client, tenant = served
    acknowledged: list[str] = []

    async def subscribe(number: str) -> httpx.Response:
        answer = await client.post("/v1/subscriptions", json=subscribe_body(number))
        if answer.status_code == 202:
            acknowledged.append(number)
        return answer

    for n in range(20):
        assert (await subscribe(f"+1914845{n:04d}")).status_code == 202
    postgres("stop", str(CLUSTER))
    # While it is down: every kind of request answers 503 with Retry-After, quickly.
    for n in range(20, 40):
        started = time.monotonic()
        answers = await asyncio.gather(
            subscribe(f"+1914845{n:04d}"),
            client.get("/v1/subscriptions", params={"phone": "+19148450001"}),
            client.post("/v1/subscriptions/unsubscribe", json={"user": {"phone": "+19148450002"}}),
        )
        assert time.monotonic() - started < 2
        for answer in answers:
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"]
            assert set(answer.json()) == {"error"}
    postgres("start", str(CLUSTER), cluster_url.rsplit(":", 1)[1].split("/")[0])
    # The same process serves again, on new connections.
    deadline = time.monotonic() + 15
    while (answer := await subscribe("+19148459999")).status_code != 202:
        assert answer.status_code == 503
        assert time.monotonic() < deadline, "the process did not recover"
        await asyncio.sleep(0.2)
    eligible = await client.get("/v1/subscriptions", params={"phone": "+19148450001"})
    assert eligible.status_code == 200
    stored = await count_rows(tenant.database, tenant.company_id, SubscriptionRecord)
    assert stored == len(acknowledged)
