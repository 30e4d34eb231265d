"""`optledger credentials`: mint and revoke API keys, legacy tokens and Basic logins.

A new secret is shown once, here; only its hash is stored. A revoked credential
stops working at once in new processes and within the credential cache's time
(`OPTLEDGER_CREDENTIAL_CACHE_SECONDS`) in running ones.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from optledger.auth.credentials import (
    CredentialKind,
    IssuedCredential,
    new_secret_pair,
    store_credential,
)
from optledger.auth.scopes import ALL_SCOPES
from optledger.cli_support import console, in_transaction
from optledger.core.companies import get_company_by_key
from optledger.core.errors import NotFound
from optledger.storage.repositories.credentials import revoke_credential
from optledger.storage.sql import Connection
from optledger.storage.types import utcnow

credentials_app = typer.Typer(
    help="API keys, legacy tokens and Basic logins.", no_args_is_help=True
)


@credentials_app.command("create")
def create_credential(
    company: Annotated[str, typer.Option(help="Company key.")],
    kind: Annotated[CredentialKind, typer.Option(help="Which dialects it opens.")],
    name: Annotated[str, typer.Option(help="A name to know it by; reusing one replaces it.")],
    scopes: Annotated[
        list[str] | None,
        typer.Option("--scope", help="API key scope (repeat; default: every scope)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Mint a credential for a company and print its secret, once."""
    unknown = sorted(set(scopes or []) - set(ALL_SCOPES))
    if unknown:
        raise typer.BadParameter(f"unknown scopes {unknown}", param_hint="--scope")
    granted = (scopes or list(ALL_SCOPES)) if kind == CredentialKind.API_KEY else []
    issued = new_secret_pair(kind)

    async def store(connection: Connection) -> None:
        found = await get_company_by_key(connection, company)
        await store_credential(connection, found.id, issued, name=name, scopes=granted)

    in_transaction(store)
    shown = _shown(issued)
    if as_json:
        typer.echo(json.dumps({"kind": kind.value, "name": name, **shown, "scopes": granted}))
        return
    for label, value in shown.items():
        console.print(f"{label}: {value}")
    console.print("[yellow]the secret is not shown again[/yellow]")


def _shown(issued: IssuedCredential) -> dict[str, str]:
    if issued.kind == CredentialKind.BASIC:
        return {"username": issued.lookup_id, "password": issued.secret}
    return {"token": issued.token, "lookup_id": issued.lookup_id}


@credentials_app.command("revoke")
def revoke(
    lookup_id: Annotated[str, typer.Argument(help="The part of a token before the dot.")],
) -> None:
    """Revoke a credential by its lookup id (the token's prefix, or a Basic username)."""

    async def apply(connection: Connection) -> None:
        if not await revoke_credential(connection, lookup_id, utcnow()):
            raise NotFound(f"no live credential has the lookup id {lookup_id!r}")

    in_transaction(apply)
    console.print(f"[green]{lookup_id} revoked[/green]")
