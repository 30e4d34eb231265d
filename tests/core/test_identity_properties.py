"""Property tests: any sequence of upserts keeps identifiers unique and never merges people."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from optledger.core.companies import ensure_company
from optledger.core.context import RequestContext
from optledger.core.errors import IdentifierConflict, InvalidInput, OptledgerError
from optledger.core.identity import IdentifierInput, parse_identity
from optledger.core.people import CONTACT_KINDS, Identifier, IdentifierKind
from optledger.core.user_upsert import UpsertUserCommand, UpsertUserResult, upsert_user
from optledger.storage.database import Database
from optledger.storage.migrate import upgrade_database
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.tables import PersonIdentifier

CONTEXT = RequestContext(source="property-test")
# A small pool, so that random requests collide often.
POOL: list[tuple[str, str]] = [
    ("phone", "+19148440001"),
    ("phone", "+442071838750"),
    ("email", "a@example.com"),
    ("email", "b@example.com"),
    ("client_user_id", "cu-1"),
    ("client_user_id", "cu-2"),
    ("shopify_id", "s-1"),
    ("shopify_id", "s-2"),
    ("loyaltyId", "L-1"),
    ("loyaltyId", "L-2"),
]
requests = st.lists(st.lists(st.sampled_from(POOL), min_size=1, max_size=4), max_size=12)


def to_input(request: list[tuple[str, str]]) -> IdentifierInput:
    fields: dict[str, str] = {}
    custom: list[tuple[str, str | None]] = []
    for kind, value in request:
        if kind == "loyaltyId":
            custom.append((kind, value))
        else:
            fields.setdefault(kind, value)
    return IdentifierInput(**fields, custom=custom)


def slot(identifier: Identifier) -> tuple[IdentifierKind, str] | None:
    return None if identifier.kind in CONTACT_KINDS else (identifier.kind, identifier.name)


class Model:
    """The rule, stated plainly: which person each identifier must belong to."""

    def __init__(self) -> None:
        self.owner: dict[Identifier, int] = {}

    def expect(self, identifiers: list[Identifier]) -> type[Exception] | int | None:
        """An exception type, the existing person id, or None for a new person."""
        slots = [slot(i) for i in set(identifiers) if slot(i)]
        if len(slots) != len(set(slots)):
            return InvalidInput
        owners = {self.owner[i] for i in identifiers if i in self.owner}
        if len(owners) > 1:
            return IdentifierConflict
        if not owners:
            return None
        person = owners.pop()
        held = {slot(i) for i, p in self.owner.items() if p == person and slot(i)}
        new = [i for i in identifiers if i not in self.owner]
        if any(slot(i) in held for i in new):
            return IdentifierConflict
        return person


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("identity") / "ledger.db"
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(upgrade_database(url))
    return url


async def stored(database: Database, company_id: int) -> dict[Identifier, int]:
    async def query(session: object) -> dict[Identifier, int]:
        rows = await session.execute(  # type: ignore[attr-defined]
            select(
                PersonIdentifier.kind,
                PersonIdentifier.name,
                PersonIdentifier.value,
                PersonIdentifier.person_id,
            ).where(PersonIdentifier.company_id == company_id)
        )
        return {Identifier(IdentifierKind(k), v, n): p for k, n, v, p in rows}

    return await database.inspect(query)


async def play(url: str, sequence: list[list[tuple[str, str]]]) -> None:
    # A database handle per example: its pool belongs to this example's event loop.
    database = Database(url)
    try:
        await play_on(database, sequence)
    finally:
        await database.dispose()


async def play_on(database: Database, sequence: list[list[tuple[str, str]]]) -> None:
    company: CompanyRow = await database.run(
        lambda connection: ensure_company(connection, f"p-{uuid.uuid4().hex[:12]}")
    )
    model = Model()
    for request in sequence:
        identity = parse_identity(to_input(request))
        expected = model.expect(identity.identifiers)
        command = UpsertUserCommand(identity=identity)
        outcome: UpsertUserResult | OptledgerError
        try:
            outcome = await database.run(
                lambda connection, c=command: upsert_user(connection, company, c, CONTEXT)
            )
        except (IdentifierConflict, InvalidInput) as exc:
            outcome = exc
        if isinstance(expected, type):
            assert type(outcome) is expected, (request, outcome)
        else:
            assert isinstance(outcome, UpsertUserResult), (request, outcome)
            person_id = outcome.person.id
            if expected is None:
                assert person_id not in model.owner.values(), "a new person reused an id"
            else:
                assert person_id == expected
            for identifier in identity.identifiers:
                model.owner[identifier] = person_id
        # Every identifier belongs to exactly the person the model says: none moved,
        # no two people merged, nothing stored from a refused request.
        found = await stored(database, company.id)
        assert found == model.owner
        per_person_slots = [(p, slot(i)) for i, p in found.items() if slot(i)]
        assert len(per_person_slots) == len(set(per_person_slots))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=requests)
def test_upserts_keep_identifiers_unique_and_never_merge(
    sqlite_url: str, sequence: list[list[tuple[str, str]]]
) -> None:
    asyncio.run(play(sqlite_url, sequence))
