"""`optledger twilio`: a company's Twilio settings."""

from __future__ import annotations

from typing import Annotated

import typer

from optledger.cli.support import console, in_transaction
from optledger.core.companies import get_company_by_key
from optledger.core.company_settings import TWILIO_AUTH_TOKEN, set_company_setting
from optledger.storage.sql import Connection

twilio_app = typer.Typer(help="Twilio settings of a company.", no_args_is_help=True)


@twilio_app.command("set-token")
def set_twilio_token(
    company: Annotated[str, typer.Option(help="Company key.")],
    auth_token: Annotated[str, typer.Argument(help="The Twilio auth token that signs posts.")],
) -> None:
    """Keep the auth token that inbound Twilio posts for this company are signed with."""

    async def apply(connection: Connection) -> None:
        found = await get_company_by_key(connection, company)
        await set_company_setting(
            connection, found.id, found.settings, TWILIO_AUTH_TOKEN, auth_token.strip() or None
        )

    in_transaction(apply)
    console.print(f"[green]Twilio auth token of {company} updated[/green]")
