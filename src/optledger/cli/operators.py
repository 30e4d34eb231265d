"""`optledger operator`: the people who run the installation, and their API tokens.

Operators are not companies' credentials: each has a password (for the console)
and tokens for `/manage/v1/`. A generated password and a new token are printed
once; only hashes are stored.
"""

from __future__ import annotations

import sys
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
from optledger.core.errors import OptledgerError

if TYPE_CHECKING:
    from optledger.core.operators.accounts import OperatorView

operator_app = typer.Typer(
    help="Operators: people with management API tokens.", no_args_is_help=True
)

NameArgument = Annotated[str, typer.Argument(help="The operator's name.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]
Companies = Annotated[
    list[str] | None,
    typer.Option("--company", help="A company key they may see (repeat); none: every company."),
]


def _password(from_stdin: bool) -> tuple[str, bool]:
    """The password to set, and whether it was generated (and must be shown)."""
    from optledger.core.auth.passwords import generate_password

    if not from_stdin:
        return generate_password(), True
    password = sys.stdin.readline().rstrip("\r\n")
    return password, False


def _hashed(password: str) -> str:
    from optledger.core.operators.accounts import new_password_hash

    try:
        return new_password_hash(password)
    except OptledgerError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None


def _sees(view: OperatorView) -> str:
    return "every company" if view.all_companies else ", ".join(view.company_keys) or "none"


@operator_app.command("add")
def add(
    name: NameArgument,
    password_stdin: PasswordStdin = False,
    companies: Companies = None,
) -> None:
    """Add an operator; without --password-stdin a password is generated and printed once."""
    from optledger.core.use_cases import operators

    password, generated = _password(password_stdin)
    password_hash = _hashed(password)

    added = run_operation(
        lambda database: operators.add_operator(
            database, name, password_hash, companies or None, actor=command_line_actor()
        )
    ).name
    sees = ", ".join(companies) if companies else "every company"
    console.print(f"[green]operator {added} added[/green] (sees {sees})")
    if generated:
        console.print(f"password: {password}")
        console.print("[yellow]the password is not shown again[/yellow]")


@operator_app.command("list")
def list_all(as_json: JsonListOption = False) -> None:
    """Every operator and the companies they see (never a password)."""
    from optledger.core.use_cases import operators

    found = run_operation(operators.list_operators)
    if as_json:
        print_json(
            [
                {
                    "name": view.name,
                    "all_companies": view.all_companies,
                    "companies": view.company_keys,
                    "created_at": view.created_at,
                    "password_changed_at": view.password_changed_at,
                }
                for view in found
            ]
        )
        return
    table = Table("name", "sees", "added", "password changed")
    for view in found:
        table.add_row(
            view.name,
            _sees(view),
            view.created_at.isoformat(timespec="seconds"),
            view.password_changed_at.isoformat(timespec="seconds"),
        )
    console.print(table)


@operator_app.command("remove")
def remove(name: NameArgument) -> None:
    """Remove an operator and their tokens."""
    from optledger.core.use_cases import operators

    run_operation(
        lambda database: operators.remove_operator(database, name, actor=command_line_actor())
    )
    console.print(f"[green]operator {name} removed[/green]")


@operator_app.command("reset-password")
def reset_password(name: NameArgument, password_stdin: PasswordStdin = False) -> None:
    """Give an operator a new password; without --password-stdin one is generated."""
    from optledger.core.use_cases import operators

    password, generated = _password(password_stdin)
    password_hash = _hashed(password)
    run_operation(
        lambda database: operators.change_password(
            database, name, password_hash, actor=command_line_actor()
        )
    )
    console.print(f"[green]password of {name} changed[/green]")
    if generated:
        console.print(f"password: {password}")
        console.print("[yellow]the password is not shown again[/yellow]")


@operator_app.command("access")
def access(
    name: NameArgument,
    companies: Companies = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every company, present and future.")
    ] = False,
) -> None:
    """Set which companies an operator sees: the --company keys given, or --all."""
    from optledger.core.use_cases import operators

    if every == bool(companies):
        raise typer.BadParameter("give --company keys, or --all")
    keys = None if every else companies
    run_operation(
        lambda database: operators.set_operator_companies(
            database, name, keys, actor=command_line_actor()
        )
    )
    console.print(f"[green]{name} now sees {', '.join(keys) if keys else 'every company'}[/green]")


@operator_app.command("token")
def token(
    name: NameArgument,
    token_name: Annotated[
        str | None, typer.Option("--name", help="A name to know it by (default: its id).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Mint a management API token for an operator; it is printed once."""
    from optledger.core.use_cases import operators

    issued = run_operation(
        lambda database: operators.issue_token(
            database, name, token_name, actor=command_line_actor()
        )
    )
    if as_json:
        print_json(
            {
                "id": str(issued.id),
                "name": issued.name,
                "lookup_id": issued.lookup_id,
                "token": issued.token,
            }
        )
        return
    console.print(f"token (Authorization: Bearer …): {issued.token}")
    console.print("[yellow]the token is not shown again[/yellow]")


@operator_app.command("tokens")
def tokens(name: NameArgument, as_json: JsonListOption = False) -> None:
    """An operator's tokens, revoked ones included (never their secrets)."""
    from optledger.core.use_cases import operators

    found = run_operation(lambda database: operators.list_tokens(database, name))
    if as_json:
        print_json([{**item.__dict__, "id": str(item.id)} for item in found])
        return
    table = Table("id", "name", "lookup id", "created", "revoked")
    for item in found:
        table.add_row(
            str(item.id),
            item.name,
            item.lookup_id,
            item.created_at.isoformat(timespec="seconds"),
            item.revoked_at.isoformat(timespec="seconds") if item.revoked_at else "",
        )
    console.print(table)


@operator_app.command("revoke-token")
def revoke_token(
    token_id: Annotated[str, typer.Argument(help="Its id, or its lookup id (before the dot).")],
) -> None:
    """Revoke a token; running servers refuse it within the credential cache time."""
    from optledger.core.use_cases import operators

    run_operation(
        lambda database: operators.revoke_token(database, token_id, actor=command_line_actor())
    )
    console.print(f"[green]{token_id} revoked[/green]")
