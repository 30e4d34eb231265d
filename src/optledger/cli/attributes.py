"""`optledger attributes`: define custom attributes ahead of use.

The only way to make an enum attribute or give it values: the API never does.
"""

from __future__ import annotations

from typing import Annotated

import typer

from optledger.cli.support import CompanyOption, in_company
from optledger.core.attributes.values import AttributeType

attributes_app = typer.Typer(help="Custom attribute definitions.", no_args_is_help=True)


@attributes_app.command("define")
def define(
    name: Annotated[str, typer.Argument(help="Attribute name (case-sensitive).")],
    company: CompanyOption,
    kind: Annotated[AttributeType, typer.Option("--type", help="Attribute type.")],
    values: Annotated[
        list[str] | None, typer.Option("--value", help="An enum value (repeat for more).")
    ] = None,
) -> None:
    """Define a custom attribute, or add values to an enum attribute."""
    from optledger.core.use_cases import attributes

    definition = in_company(
        company,
        lambda database, company_id: attributes.define_attribute(
            database, company_id, name, kind, values or []
        ),
    )
    allowed = f": {', '.join(definition.enum_values)}" if definition.enum_values else ""
    typer.echo(f"{definition.name} ({definition.type}){allowed}")
