"""`optledger templates`: the texts a company sends, per locale and kind."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from optledger.cli.support import CompanyOption, JsonListOption, console, in_transaction, print_json
from optledger.core.companies import get_company_by_key
from optledger.core.template_listing import TemplateText, company_templates
from optledger.core.templates import MessageKind, set_company_template
from optledger.dialects.manage.wire import TemplateDto
from optledger.storage.sql import Connection

templates_app = typer.Typer(help="Message texts per company and locale.", no_args_is_help=True)


@templates_app.command("list")
def list_templates(company: CompanyOption, as_json: JsonListOption = False) -> None:
    """Every text the company sends, per locale and kind, and whose each is."""

    async def read(connection: Connection) -> list[TemplateText]:
        return company_templates(await get_company_by_key(connection, company))

    found = in_transaction(read)
    if as_json:
        print_json([TemplateDto.of(text) for text in found])
        return
    table = Table("locale", "kind", "source", "text")
    for text in found:
        table.add_row(text.locale, text.kind.value, text.source, text.text)
    console.print(table)


@templates_app.command("set")
def set_template(
    company: Annotated[str, typer.Option(help="Company key.")],
    locale: Annotated[str, typer.Option(help="e.g. en-US or fr-CA.")],
    kind: Annotated[MessageKind, typer.Option(help="Which message.")],
    text: Annotated[
        str | None, typer.Argument(help="Placeholders: {company}, {disclosure}.")
    ] = None,
    reset: Annotated[bool, typer.Option(help="Go back to the built-in text.")] = False,
) -> None:
    """Override one message text for a company and locale."""
    if (text is None) != reset:
        raise typer.BadParameter("give a text, or --reset")

    async def apply(connection: Connection) -> None:
        found = await get_company_by_key(connection, company)
        await set_company_template(connection, found, locale, kind, None if reset else text)

    in_transaction(apply)
    console.print(f"[green]{kind} for {company} in {locale} updated[/green]")
