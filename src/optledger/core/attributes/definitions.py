"""Custom attribute definitions: created on first use, at most 100 per company.

The API creates string, number, boolean and date attributes on first use; enum
attributes and their values are defined only here, by an operator
(`optledger attributes define`), so the API can never add an enum value.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.attributes.standard import standard_name
from optledger.core.attributes.values import AttributeType, check_name
from optledger.core.errors import AttributeLimitReached, Conflict, InvalidAttribute
from optledger.storage.tables import AttributeDefinition
from optledger.storage.tables.attributes import MAX_CUSTOM_ATTRIBUTES


async def definitions_named(
    session: AsyncSession, company_id: int, names: Collection[str]
) -> dict[str, AttributeDefinition]:
    """The company's definitions among `names`."""
    if not names:
        return {}
    rows = await session.scalars(
        select(AttributeDefinition).where(
            AttributeDefinition.company_id == company_id, AttributeDefinition.name.in_(names)
        )
    )
    return {row.name: row for row in rows}


async def create_definitions(
    session: AsyncSession, company_id: int, new: Mapping[str, AttributeType]
) -> dict[str, AttributeDefinition]:
    """Define new attributes, each in a free slot; none if they do not all fit.

    Two requests racing for the last slot collide on the unique slot, and the
    loser's replay finds the limit reached.
    """
    if not new:
        return {}
    used = set(
        await session.scalars(
            select(AttributeDefinition.slot).where(AttributeDefinition.company_id == company_id)
        )
    )
    free = sorted(set(range(1, MAX_CUSTOM_ATTRIBUTES + 1)) - used)
    if len(new) > len(free):
        names = ", ".join(repr(name) for name in new)
        raise AttributeLimitReached(
            f"a company may have at most {MAX_CUSTOM_ATTRIBUTES} custom attributes and has "
            f"{len(used)}: cannot create {names}"
        )
    created = {
        name: AttributeDefinition(
            company_id=company_id, name=name, type=kind.value, enum_values=[], slot=slot
        )
        for (name, kind), slot in zip(new.items(), free, strict=False)
    }
    session.add_all(created.values())
    await session.flush()
    return created


async def define_attribute(
    session: AsyncSession,
    company_id: int,
    name: str,
    kind: AttributeType,
    enum_values: Sequence[str] = (),
) -> AttributeDefinition:
    """Define a custom attribute ahead of use, or add values to an existing enum."""
    check_name(name)
    if standard_name(name) is not None:
        raise InvalidAttribute(f"{name!r} is a standard attribute and cannot be redefined")
    values = list(dict.fromkeys(value.strip() for value in enum_values if value.strip()))
    if (kind == AttributeType.ENUM) != bool(values):
        raise InvalidAttribute("enum attributes, and only they, take a list of values")
    existing = (await definitions_named(session, company_id, [name])).get(name)
    if existing is None:
        [created] = (await create_definitions(session, company_id, {name: kind})).values()
        created.enum_values = values
        return created
    if existing.type != kind:
        raise Conflict(f"attribute {name!r} is already a {existing.type} attribute")
    if kind == AttributeType.ENUM:
        existing.enum_values = list(dict.fromkeys([*existing.enum_values, *values]))
    return existing
