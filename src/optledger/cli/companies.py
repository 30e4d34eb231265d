"""`optledger companies`: the companies (tenants) of the installation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from optledger.cli.support import (
    JsonListOption,
    JsonOption,
    command_line_actor,
    console,
    print_json,
    run_operation,
)

if TYPE_CHECKING:
    from optledger.core.use_cases.companies import CompanyRow

companies_app = typer.Typer(help="Companies (tenants).", no_args_is_help=True)


def _table(companies: list[CompanyRow]) -> None:
    table = Table("key", "name", "default locale")
    for company in companies:
        table.add_row(company.key, company.name, company.default_locale)
    console.print(table)


@companies_app.command("list")
def list_companies(as_json: JsonListOption = False) -> None:
    """Every company, by key."""
    from optledger.core.use_cases import companies
    from optledger.dialects.manage.wire import CompanyDto

    found = run_operation(companies.list_companies)
    if as_json:
        print_json([CompanyDto.of(company) for company in found])
        return
    _table(found)


@companies_app.command("create")
def create(
    key: Annotated[str, typer.Argument(help="Company key (url-safe).")],
    name: Annotated[str | None, typer.Option(help="Display name (default: the key).")] = None,
    as_json: JsonOption = False,
) -> None:
    """A new company with its default lists (`bootstrap` also adds units and credentials)."""
    from optledger.core.use_cases import companies
    from optledger.dialects.manage.wire import CompanyDto

    created = run_operation(
        lambda database: companies.add_company(database, key, name, actor=command_line_actor())
    )
    if as_json:
        print_json(CompanyDto.of(created))
        return
    _table([created])
