"""`optledger companies`: the companies (tenants) of the installation."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from optledger.cli.support import JsonListOption, JsonOption, console, in_transaction, print_json
from optledger.core.companies import create_company
from optledger.dialects.manage.wire import CompanyDto
from optledger.storage.repositories.companies import CompanyRow, companies_page
from optledger.storage.sql import Connection

companies_app = typer.Typer(help="Companies (tenants).", no_args_is_help=True)
PAGE = 1000


def _table(companies: list[CompanyRow]) -> None:
    table = Table("key", "name", "default locale")
    for company in companies:
        table.add_row(company.key, company.name, company.default_locale)
    console.print(table)


@companies_app.command("list")
def list_companies(as_json: JsonListOption = False) -> None:
    """Every company, by key."""

    async def read(connection: Connection) -> list[CompanyRow]:
        found: list[CompanyRow] = []
        while page := await companies_page(
            connection, after=found[-1].key if found else "", limit=PAGE
        ):
            found += page
        return found

    found = in_transaction(read)
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

    async def apply(connection: Connection) -> CompanyRow:
        return await create_company(connection, key, name)

    created = in_transaction(apply)
    if as_json:
        print_json(CompanyDto.of(created))
        return
    _table([created])
