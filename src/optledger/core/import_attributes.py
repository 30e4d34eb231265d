"""Attribute columns of an imported list: the rules of `attributes`, for a batch.

As through the API: a standard name (`firstName`, `zip`, ...) sets the standard
attribute with its fixed type, any other name a custom attribute, defined on first
use from its first value (a CSV cell is text: a date-like value makes a date
attribute, anything else a string one) within the company's limit. An empty cell
leaves the attribute as it is. A value its attribute's type refuses refuses the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from optledger.core.attributes.definitions import create_definitions, definitions_named
from optledger.core.attributes.standard import STANDARD_ATTRIBUTES, standard_name
from optledger.core.attributes.values import AttributeType, Scalar, check_name, coerce, infer_type
from optledger.core.context import RequestContext
from optledger.core.errors import OptledgerError
from optledger.core.events import EventType, new_event, record_events
from optledger.core.import_rows import ImportRow, Refusal
from optledger.storage.clock import utcnow
from optledger.storage.repositories.imported_records import upsert_values_of_many
from optledger.storage.sql import Connection

BAD_ATTRIBUTE = "bad attribute"

# (stored name, value in its stored form, definition id or None for a standard one)
Value = tuple[str, Scalar, int | None]


@dataclass(frozen=True)
class _Kind:
    """What a column's values are checked against."""

    name: str
    type: AttributeType
    enum_values: list[str]
    definition_id: int | None


async def _kinds(
    connection: Connection, company_id: int, rows: Sequence[ImportRow]
) -> dict[str, _Kind]:
    """The attribute each column name sets, defining custom ones seen for the first time."""
    first: dict[str, str] = {}
    for row in rows:
        for name, value in row.attributes:
            first.setdefault(name, value)
    kinds: dict[str, _Kind] = {}
    custom: list[str] = []
    for name in first:
        standard = standard_name(name)
        if standard is not None:
            kinds[name] = _Kind(standard, STANDARD_ATTRIBUTES[standard], [], None)
        else:
            custom.append(check_name(name))
    known = await definitions_named(connection, company_id, custom)
    new = {name: infer_type(first[name]) for name in custom if name not in known}
    known |= await create_definitions(connection, company_id, new)
    for name in custom:
        found = known[name]
        kinds[name] = _Kind(name, AttributeType(found.type), found.enum_values, found.id)
    return kinds


async def check_attributes(
    connection: Connection, company_id: int, rows: Sequence[ImportRow]
) -> tuple[dict[int, list[Value]], list[Refusal]]:
    """Each row's attribute values in their stored form (by the row's line), and the
    rows refused for a value their attribute does not take."""
    values: dict[int, list[Value]] = {}
    refused: list[Refusal] = []
    if not any(row.attributes for row in rows):
        return values, refused
    kinds = await _kinds(connection, company_id, rows)
    for row in rows:
        checked: list[Value] = []
        try:
            for name, value in row.attributes:
                kind = kinds[name]
                stored = coerce(kind.name, kind.type, value, kind.enum_values)
                checked.append((kind.name, stored, kind.definition_id))
        except OptledgerError as exc:
            refused.append(Refusal(row.line, value, BAD_ATTRIBUTE, exc.message))
            continue
        if checked:
            values[row.line] = checked
    return values, refused


async def store_attributes(
    connection: Connection,
    company_id: int,
    values: Sequence[tuple[int, list[Value]]],
    context: RequestContext,
) -> None:
    """Set the (person id, values) of rows in file order (a later row wins over an
    earlier one of the same person); people whose custom values changed get an
    `attributes_set` event, so that a repeated import changes nothing and says nothing."""
    latest: dict[tuple[int, str], Value] = {}
    for person_id, person_values in values:
        for checked in person_values:
            latest[(person_id, checked[0])] = checked
    rows = [(person_id, name, scalar, definition) for (person_id, name), (_, scalar, definition)
            in latest.items()]  # fmt: skip
    changed = await upsert_values_of_many(connection, company_id, rows, utcnow())
    custom: dict[int, dict[str, Scalar]] = {}
    for person_id, name, scalar, definition in rows:
        if definition is not None and (person_id, name) in changed:
            custom.setdefault(person_id, {})[name] = scalar
    await record_events(
        connection,
        [
            new_event(
                company_id,
                EventType.ATTRIBUTES_SET,
                context,
                person_id=person_id,
                data={"attributes": attributes},
            )
            for person_id, attributes in custom.items()
        ],
    )
