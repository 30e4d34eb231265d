"""Custom attribute definitions and the attribute values of people.

Many definitions or values go in one statement: on SQLite as one JSON array of
tuples (`json_each`), on PostgreSQL as parallel arrays (`unnest`).
"""

from __future__ import annotations

import json
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
# A name defined meanwhile by a concurrent request is skipped (and read back by
# the caller) instead of failing the unit of work; two new names racing for one
# slot still fail on the unique slot, and the replay sees the slot taken.
# (`WHERE true` keeps SQLite from reading ON CONFLICT as a join's ON.)
INSERT_DEFINITIONS = Query(
    """INSERT INTO attribute_definitions (company_id, name, type, enum_values, slot, created_at)
    SELECT :company_id, json_extract(d.value, '$[0]'), json_extract(d.value, '$[1]'),
        :enum_values, json_extract(d.value, '$[2]'), :now
    FROM json_each(:definitions) AS d WHERE true
    ON CONFLICT (company_id, name) DO NOTHING
    RETURNING id, name""",
    postgresql="""INSERT INTO attribute_definitions (company_id, name, type, enum_values, slot,
        created_at)
    SELECT :company_id, d.name, d.type, :enum_values::json, d.slot, :now
    FROM unnest(:names::text[], :types::text[], :slots::int[]) AS d(name, type, slot)
    ON CONFLICT (company_id, name) DO NOTHING
    RETURNING id, name""",
)
VALUES_OF_PERSON = Query(
    """SELECT name, value FROM person_attributes
    WHERE company_id = :company_id AND person_id = :person_id ORDER BY name"""
)
SET_ENUM_VALUES = Query("UPDATE attribute_definitions SET enum_values = :values WHERE id = :id")
DELETE_VALUES = Query(
    """DELETE FROM person_attributes WHERE company_id = :company_id AND person_id = :person_id
    AND name IN (SELECT value FROM json_each(:names))""",
    postgresql="""DELETE FROM person_attributes
    WHERE company_id = :company_id AND person_id = :person_id AND name = ANY(:names::text[])""",
)
# Values travel as JSON text. A value that did not change keeps its time; a
# concurrent first set of the same name becomes an update instead of a failed
# unit of work.
UPSERT_VALUES = Query(
    """INSERT INTO person_attributes (company_id, person_id, definition_id, name, value,
        updated_at)
    SELECT :company_id, :person_id, json_extract(v.value, '$[2]'),
        json_extract(v.value, '$[0]'), json_extract(v.value, '$[1]'), :now
    FROM json_each(:values) AS v WHERE true
    ON CONFLICT (company_id, person_id, name) DO UPDATE
    SET value = excluded.value, definition_id = excluded.definition_id,
        updated_at = excluded.updated_at
    WHERE person_attributes.value IS NOT excluded.value""",
    postgresql="""INSERT INTO person_attributes (company_id, person_id, definition_id, name,
        value, updated_at)
    SELECT :company_id, :person_id, v.definition_id, v.name, v.value::json, :now
    FROM unnest(:names::text[], :texts::text[], :definition_ids::bigint[])
        AS v(name, value, definition_id)
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


async def insert_definitions(
    connection: Connection,
    company_id: int,
    definitions: Sequence[tuple[str, str, int]],
    enum_values: Sequence[str],
    now: datetime,
) -> dict[str, int]:
    """Define (name, type, slot) attributes; returns the id of each one defined here.

    A name that a concurrent request defined first is left out of the result; a
    racing definition of the same slot under another name fails here.
    """
    if not definitions:
        return {}
    params = {
        "company_id": company_id,
        "enum_values": Json(list(enum_values)),
        "now": now,
        "definitions": [list(definition) for definition in definitions],
        "names": [name for name, _, _ in definitions],
        "types": [kind for _, kind, _ in definitions],
        "slots": [slot for _, _, slot in definitions],
    }
    rows = await connection.fetch(INSERT_DEFINITIONS, params)
    return {row["name"]: row["id"] for row in rows}


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
    """Set (name, value, definition id) attributes of a person; names must be distinct."""
    if not values:
        return
    texts = [json.dumps(value) for _, value, _ in values]
    params = {
        "company_id": company_id,
        "person_id": person_id,
        "now": now,
        "values": [
            [name, text, definition_id]
            for (name, _, definition_id), text in zip(values, texts, strict=True)
        ],
        "names": [name for name, _, _ in values],
        "texts": texts,
        "definition_ids": [definition_id for _, _, definition_id in values],
    }
    await connection.execute(UPSERT_VALUES, params)


async def values_of_person(
    connection: Connection, company_id: int, person_id: int
) -> dict[str, Any]:
    """A person's attribute values, standard and custom, by name."""
    rows = await connection.fetch(
        VALUES_OF_PERSON, {"company_id": company_id, "person_id": person_id}
    )
    return {row["name"]: as_json(row["value"]) for row in rows}
