"""People's attributes: definitions, custom values, and the user upsert that sets them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from optledger.core import user_upsert
from optledger.core.attributes import definitions
from optledger.core.attributes.values import AttributeType
from optledger.core.context import RequestContext
from optledger.core.identity import Identity
from optledger.core.user_upsert import UpsertUserCommand, UpsertUserResult
from optledger.storage.database import Database
from optledger.storage.repositories.attributes import DefinitionRow
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.people import PersonRow


async def define_attribute(
    database: Database,
    company_id: int,
    name: str,
    kind: AttributeType,
    enum_values: Sequence[str] = (),
) -> DefinitionRow:
    """Define a custom attribute ahead of use, or add values to an enum attribute."""
    return await database.run(
        lambda connection: definitions.define_attribute(
            connection, company_id, name, kind, enum_values
        )
    )


async def set_custom_attributes(
    database: Database,
    company_id: int,
    identity: Identity,
    properties: Mapping[str, Any],
    context: RequestContext,
) -> PersonRow:
    """Set custom attributes of a user, each new name typed by its first value."""
    return await database.run(
        lambda connection: user_upsert.set_custom_attributes(
            connection, company_id, identity, properties, context
        )
    )


async def upsert_user(
    database: Database,
    company: CompanyRow,
    command: UpsertUserCommand,
    context: RequestContext,
) -> UpsertUserResult:
    """Create or update one user: identifiers, attributes, then subscriptions."""
    return await database.run(
        lambda connection: user_upsert.upsert_user(connection, company, command, context)
    )
