"""Fixtures: migrated SQLite and PostgreSQL databases, apps, and companies made by the product.

Databases are migrated once per session; each test gets a company of its own, so
tests are isolated the way tenants are.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from optledger.app import create_app
from optledger.bootstrap import BootstrapResult, bootstrap_company
from optledger.delivery.transports.base import Transport
from optledger.delivery.transports.log import LogTransport
from optledger.delivery.transports.smtp import SmtpTransport
from optledger.delivery.transports.webhook import WebhookTransport
from optledger.delivery.worker import DeliveryPolicy, deliver_due
from optledger.settings import Settings, get_settings
from optledger.storage.database import Database
from optledger.storage.migrate import upgrade_database
from optledger.storage.provision import create_postgres_database
from tests.support.console_forms import sign_in
from tests.support.operator_helpers import make_operator_without_token
from tests.support.sink import HttpSink, SmtpSink

POSTGRES_ENV = "OPTLEDGER_TEST_POSTGRES_URL"
TEST_SECRET = "test-server-secret"


@pytest.fixture(scope="session")
async def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'optledger.db'}"
    await upgrade_database(url)
    database = Database(url)
    yield database
    await database.dispose()


def postgres_admin_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{POSTGRES_ENV} must be set in CI: PostgreSQL tests may not be skipped")
        pytest.skip(f"{POSTGRES_ENV} is not set")
    return url


async def empty_database_url(kind: str, folder: Path) -> str:
    """The URL of a new, empty database of `kind` (sqlite or postgres), unmigrated."""
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{folder / 'empty.db'}"
    return await create_postgres_database(postgres_admin_url(), prefix="optledger_empty")


@pytest.fixture(scope="session")
async def postgres_database() -> AsyncIterator[Database]:
    url = await create_postgres_database(postgres_admin_url(), prefix="optledger_test")
    await upgrade_database(url)
    database = Database(url)
    yield database
    await database.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
async def module_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """A database of one test module's own, for modules that drain every due webhook
    delivery: other modules' registrations (to hosts that never answer) stay out."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('module') / 'optledger.db'}"
    else:
        url = await create_postgres_database(postgres_admin_url(), prefix="optledger_module")
    await upgrade_database(url)
    database = Database(url)
    yield database
    await database.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> Database:
    """Each test that uses it runs once on SQLite and once on PostgreSQL."""
    db: Database = request.getfixturevalue(f"{request.param}_database")
    return db


@pytest.fixture
def settings() -> Settings:
    return Settings(secret_key=TEST_SECRET, run_worker_in_process=False)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty data folder for the `optledger` command, whose settings come from the
    environment: no database URL or secret key but what the folder will hold."""
    monkeypatch.setenv("OPTLEDGER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("OPTLEDGER_DATABASE_URL", raising=False)
    monkeypatch.delenv("OPTLEDGER_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
async def app_client(database: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the ASGI app, with no credentials."""
    app = create_app(settings, database=database)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@dataclass
class Tenant:
    """A bootstrapped company and what a test needs to act for it."""

    boot: BootstrapResult
    database: Database

    @property
    def key(self) -> str:
        return self.boot.company.key

    @property
    def company_id(self) -> int:
        return self.boot.company.id

    @property
    def api_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.boot.api_key.token}"}

    @property
    def legacy_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.boot.legacy_token.token}"}

    def unit_id(self, sub_type: str) -> str:
        return next(str(u.id) for u in self.boot.units if u.subscription_type == sub_type)


async def make_tenant(database: Database, name: str | None = None) -> Tenant:
    """A new company, bootstrapped through the product's own code."""
    key = f"co-{uuid.uuid4().hex[:12]}"
    boot = await database.run(
        lambda connection: bootstrap_company(connection, key, server_secret=TEST_SECRET, name=name)
    )
    return Tenant(boot=boot, database=database)


@pytest.fixture
async def tenant(database: Database) -> Tenant:
    return await make_tenant(database, name="Acme")


@pytest.fixture
async def client(app_client: httpx.AsyncClient, tenant: Tenant) -> httpx.AsyncClient:
    """An HTTP client authenticated with the tenant's full-scope API key."""
    app_client.headers.update(tenant.api_headers)
    return app_client


@pytest.fixture(scope="session")
def http_sink() -> Iterator[HttpSink]:
    """A real webhook receiver on 127.0.0.1, shared by the session (filter by `to`)."""
    sink = HttpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@dataclass
class Outbox:
    """Delivers the outbox the way a worker does, to the real sinks."""

    database: Database
    transports: dict[str, Transport]
    policy: DeliveryPolicy

    async def deliver(self) -> int:
        """Deliver every due message; returns how many attempts were made."""
        total = 0
        while attempted := await deliver_due(self.database, self.transports, self.policy):
            total += attempted
        return total


@pytest.fixture
async def outbox(
    database: Database, http_sink: HttpSink, smtp_sink: SmtpSink
) -> AsyncIterator[Outbox]:
    """SMS through the webhook transport to `http_sink`, email over SMTP to `smtp_sink`.

    The database is shared by the session, so messages other tests left queued are
    first delivered to the log: each test starts from an empty outbox.
    """
    log_only: dict[str, Transport] = {"TEXT": LogTransport(), "EMAIL": LogTransport()}
    while await deliver_due(database, log_only, DeliveryPolicy()):
        pass
    http_sink.planned_statuses.clear()
    http_sink.delay = 0
    async with httpx.AsyncClient(timeout=2) as http:
        transports: dict[str, Transport] = {
            "TEXT": WebhookTransport(http, http_sink.url),
            "EMAIL": SmtpTransport(host="127.0.0.1", port=smtp_sink.port, sender="ol@example.com"),
        }
        yield Outbox(database, transports, DeliveryPolicy(backoff_base_seconds=0))


@asynccontextmanager
async def tenant_client(database: Database, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app of its own on `database`, acting with the tenant's API key."""
    app = create_app(Settings(run_worker_in_process=False), database=database)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=tenant.api_headers, timeout=30
        ) as client:
            yield client


@asynccontextmanager
async def two_servers(
    tenant: Tenant, database: Database, settings: Settings
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Clients of two apps on two database handles: two server processes."""
    second = Database(database.url)
    apps = [create_app(settings, database=database), create_app(settings, database=second)]
    try:
        async with LifespanManager(apps[0]) as one, LifespanManager(apps[1]) as two:
            clients = [
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=manager.app),
                    base_url="http://testserver",
                    headers=tenant.api_headers,
                )
                for manager in (one, two)
            ]
            yield clients
            for client in clients:
                await client.aclose()
    finally:
        await second.dispose()


@pytest.fixture
async def console(database: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client that keeps cookies, as a browser does (no API credentials)."""
    app = create_app(settings, database=database)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture
async def operator(tenant: Tenant, console: httpx.AsyncClient) -> str:
    """A signed-in operator who sees the tenant's company only."""
    name = await make_operator_without_token(tenant.database, [tenant.key])
    signed = await sign_in(console, name)
    assert signed.status_code == 303, signed.text
    return name
