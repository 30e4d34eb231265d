"""Custom attribute definitions: created on first use, at most 100 per company.

The API creates string, number, boolean and date attributes on first use; enum
attributes and their values are defined only here, by an operator
(`optledger attributes define`), so the API can never add an enum value.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from optledger.core.attributes.standard import standard_name
from optledger.core.attributes.values import AttributeType, check_name
from optledger.core.errors import AttributeLimitReached, Conflict, InvalidAttribute
from optledger.storage.clock import utcnow
from optledger.storage.repositories import attributes as stored
from optledger.storage.repositories.attributes import DefinitionRow
from optledger.storage.sql import Connection
from optledger.storage.tables.attributes import MAX_CUSTOM_ATTRIBUTES


async def definitions_named(
    connection: Connection, company_id: int, names: Collection[str]
) -> dict[str, DefinitionRow]:
    """The company's definitions among `names`."""
    return await stored.definitions_named(connection, company_id, names)


async def create_definitions(
    connection: Connection,
    company_id: int,
    new: Mapping[str, AttributeType],
    enum_values: Sequence[str] = (),
) -> dict[str, DefinitionRow]:
    """Define new attributes, each in a free slot; none if they do not all fit.

    A name a concurrent request defined first comes back as that definition,
    whatever its type. Two requests racing for the last slot with different
    names collide on the unique slot, and the loser's replay finds the limit
    reached.
    """
    if not new:
        return {}
    used = await stored.used_slots(connection, company_id)
    free = sorted(set(range(1, MAX_CUSTOM_ATTRIBUTES + 1)) - used)
    if len(new) > len(free):
        names = ", ".join(repr(name) for name in new)
        raise AttributeLimitReached(
            f"a company may have at most {MAX_CUSTOM_ATTRIBUTES} custom attributes and has "
            f"{len(used)}: cannot create {names}"
        )
    values = list(enum_values)
    slots = dict(zip(new, free, strict=False))
    ids = await stored.insert_definitions(
        connection,
        company_id,
        [(name, kind.value, slots[name]) for name, kind in new.items()],
        values,
        utcnow(),
    )
    created = {
        name: DefinitionRow(ids[name], name, new[name].value, values, slots[name]) for name in ids
    }
    raced = [name for name in new if name not in ids]
    return created | await definitions_named(connection, company_id, raced)


async def define_attribute(
    connection: Connection,
    company_id: int,
    name: str,
    kind: AttributeType,
    enum_values: Sequence[str] = (),
) -> DefinitionRow:
    """Define a custom attribute ahead of use, or add values to an existing enum."""
    check_name(name)
    if standard_name(name) is not None:
        raise InvalidAttribute(f"{name!r} is a standard attribute and cannot be redefined")
    values = list(dict.fromkeys(value.strip() for value in enum_values if value.strip()))
    if (kind == AttributeType.ENUM) != bool(values):
        raise InvalidAttribute("enum attributes, and only they, take a list of values")
    existing = (await definitions_named(connection, company_id, [name])).get(name)
    if existing is None:
        existing = (await create_definitions(connection, company_id, {name: kind}, values))[name]
    if existing.type != kind:
        raise Conflict(f"attribute {name!r} is already a {existing.type} attribute")
    merged = list(dict.fromkeys([*existing.enum_values, *values]))
    if merged == existing.enum_values:
        return existing
    await stored.set_enum_values(connection, existing.id, merged)
    return DefinitionRow(existing.id, name, existing.type, merged, existing.slot)
