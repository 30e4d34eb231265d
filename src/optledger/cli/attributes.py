"""`optledger attributes`: define custom attributes ahead of use.

The only way to make an enum attribute or give it values: the API never does.
"""

from __future__ import annotations

from typing import Annotated

import typer

from optledger.cli.support import in_transaction
from optledger.core.attributes import AttributeType, define_attribute
from optledger.core.companies import get_company_by_key
from optledger.storage.repositories.attributes import DefinitionRow
from optledger.storage.sql import Connection

attributes_app = typer.Typer(help="Custom attribute definitions.", no_args_is_help=True)


@attributes_app.command("define")
def define(
    name: Annotated[str, typer.Argument(help="Attribute name (case-sensitive).")],
    company: Annotated[str, typer.Option(help="Company key.")],
    kind: Annotated[AttributeType, typer.Option("--type", help="Attribute type.")],
    values: Annotated[
        list[str] | None, typer.Option("--value", help="An enum value (repeat for more).")
    ] = None,
) -> None:
    """Define a custom attribute, or add values to an enum attribute."""

    async def define_in(connection: Connection) -> DefinitionRow:
        found = await get_company_by_key(connection, company)
        return await define_attribute(connection, found.id, name, kind, values or [])

    definition = in_transaction(define_in)
    allowed = f": {', '.join(definition.enum_values)}" if definition.enum_values else ""
    typer.echo(f"{definition.name} ({definition.type}){allowed}")
