"""People and the identifiers that find them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from optledger.storage.sql import Connection, Query, as_time

# (kind, name, value) triples travel as three parallel lists: one statement for any count.
OWNERS_OF_IDENTIFIERS = Query(
    # CROSS JOIN keeps SQLite's planner on the unique (company, kind, name, value) index.
    """
    SELECT i.kind, i.name, i.value, i.person_id, p.person_key
    FROM json_each(:wanted) w
    CROSS JOIN person_identifiers i
    JOIN persons p ON p.id = i.person_id
    WHERE i.company_id = :company_id
      AND i.kind = json_extract(w.value, '$[0]') AND i.name = json_extract(w.value, '$[1]')
      AND i.value = json_extract(w.value, '$[2]')
    """,
    postgresql="""
    SELECT i.kind, i.name, i.value, i.person_id, p.person_key
    FROM person_identifiers i
    JOIN persons p ON p.id = i.person_id
    JOIN unnest(:kinds::text[], :names::text[], :values::text[]) AS w(kind, name, value)
      ON i.kind = w.kind AND i.name = w.name AND i.value = w.value
    WHERE i.company_id = :company_id
    """,
)
INSERT_PERSON = Query(
    """
    INSERT INTO persons (company_id, person_key, created_at, updated_at)
    VALUES (:company_id, :person_key, :now, :now) RETURNING id
    """
)
INSERT_IDENTIFIER = Query(
    """
    INSERT INTO person_identifiers (company_id, person_id, kind, name, value, created_at)
    VALUES (:company_id, :person_id, :kind, :name, :value, :now)
    """
)
# A new person with all their identifiers in one round trip (PostgreSQL).
INSERT_PERSON_WITH_IDENTIFIERS = Query(
    "",
    postgresql="""
    WITH person AS (
        INSERT INTO persons (company_id, person_key, created_at, updated_at)
        VALUES (:company_id, :person_key, :now, :now) RETURNING id
    ), identifiers AS (
        INSERT INTO person_identifiers (company_id, person_id, kind, name, value, created_at)
        SELECT :company_id, person.id, w.kind, w.name, w.value, :now
        FROM person, unnest(:kinds::text[], :names::text[], :values::text[]) AS w(kind, name, value)
    )
    SELECT id FROM person
    """,
)
# The common case of a write in one round trip (PostgreSQL): the owners of the
# identifiers, or, when none is known, a new person holding them all.
FIND_OR_CREATE_PERSON = Query(
    "",
    postgresql="""
    WITH wanted AS (
        SELECT * FROM unnest(:kinds::text[], :names::text[], :values::text[])
            AS w(kind, name, value)
    ), found AS (
        SELECT i.kind, i.name, i.value, i.person_id, p.person_key
        FROM person_identifiers i
        JOIN persons p ON p.id = i.person_id
        JOIN wanted w ON i.kind = w.kind AND i.name = w.name AND i.value = w.value
        WHERE i.company_id = :company_id
    ), person AS (
        INSERT INTO persons (company_id, person_key, created_at, updated_at)
        SELECT :company_id, :person_key, :now, :now WHERE NOT EXISTS (SELECT 1 FROM found)
        RETURNING id, person_key
    ), identifiers AS (
        INSERT INTO person_identifiers (company_id, person_id, kind, name, value, created_at)
        SELECT :company_id, person.id, w.kind, w.name, w.value, :now FROM person, wanted w
    )
    SELECT kind, name, value, person_id, person_key FROM found
    UNION ALL
    SELECT NULL, NULL, NULL, id, person_key FROM person
    """,
)
# A person without identifiers was erased: nothing names them any more.
PERSON_BY_KEY = Query(
    """SELECT p.id, p.company_id, p.person_key FROM persons p
    WHERE p.company_id = :company_id AND p.person_key = :person_key
      AND EXISTS (
        SELECT 1 FROM person_identifiers i
        WHERE i.company_id = p.company_id AND i.person_id = p.id
      )"""
)
# The names of the company's custom identifiers, one index seek each (a loose index scan).
_CUSTOM_NAMES = """WITH RECURSIVE custom_names(name) AS (
        SELECT (SELECT name FROM person_identifiers
                WHERE company_id = :company_id AND kind = 'custom' ORDER BY name LIMIT 1)
        UNION ALL
        SELECT (SELECT i.name FROM person_identifiers i
                WHERE i.company_id = :company_id AND i.kind = 'custom' AND i.name > n.name
                ORDER BY i.name LIMIT 1)
        FROM custom_names n WHERE n.name IS NOT NULL
    )"""
# The people holding a custom identifier of any name with this value. The unique
# (company, kind, name, value) index leads with the name, so the names are walked
# first, then each (name, value) is sought.
OWNERS_OF_CUSTOM_VALUE = Query(
    f"""
    {_CUSTOM_NAMES}
    SELECT i.person_id, p.person_key
    FROM custom_names n
    CROSS JOIN person_identifiers i
    JOIN persons p ON p.id = i.person_id
    WHERE n.name IS NOT NULL AND i.company_id = :company_id AND i.kind = 'custom'
      AND i.name = n.name AND i.value = :value
    ORDER BY i.person_id
    """,
    # The LIMIT keeps PostgreSQL seeking (name, value) per name rather than hashing
    # every custom identifier of the company; the unique index allows one row anyway.
    postgresql=f"""
    {_CUSTOM_NAMES}
    SELECT i.person_id, p.person_key
    FROM custom_names n
    CROSS JOIN LATERAL (
        SELECT person_id FROM person_identifiers
        WHERE company_id = :company_id AND kind = 'custom' AND name = n.name AND value = :value
        LIMIT 1
    ) i
    JOIN persons p ON p.id = i.person_id
    ORDER BY i.person_id
    """,
)
PERSON_TIMES = Query("SELECT created_at, updated_at FROM persons WHERE id = :id")
DELETE_IDENTIFIER = Query(
    """DELETE FROM person_identifiers
    WHERE company_id = :company_id AND person_id = :person_id AND kind = :kind AND name = :name
      AND value = :value"""
)
TOUCH_PERSON = Query("UPDATE persons SET updated_at = :now WHERE id = :id")
IDENTIFIERS_OF_PEOPLE = Query(
    """
    SELECT person_id, kind, name, value FROM person_identifiers
    WHERE company_id = :company_id AND person_id IN (SELECT value FROM json_each(:person_ids))
    ORDER BY id
    """,
    postgresql="""
    SELECT person_id, kind, name, value FROM person_identifiers
    WHERE company_id = :company_id AND person_id = ANY(:person_ids::bigint[])
    ORDER BY id
    """,
)
DELETE_IDENTIFIERS_OF_PEOPLE = Query(
    """
    DELETE FROM person_identifiers
    WHERE company_id = :company_id AND person_id IN (SELECT value FROM json_each(:person_ids))
    """,
    postgresql="""
    DELETE FROM person_identifiers
    WHERE company_id = :company_id AND person_id = ANY(:person_ids::bigint[])
    """,
)

Key = tuple[str, str, str]


@dataclass(frozen=True)
class PersonRow:
    """A person: the opaque key that names them outside."""

    id: int
    company_id: int
    person_key: str


@dataclass(frozen=True)
class StoredIdentifier:
    """One identifier of a person."""

    person_id: int
    kind: str
    name: str
    value: str


def _wanted(keys: Sequence[Key]) -> dict[str, object]:
    return {
        "wanted": [list(key) for key in keys],
        "kinds": [key[0] for key in keys],
        "names": [key[1] for key in keys],
        "values": [key[2] for key in keys],
    }


async def owners_of(
    connection: Connection, company_id: int, keys: Sequence[Key]
) -> dict[Key, PersonRow]:
    """Which person each known (kind, name, value) identifier belongs to."""
    if not keys:
        return {}
    rows = await connection.fetch(
        OWNERS_OF_IDENTIFIERS, {"company_id": company_id, **_wanted(keys)}
    )
    return {
        (row["kind"], row["name"], row["value"]): PersonRow(
            row["person_id"], company_id, row["person_key"]
        )
        for row in rows
    }


async def find_or_create_person(
    connection: Connection, company_id: int, keys: Sequence[Key], person_key: str, now: datetime
) -> tuple[dict[Key, PersonRow], PersonRow | None]:
    """The owners of `keys`; if none is known, a new person (keyed `person_key`) holding them.

    Returns the owners found and the person created, if one was.
    """
    if connection.is_sqlite:
        owners = await owners_of(connection, company_id, keys)
        if owners:
            return owners, None
        person_id = await insert_person(connection, company_id, person_key, keys, now)
        return {}, PersonRow(person_id, company_id, person_key)
    params = {"company_id": company_id, "person_key": person_key, "now": now, **_wanted(keys)}
    found: dict[Key, PersonRow] = {}
    created = None
    for row in await connection.fetch(FIND_OR_CREATE_PERSON, params):
        person = PersonRow(row["person_id"], company_id, row["person_key"])
        if row["kind"] is None:
            created = person
        else:
            found[(row["kind"], row["name"], row["value"])] = person
    return found, created


async def insert_person(
    connection: Connection, company_id: int, person_key: str, keys: Sequence[Key], now: datetime
) -> int:
    """A new person holding `keys`; a concurrent claim of one fails the unique constraint."""
    if not connection.is_sqlite:
        params = {"company_id": company_id, "person_key": person_key, "now": now, **_wanted(keys)}
        return int(await connection.fetchval(INSERT_PERSON_WITH_IDENTIFIERS, params))
    person_id = int(
        await connection.fetchval(
            INSERT_PERSON, {"company_id": company_id, "person_key": person_key, "now": now}
        )
    )
    await attach_identifiers(connection, company_id, person_id, keys, now)
    return person_id


async def attach_identifiers(
    connection: Connection, company_id: int, person_id: int, keys: Sequence[Key], now: datetime
) -> None:
    """Give a person more identifiers."""
    await connection.executemany(
        INSERT_IDENTIFIER,
        [
            {
                "company_id": company_id,
                "person_id": person_id,
                "kind": k,
                "name": n,
                "value": v,
                "now": now,
            }
            for k, n, v in keys
        ],
    )


async def touch_person(connection: Connection, person_id: int, now: datetime) -> None:
    """Note that a person was just updated."""
    await connection.execute(TOUCH_PERSON, {"id": person_id, "now": now})


async def person_by_key(
    connection: Connection, company_id: int, person_key: str
) -> PersonRow | None:
    """The company's person with `person_key`, unless erased."""
    row = await connection.fetchrow(
        PERSON_BY_KEY, {"company_id": company_id, "person_key": person_key}
    )
    return None if row is None else PersonRow(row["id"], row["company_id"], row["person_key"])


async def owners_of_custom_value(
    connection: Connection, company_id: int, value: str
) -> list[PersonRow]:
    """The company's people with a custom identifier, of any name, equal to `value`."""
    rows = await connection.fetch(
        OWNERS_OF_CUSTOM_VALUE, {"company_id": company_id, "value": value}
    )
    return [PersonRow(row["person_id"], company_id, row["person_key"]) for row in rows]


async def person_times(connection: Connection, person_id: int) -> tuple[datetime, datetime]:
    """When a person was created and last updated."""
    row = await connection.fetchrow(PERSON_TIMES, {"id": person_id})
    assert row is not None
    created, updated = as_time(row["created_at"]), as_time(row["updated_at"])
    assert created is not None
    assert updated is not None
    return created, updated


async def detach_identifier(
    connection: Connection, company_id: int, person_id: int, key: Key
) -> None:
    """Take one identifier away from a person (a replaced phone number)."""
    kind, name, value = key
    params = {"company_id": company_id, "person_id": person_id}
    await connection.execute(
        DELETE_IDENTIFIER, {**params, "kind": kind, "name": name, "value": value}
    )


async def identifiers_of_people(
    connection: Connection, company_id: int, person_ids: Collection[int]
) -> list[StoredIdentifier]:
    """Every identifier of these people, oldest first."""
    if not person_ids:
        return []
    rows = await connection.fetch(
        IDENTIFIERS_OF_PEOPLE, {"company_id": company_id, "person_ids": sorted(person_ids)}
    )
    return [StoredIdentifier(r["person_id"], r["kind"], r["name"], r["value"]) for r in rows]


async def delete_identifiers_of_people(
    connection: Connection, company_id: int, person_ids: Collection[int]
) -> None:
    """Forget every identifier of these people (erasure)."""
    if person_ids:
        await connection.execute(
            DELETE_IDENTIFIERS_OF_PEOPLE,
            {"company_id": company_id, "person_ids": sorted(person_ids)},
        )
