"""`optledger lists`: a company's subscription lists, as the management API has them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

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

if TYPE_CHECKING:
    from optledger.core.use_cases.lists import ListRow

lists_app = typer.Typer(help="Subscription lists.", no_args_is_help=True)
ListArgument = Annotated[int, typer.Argument(min=1, help="The list's id.")]


def _table(lists: list[ListRow]) -> None:
    table = Table("id", "name", "type", "channel", "default", "status", "description")
    for found in lists:
        table.add_row(
            str(found.id),
            found.name,
            found.type,
            found.channel,
            "yes" if found.is_default else "",
            found.status,
            found.description,
        )
    console.print(table)


def _print_one(found: ListRow, as_json: bool) -> None:
    from optledger.dialects.manage.wire import ListDto

    if as_json:
        print_json(ListDto.of(found))
        return
    _table([found])


@lists_app.command("list")
def list_lists(company: CompanyOption, as_json: JsonListOption = False) -> None:
    """The company's lists, the (type, channel) defaults and archived ones included."""
    from optledger.core.use_cases import lists
    from optledger.dialects.manage.wire import ListDto

    found = in_company(company, lists.list_lists)
    if as_json:
        print_json([ListDto.of(each) for each in found])
        return
    _table(found)


@lists_app.command("create")
def create(
    company: CompanyOption,
    name: Annotated[str, typer.Option(help="The list's name.")],
    sub_type: Annotated[SubscriptionType, typer.Option("--type", help="Subscription type.")],
    channel: Annotated[Channel, typer.Option(help="TEXT or EMAIL.")],
    description: Annotated[str, typer.Option(help="What the list is for.")] = "",
    as_json: JsonOption = False,
) -> None:
    """A new list of the company (never a (type, channel) default)."""
    from optledger.core.use_cases import lists

    added = in_company(
        company,
        lambda database, company_id: lists.add_list(
            database,
            company_id,
            name=name,
            sub_type=sub_type,
            channel=channel,
            description=description,
            actor=command_line_actor(),
        ),
    )
    _print_one(added, as_json)


@lists_app.command("update")
def update(
    list_id: ListArgument,
    company: CompanyOption,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    description: Annotated[str | None, typer.Option(help="A new description.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Rename a list or change its description."""
    from optledger.core.use_cases import lists

    changed = in_company(
        company,
        lambda database, company_id: lists.update_list(
            database,
            company_id,
            list_id,
            name=name,
            description=description,
            actor=command_line_actor(),
        ),
    )
    _print_one(changed, as_json)


@lists_app.command("archive")
def archive(list_id: ListArgument, company: CompanyOption, as_json: JsonOption = False) -> None:
    """Archive a list the company made (default lists stay); its records stay."""
    from optledger.core.use_cases import lists

    archived = in_company(
        company,
        lambda database, company_id: lists.archive(
            database, company_id, list_id, actor=command_line_actor()
        ),
    )
    _print_one(archived, as_json)
