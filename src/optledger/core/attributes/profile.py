"""Setting a person's attributes: standard ones first, custom ones by definition.

A value of null removes the attribute from the person; an empty string is ignored
(clients fill unknown fields with ""). A custom name seen for the first time is
defined from its value (see `values`), within the company's limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from optledger.core.attributes.definitions import create_definitions, definitions_named
from optledger.core.attributes.standard import STANDARD_ATTRIBUTES, standard_name
from optledger.core.attributes.values import (
    AttributeType,
    Scalar,
    check_name,
    check_scalar,
    coerce,
    infer_type,
)
from optledger.core.context import RequestContext
from optledger.core.events import EventType, record_event
from optledger.storage.clock import utcnow
from optledger.storage.repositories import attributes as stored
from optledger.storage.repositories.attributes import DefinitionRow
from optledger.storage.sql import Connection


@dataclass(frozen=True)
class AttributeChanges:
    """Attribute values as a request sends them; values are unchecked JSON."""

    standard: Mapping[str, Any] = field(default_factory=dict)
    custom: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class _Plan:
    """Checked changes: values to store (with their definition) and names to remove."""

    store: dict[str, tuple[Scalar, int | None]] = field(default_factory=dict)
    remove: set[str] = field(default_factory=set)


def _with_priority(changes: AttributeChanges) -> tuple[dict[str, Any], dict[str, Any]]:
    """Standard and custom values, a standard name in custom counting as standard."""
    standard: dict[str, Any] = {}
    for name, value in changes.standard.items():
        standard[standard_name(name) or name] = value
    custom: dict[str, Any] = {}
    for name, value in changes.custom.items():
        reserved = standard_name(name)
        if reserved is None:
            custom[check_name(name)] = value
        else:
            standard.setdefault(reserved, value)
    return standard, custom


def _is_unset(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


def _against(name: str, scalar: Scalar, definition: DefinitionRow) -> tuple[Scalar, int]:
    """The value as its definition stores it (e.g. a normalised date), with the definition."""
    kind = AttributeType(definition.type)
    return coerce(name, kind, scalar, definition.enum_values), definition.id


async def _plan(connection: Connection, company_id: int, changes: AttributeChanges) -> _Plan:
    standard, custom = _with_priority(changes)
    plan = _Plan()
    for name, value in standard.items():
        if value is None:
            plan.remove.add(name)
        elif not _is_unset(value):
            kind = STANDARD_ATTRIBUTES[name]
            plan.store[name] = (coerce(name, kind, check_scalar(name, value), []), None)
    given = {name: value for name, value in custom.items() if not _is_unset(value)}
    known = await definitions_named(connection, company_id, given)
    new: dict[str, AttributeType] = {}
    unknown: dict[str, Scalar] = {}
    for name, value in given.items():
        if value is None:
            plan.remove.add(name)
            continue
        scalar = check_scalar(name, value)
        if name in known:
            plan.store[name] = _against(name, scalar, known[name])
            continue
        new[name] = infer_type(scalar)
        unknown[name] = scalar
        # Checked now, so that a bad value defines nothing; stored once defined.
        plan.store[name] = (coerce(name, new[name], scalar, []), None)
    for name, definition in (await create_definitions(connection, company_id, new)).items():
        # The inferred type, unless a concurrent request defined the name first.
        plan.store[name] = _against(name, unknown[name], definition)
    return plan


async def set_attributes(
    connection: Connection,
    company_id: int,
    person_id: int,
    changes: AttributeChanges,
    context: RequestContext,
) -> None:
    """Check every value, then upsert and remove the person's attribute values; custom
    ones given are recorded as an `attributes_set` event (webhooks listen for it)."""
    plan = await _plan(connection, company_id, changes)
    if changes.custom:
        await record_event(
            connection,
            company_id,
            EventType.ATTRIBUTES_SET,
            context,
            person_id=person_id,
            data={"attributes": dict(changes.custom)},
        )
    await stored.delete_values(connection, company_id, person_id, plan.remove)
    await stored.upsert_values(
        connection,
        company_id,
        person_id,
        [(name, value, definition_id) for name, (value, definition_id) in plan.store.items()],
        utcnow(),
    )
