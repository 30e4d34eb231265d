"""Round trips to PostgreSQL on the hot paths: the budgets the data-access layer keeps.

Counted at the driver boundary: each statement, BEGIN and COMMIT is one round trip.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest
from asyncpg.transaction import Transaction

from optledger.storage.sql import PostgresConnection
from tests.support.helpers import subscribe_active

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database", ["postgres"], indirect=True),
]


@dataclass
class RoundTrips:
    statements: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.statements.clear()

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> RoundTrips:
    seen = RoundTrips()
    for name in ("fetch", "execute", "executemany"):
        original = getattr(PostgresConnection, name)

        def counted(self, query, *args, _original=original, **kwargs):  # type: ignore[no-untyped-def]
            seen.statements.append(query.for_postgresql()[0].split()[0])
            return _original(self, query, *args, **kwargs)

        monkeypatch.setattr(PostgresConnection, name, counted)
    for name in ("start", "commit"):
        original = getattr(Transaction, name)

        def marked(self, *args, _original=original, _name=name):  # type: ignore[no-untyped-def]
            seen.statements.append(_name.upper())
            return _original(self, *args)

        monkeypatch.setattr(Transaction, name, marked)
    return seen


async def test_eligibility_is_one_statement_without_a_transaction(
    client: httpx.AsyncClient, round_trips: RoundTrips
) -> None:
    await subscribe_active(client, "+19148440071")
    await client.get("/v1/subscriptions", params={"phone": "+19148440071"})
    round_trips.clear()
    response = await client.get("/v1/subscriptions", params={"phone": "+19148440071"})
    assert response.status_code == 200
    assert round_trips.statements == ["SELECT"]


async def test_subscribing_a_new_number_is_four_round_trips(
    client: httpx.AsyncClient, round_trips: RoundTrips
) -> None:
    await subscribe_active(client, "+19148440072")
    round_trips.clear()
    response = await subscribe_active(client, "+19148440073")
    assert response.status_code == 202
    assert round_trips.count <= 4, round_trips.statements


async def test_unsubscribing_is_three_round_trips(
    client: httpx.AsyncClient, round_trips: RoundTrips
) -> None:
    await subscribe_active(client, "+19148440074")
    round_trips.clear()
    response = await client.post(
        "/v1/subscriptions/unsubscribe", json={"user": {"phone": "+19148440074"}}
    )
    assert response.status_code == 202
    assert round_trips.count <= 3, round_trips.statements
