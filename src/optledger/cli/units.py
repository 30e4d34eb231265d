"""`optledger units`: a company's sign-up units, as the management API has them.

Both call the same core functions (`core.sign_up_units`); `--json` prints the
objects the API answers. A unit created here takes subscribe requests at once, in
running servers too (the company's version moves with it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from optledger.cli.support import (
    CompanyOption,
    JsonListOption,
    JsonOption,
    command_line_actor,
    console,
    in_company,
    print_json,
)
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.unit_methods import API_METHOD, METHODS

if TYPE_CHECKING:
    from optledger.core.use_cases.units import UnitRow

units_app = typer.Typer(help="Sign-up units: where consent is collected.", no_args_is_help=True)

UnitArgument = Annotated[int, typer.Argument(min=1, help="The unit's id (its signUpSourceId).")]
Texts = Annotated[str | None, typer.Option(help="Text; an empty one clears it.")]


def print_units(units: list[UnitRow], as_json: bool) -> None:
    """A table, or one JSON array."""
    from optledger.dialects.manage.wire import UnitDto

    if as_json:
        print_json([UnitDto.of(unit) for unit in units])
        return
    table = Table("id", "name", "method", "type", "channels", "locale", "keywords", "opt-in")
    table.add_column("status")
    for unit in units:
        opt_in = "double" if unit.double_opt_in else "single"
        if unit.allow_single_opt_in:
            opt_in += ", single on request"
        table.add_row(
            str(unit.id),
            unit.name,
            unit.method,
            unit.subscription_type,
            ", ".join(unit.channels),
            unit.locale,
            ", ".join(unit.keywords),
            opt_in,
            unit.status,
        )
    console.print(table)


@units_app.command("list")
def list_units(company: CompanyOption, as_json: JsonListOption = False) -> None:
    """The company's units, archived ones included, oldest first."""
    from optledger.core.use_cases import units

    print_units(in_company(company, units.list_units), as_json)


@units_app.command("create")
def create_unit(
    company: CompanyOption,
    name: Annotated[str, typer.Option(help="A name, unique in the company.")],
    sub_type: Annotated[SubscriptionType, typer.Option("--type", help="Subscription type.")],
    channels: Annotated[list[Channel], typer.Option("--channel", help="TEXT and/or EMAIL.")],
    language: Annotated[str, typer.Option(help="Locale language.")] = "en",
    country: Annotated[str, typer.Option(help="Locale country.")] = "US",
    disclosure: Annotated[
        str | None, typer.Option(help="Legal disclosure text (required for MARKETING).")
    ] = None,
    method: Annotated[str, typer.Option(help=", ".join(METHODS))] = API_METHOD,
    keywords: Annotated[
        list[str] | None, typer.Option("--keyword", help="KEYWORD units: a word that starts it.")
    ] = None,
    prompt: Annotated[str | None, typer.Option(help="Confirmation prompt text.")] = None,
    welcome: Annotated[str | None, typer.Option(help="Welcome text.")] = None,
    double_opt_in: Annotated[bool, typer.Option(help="TEXT needs a Y reply.")] = True,
    email_double_opt_in: Annotated[bool, typer.Option(help="EMAIL needs confirming.")] = False,
    allow_single_opt_in: Annotated[
        bool, typer.Option(help="Requests may ask for single opt-in.")
    ] = False,
    welcome_on_single_opt_in: Annotated[
        bool, typer.Option(help="Send the welcome text on single opt-in.")
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Create an active unit; it takes subscribe requests at once."""
    from optledger.core.sign_up_units import Locale, UnitSpec
    from optledger.core.use_cases import units
    from optledger.dialects.manage.wire import UnitDto

    spec = UnitSpec(
        name=name,
        subscription_type=sub_type,
        channels=channels,
        locale=Locale(language, country),
        method=method,
        legal_disclosure=disclosure,
        confirmation_prompt=prompt,
        welcome_text=welcome,
        keywords=keywords or [],
        double_opt_in=double_opt_in,
        email_double_opt_in=email_double_opt_in,
        allow_single_opt_in=allow_single_opt_in,
        welcome_on_single_opt_in=welcome_on_single_opt_in,
    )

    unit = in_company(
        company,
        lambda database, company_id: units.create_unit(
            database, company_id, spec, actor=command_line_actor()
        ),
    )
    if as_json:
        print_json(UnitDto.of(unit))
        return
    console.print(f"[green]sign-up unit {unit.id} created[/green] (signUpSourceId {unit.id})")


@units_app.command("update")
def update_unit(
    unit_id: UnitArgument,
    company: CompanyOption,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    channels: Annotated[
        list[Channel] | None, typer.Option("--channel", help="The channels, all of them.")
    ] = None,
    language: Annotated[str | None, typer.Option(help="Locale language.")] = None,
    country: Annotated[str | None, typer.Option(help="Locale country.")] = None,
    disclosure: Texts = None,
    keywords: Annotated[
        list[str] | None, typer.Option("--keyword", help="The keywords, all of them.")
    ] = None,
    prompt: Texts = None,
    welcome: Texts = None,
    double_opt_in: Annotated[bool | None, typer.Option(help="TEXT needs a Y reply.")] = None,
    email_double_opt_in: Annotated[
        bool | None, typer.Option(help="EMAIL needs confirming.")
    ] = None,
    allow_single_opt_in: Annotated[
        bool | None, typer.Option(help="Requests may ask for single opt-in.")
    ] = None,
    welcome_on_single_opt_in: Annotated[
        bool | None, typer.Option(help="Send the welcome text on single opt-in.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change an active unit; only the options given change (consent already given
    keeps the texts it was given with)."""
    from optledger.core.use_cases import units
    from optledger.dialects.manage.wire import UnitDto

    given: dict[str, Any] = {
        "name": name,
        "channels": channels,
        "language": language,
        "country": country,
        "keywords": keywords,
        "double_opt_in": double_opt_in,
        "email_double_opt_in": email_double_opt_in,
        "allow_single_opt_in": allow_single_opt_in,
        "welcome_on_single_opt_in": welcome_on_single_opt_in,
    }
    changes = {field: value for field, value in given.items() if value is not None}
    for field, text in (
        ("legal_disclosure", disclosure),
        ("confirmation_prompt", prompt),
        ("welcome_text", welcome),
    ):
        if text is not None:
            changes[field] = text

    unit = in_company(
        company,
        lambda database, company_id: units.update_unit(
            database, company_id, unit_id, changes, actor=command_line_actor()
        ),
    )
    if as_json:
        print_json(UnitDto.of(unit))
        return
    console.print(f"[green]sign-up unit {unit.id} updated[/green]")


@units_app.command("archive")
def archive_unit(
    unit_id: UnitArgument, company: CompanyOption, as_json: JsonOption = False
) -> None:
    """Stop a unit taking new consent; what it collected stays."""
    from optledger.core.use_cases import units
    from optledger.dialects.manage.wire import UnitDto

    unit = in_company(
        company,
        lambda database, company_id: units.archive_unit(
            database, company_id, unit_id, actor=command_line_actor()
        ),
    )
    if as_json:
        print_json(UnitDto.of(unit))
        return
    console.print(f"[green]sign-up unit {unit.id} archived[/green]")
