"""`optledger templates`: the texts a company sends, per locale and kind."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from optledger.cli.support import (
    CompanyOption,
    JsonListOption,
    command_line_actor,
    console,
    in_company,
    print_json,
)
from optledger.core.message_kinds import MessageKind

templates_app = typer.Typer(help="Message texts per company and locale.", no_args_is_help=True)


@templates_app.command("list")
def list_templates(company: CompanyOption, as_json: JsonListOption = False) -> None:
    """Every text the company sends, per locale and kind, whose each is, and the SMS it
    takes with the company's name filled in (a unit's disclosure adds to it)."""
    from optledger.core.use_cases import company_settings
    from optledger.dialects.manage.wire import TemplateDto

    found = in_company(company, company_settings.list_templates)
    if as_json:
        print_json([TemplateDto.of(text) for text in found])
        return
    table = Table("locale", "kind", "source", "segments", "text")
    for text in found:
        sms = f"{text.sms.segments} ({text.sms.encoding}, {text.sms.characters})"
        table.add_row(text.locale, text.kind.value, text.source, sms, text.text)
    console.print(table)


@templates_app.command("set")
def set_template(
    company: CompanyOption,
    locale: Annotated[str, typer.Option(help="e.g. en-US or fr-CA.")],
    kind: Annotated[MessageKind, typer.Option(help="Which message.")],
    text: Annotated[
        str | None, typer.Argument(help="Placeholders: {company}, {disclosure}.")
    ] = None,
    reset: Annotated[bool, typer.Option(help="Go back to the built-in text.")] = False,
) -> None:
    """Override one message text for a company and locale."""
    from optledger.core.use_cases import company_settings

    if (text is None) != reset:
        raise typer.BadParameter("give a text, or --reset")

    in_company(
        company,
        lambda database, company_id: company_settings.set_template(
            database,
            company_id,
            locale,
            kind,
            None if reset else text,
            actor=command_line_actor(),
        ),
    )
    console.print(f"[green]{kind} for {company} in {locale} updated[/green]")
