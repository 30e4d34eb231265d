"""`optledger twilio`: a company's Twilio settings."""

from __future__ import annotations

from typing import Annotated

import typer

from optledger.cli.support import CompanyOption, command_line_actor, console, in_company

twilio_app = typer.Typer(help="Twilio settings of a company.", no_args_is_help=True)


@twilio_app.command("set-token")
def set_twilio_token(
    company: CompanyOption,
    auth_token: Annotated[str, typer.Argument(help="The Twilio auth token that signs posts.")],
) -> None:
    """Keep the auth token that inbound Twilio posts for this company are signed with."""
    from optledger.core.use_cases import company_settings

    in_company(
        company,
        lambda database, company_id: company_settings.set_twilio_auth_token(
            database, company_id, auth_token, actor=command_line_actor()
        ),
    )
    console.print(f"[green]Twilio auth token of {company} updated[/green]")
