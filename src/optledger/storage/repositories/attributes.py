"""Custom attribute definitions and the attribute values of people."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from optledger.storage.sql import Connection, Json, Query, as_json

DEFINITIONS_NAMED = Query(
    """SELECT id, name, type, enum_values, slot FROM attribute_definitions
    WHERE company_id = :company_id AND name IN (SELECT value FROM json_each(:names))""",
    postgresql="""SELECT id, name, type, enum_values, slot FROM attribute_definitions
    WHERE company_id = :company_id AND name = ANY(:names::text[])""",
)
USED_SLOTS = Query("SELECT slot FROM attribute_definitions WHERE company_id = :company_id")
INSERT_DEFINITION = Query(
    """INSERT INTO attribute_definitions (company_id, name, type, enum_values, slot, created_at)
    VALUES (:company_id, :name, :type, :enum_values, :slot, :now) RETURNING id"""
)
SET_ENUM_VALUES = Query("UPDATE attribute_definitions SET enum_values = :values WHERE id = :id")
DELETE_VALUES = Query(
    """DELETE FROM person_attributes WHERE company_id = :company_id AND person_id = :person_id
    AND name IN (SELECT value FROM json_each(:names))""",
    postgresql="""DELETE FROM person_attributes
    WHERE company_id = :company_id AND person_id = :person_id AND name = ANY(:names::text[])""",
)
# A value that did not change keeps its time; a concurrent first set of the same
# name becomes an update instead of a failed unit of work.
UPSERT_VALUE = Query(
    """INSERT INTO person_attributes (company_id, person_id, definition_id, name, value,
        updated_at)
    VALUES (:company_id, :person_id, :definition_id, :name, :value, :now)
    ON CONFLICT (company_id, person_id, name) DO UPDATE
    SET value = excluded.value, definition_id = excluded.definition_id,
        updated_at = excluded.updated_at
    WHERE person_attributes.value IS NOT excluded.value""",
    postgresql="""INSERT INTO person_attributes (company_id, person_id, definition_id, name,
        value, updated_at)
    VALUES (:company_id, :person_id, :definition_id, :name, :value, :now)
    ON CONFLICT (company_id, person_id, name) DO UPDATE
    SET value = excluded.value, definition_id = excluded.definition_id,
        updated_at = excluded.updated_at
    WHERE person_attributes.value::text IS DISTINCT FROM excluded.value::text""",
)


@dataclass(frozen=True)
class DefinitionRow:
    """A custom attribute's type (and values, for an enum) and storage slot."""

    id: int
    name: str
    type: str
    enum_values: list[str]
    slot: int


async def definitions_named(
    connection: Connection, company_id: int, names: Collection[str]
) -> dict[str, DefinitionRow]:
    """The company's definitions among `names`."""
    if not names:
        return {}
    rows = await connection.fetch(
        DEFINITIONS_NAMED, {"company_id": company_id, "names": sorted(names)}
    )
    return {
        row["name"]: DefinitionRow(
            row["id"],
            row["name"],
            row["type"],
            list(as_json(row["enum_values"]) or []),
            row["slot"],
        )
        for row in rows
    }


async def used_slots(connection: Connection, company_id: int) -> set[int]:
    """The slots the company's definitions hold."""
    rows = await connection.fetch(USED_SLOTS, {"company_id": company_id})
    return {row["slot"] for row in rows}


async def insert_definition(
    connection: Connection,
    company_id: int,
    name: str,
    kind: str,
    enum_values: Sequence[str],
    slot: int,
    now: datetime,
) -> int:
    """Define an attribute in `slot`; a racing definition of the slot or name fails here."""
    params = {
        "company_id": company_id,
        "name": name,
        "type": kind,
        "enum_values": Json(list(enum_values)),
        "slot": slot,
        "now": now,
    }
    return int(await connection.fetchval(INSERT_DEFINITION, params))


async def set_enum_values(connection: Connection, definition_id: int, values: list[str]) -> None:
    """Replace an enum's values."""
    await connection.execute(SET_ENUM_VALUES, {"id": definition_id, "values": Json(values)})


async def delete_values(
    connection: Connection, company_id: int, person_id: int, names: Collection[str]
) -> None:
    """Remove these attributes from a person."""
    if names:
        await connection.execute(
            DELETE_VALUES,
            {"company_id": company_id, "person_id": person_id, "names": sorted(names)},
        )


async def upsert_values(
    connection: Connection,
    company_id: int,
    person_id: int,
    values: Sequence[tuple[str, Any, int | None]],
    now: datetime,
) -> None:
    """Set (name, value, definition id) attributes of a person."""
    await connection.executemany(
        UPSERT_VALUE,
        [
            {
                "company_id": company_id,
                "person_id": person_id,
                "definition_id": definition_id,
                "name": name,
                "value": Json(value),
                "now": now,
            }
            for name, value, definition_id in values
        ],
    )
