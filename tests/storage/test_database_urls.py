"""Database URLs: libpq's multi-host form, checked for the role each URL plays, and
hosts tried one by one with a connect timeout each."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.urls import InvalidDatabaseUrl, parse_postgres_url, sqlite_path
from tests.conftest import postgres_admin_url


def test_several_hosts_and_the_session_attributes_each_url_may_ask_for() -> None:
    address = parse_postgres_url("postgresql+asyncpg://u:p%40ss@h1:5432,h2:5433/db?sslmode=prefer")
    assert address.hosts == ("h1:5432", "h2:5433")
    assert (address.database, address.target_session_attrs) == ("db", "read-write")
    assert address.dsn == (
        "postgresql://u:p%40ss@h1:5432,h2:5433/db?sslmode=prefer&target_session_attrs=read-write"
    )
    assert parse_postgres_url("postgresql://u@h/db", role="read").target_session_attrs == (
        "prefer-standby"
    )
    with pytest.raises(InvalidDatabaseUrl, match="does not fit the primary URL"):
        parse_postgres_url("postgresql+asyncpg://u@h1,h2/db?target_session_attrs=standby")
    with pytest.raises(InvalidDatabaseUrl, match="does not fit the read URL"):
        parse_postgres_url("postgresql+asyncpg://u@h/db?target_session_attrs=primary", "read")
    with pytest.raises(InvalidDatabaseUrl):
        parse_postgres_url("mysql://u@h/db")


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite+aiosqlite:////var/lib/optledger.db", "/var/lib/optledger.db"),
        ("sqlite+aiosqlite:///optledger.db", "optledger.db"),
        ("sqlite:///my%20data/optledger.db?mode=rwc", "my data/optledger.db"),
        ("sqlite+aiosqlite:///:memory:", None),
        ("sqlite+aiosqlite://", None),
    ],
)
def test_a_sqlite_url_names_its_file(url: str, path: str | None) -> None:
    assert sqlite_path(url) == path


def test_settings_refuse_a_url_they_could_not_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "OPTLEDGER_READ_DATABASE_URL", "postgresql+asyncpg://u@h/db?target_session_attrs=primary"
    )
    with pytest.raises(ValueError, match="does not fit the read URL"):
        Settings()


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A port whose listener never answers: a host that drops what it is sent."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


@pytest.mark.postgres
async def test_a_host_that_never_answers_costs_its_own_timeout_only(black_hole: int) -> None:
    server = postgres_admin_url().split("@", 1)[1].split("/", 1)[0]
    url = f"postgresql+asyncpg://optledger@127.0.0.1:{black_hole},{server}/postgres"
    database = Database(f"{url}?connect_timeout=1")
    try:
        started = time.monotonic()
        assert await database.read(lambda connection: connection.raw.fetchval("SELECT 1")) == 1
        assert time.monotonic() - started < 4
    finally:
        await database.dispose()
