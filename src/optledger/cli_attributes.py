"""`optledger attributes`: define custom attributes ahead of use.

The only way to make an enum attribute or give it values: the API never does.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from optledger.core.attributes import AttributeType, define_attribute
from optledger.core.companies import get_company_by_key
from optledger.core.errors import OptledgerError
from optledger.settings import get_settings
from optledger.storage.database import Database
from optledger.storage.migrate import upgrade_database
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
    url = get_settings().resolved_database_url

    async def define_in(connection: Connection) -> DefinitionRow:
        found = await get_company_by_key(connection, company)
        return await define_attribute(connection, found.id, name, kind, values or [])

    async def run() -> DefinitionRow:
        await upgrade_database(url)
        database = Database(url)
        try:
            return await database.run(define_in)
        finally:
            await database.dispose()

    try:
        definition = asyncio.run(run())
    except OptledgerError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    allowed = f": {', '.join(definition.enum_values)}" if definition.enum_values else ""
    typer.echo(f"{definition.name} ({definition.type}){allowed}")
