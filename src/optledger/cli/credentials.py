"""`optledger credentials`: mint and revoke API keys, legacy tokens and Basic logins.

A new secret is shown once, here; only its hash is stored. A revoked credential
stops working at once in new processes and within the credential cache's time
(`OPTLEDGER_CREDENTIAL_CACHE_SECONDS`) in running ones. The management API's
credential routes and the console call the same use cases (`core.use_cases.credentials`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from optledger.cli.support import (
    JsonListOption,
    JsonOption,
    command_line_actor,
    console,
    in_company,
    print_json,
    run_operation,
)
from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.errors import InvalidInput

credentials_app = typer.Typer(
    help="API keys, legacy tokens and Basic logins.", no_args_is_help=True
)


@credentials_app.command("create")
def create_credential(
    company: Annotated[str, typer.Option(help="Company key.")],
    kind: Annotated[CredentialKind, typer.Option(help="Which dialects it opens.")],
    name: Annotated[
        str | None,
        typer.Option(help="A name to know it by; reusing one replaces it (default: its id)."),
    ] = None,
    scopes: Annotated[
        list[str] | None,
        typer.Option("--scope", help="API key scope (repeat; default: every scope)."),
    ] = None,
    rate_limit: Annotated[
        int | None,
        typer.Option(min=1, help="Requests per second (default: OPTLEDGER_DEFAULT_RATE_LIMIT)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Mint a credential for a company and print its secret, once."""
    from optledger.core.company_credentials import granted_scopes
    from optledger.core.use_cases import credentials
    from optledger.settings import get_settings

    try:
        granted_scopes(kind, scopes or None)
    except InvalidInput as exc:
        raise typer.BadParameter(exc.message, param_hint="--scope") from None

    minted, _ = in_company(
        company,
        lambda database, company_id: credentials.mint_credential(
            database,
            company_id,
            kind,
            name=name,
            scopes=scopes or None,
            rate_limit=rate_limit,
            actor=command_line_actor(),
        ),
    )
    shown = {"id": str(minted.id), **minted.shown}
    limit = rate_limit or get_settings().default_rate_limit
    if as_json:
        print_json(
            {
                "kind": kind.value,
                "name": minted.name,
                **shown,
                "scopes": minted.scopes,
                "rate_limit": limit,
            }
        )
        return
    for label, value in shown.items():
        console.print(f"{label}: {value}")
    console.print(f"rate limit: {limit}/s")
    console.print("[yellow]the secret is not shown again[/yellow]")


@credentials_app.command("list")
def list_credentials(
    company: Annotated[str, typer.Option(help="Company key.")],
    revoked: Annotated[bool, typer.Option(help="Include revoked credentials.")] = False,
    as_json: JsonListOption = False,
) -> None:
    """A company's credentials (never their secrets)."""
    from optledger.core.use_cases import credentials
    from optledger.settings import get_settings

    listed = in_company(
        company,
        lambda database, company_id: credentials.list_credentials(
            database, company_id, with_revoked=revoked
        ),
    )
    default = get_settings().default_rate_limit
    if as_json:
        print_json([asdict(item) | {"rate_limit": item.rate_limit or default} for item in listed])
        return
    table = Table("id", "kind", "name", "lookup id", "scopes", "rate limit", "created", "revoked")
    for item in listed:
        table.add_row(
            str(item.id),
            item.kind,
            item.name,
            item.lookup_id,
            ", ".join(item.scopes) or "-",
            f"{item.rate_limit or default}/s",
            item.created_at.isoformat(timespec="seconds"),
            item.revoked_at.isoformat(timespec="seconds") if item.revoked_at else "",
        )
    console.print(table)


@credentials_app.command("revoke")
def revoke(
    credential: Annotated[
        str, typer.Argument(help="Its id, or its lookup id (the token before the dot).")
    ],
    company: Annotated[
        str | None, typer.Option(help="Company key: revoke only a credential of this company.")
    ] = None,
) -> None:
    """Revoke a credential; running servers refuse it within the credential cache time."""
    from optledger.core.use_cases import credentials

    if company is None:
        run_operation(
            lambda database: credentials.revoke_any_credential(
                database, credential, actor=command_line_actor()
            )
        )
    else:
        in_company(
            company,
            lambda database, company_id: credentials.revoke_credential(
                database, company_id, credential, actor=command_line_actor()
            ),
        )
    console.print(f"[green]{credential} revoked[/green]")
