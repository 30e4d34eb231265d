"""The `optledger` command: serve, migrate, bootstrap."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from optledger.bootstrap import BootstrapResult, bootstrap_company
from optledger.cli_attributes import attributes_app
from optledger.core.errors import OptledgerError
from optledger.settings import get_settings
from optledger.storage.database import Database
from optledger.storage.migrate import upgrade_database

app = typer.Typer(
    help="optledger: subscription and consent ledger.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(attributes_app, name="attributes")
console = Console(soft_wrap=True)


def _configure_logging() -> None:
    logging.basicConfig(
        level=get_settings().log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes (PostgreSQL only).")] = 1,
) -> None:
    """Run the API server (migrations apply themselves on the embedded default)."""
    _configure_logging()
    settings = get_settings()
    if workers > 1 and settings.is_sqlite:
        raise typer.BadParameter("several server processes need PostgreSQL", param_hint="--workers")
    uvicorn.run(
        "optledger.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


@app.command()
def migrate() -> None:
    """Apply database migrations up to the latest."""
    settings = get_settings()
    asyncio.run(upgrade_database(settings.resolved_database_url))
    console.print("[green]database is up to date[/green]")


def _bootstrap_json(result: BootstrapResult) -> dict[str, object]:
    return {
        "company_key": result.company.key,
        "api_key": result.api_key.token,
        "legacy_token": result.legacy_token.token,
        "basic_auth": {"username": result.basic.lookup_id, "password": result.basic.secret},
        "sign_up_units": [
            {
                "id": str(unit.id),
                "name": unit.name,
                "type": unit.subscription_type,
                "channels": unit.channels,
                "locale": {"language": unit.language, "country": unit.country},
            }
            for unit in result.units
        ],
    }


@app.command()
def bootstrap(
    company: Annotated[str, typer.Option(help="Company key (url-safe).")] = "demo",
    name: Annotated[str | None, typer.Option(help="Display name for a new company.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create (or find again) a company with its lists, API units and credentials."""
    settings = get_settings()

    async def run() -> BootstrapResult:
        await upgrade_database(settings.resolved_database_url)
        database = Database(settings.resolved_database_url)
        try:
            return await database.run(
                lambda session: bootstrap_company(
                    session, company, server_secret=settings.resolved_secret_key(), name=name
                )
            )
        finally:
            await database.dispose()

    try:
        data = _bootstrap_json(asyncio.run(run()))
    except OptledgerError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(data))
        return
    console.print(f"[bold]company[/bold] {data['company_key']}")
    console.print(f"[bold]API key[/bold] (Authorization: Bearer …) {data['api_key']}")
    console.print(f"[bold]legacy token[/bold] {data['legacy_token']}")
    basic = data["basic_auth"]
    assert isinstance(basic, dict)
    console.print(f"[bold]Basic auth[/bold] {basic['username']} / {basic['password']}")
    table = Table("id", "name", "type", "channels", "locale")
    for unit in data["sign_up_units"]:  # type: ignore[attr-defined]
        table.add_row(
            unit["id"],
            unit["name"],
            unit["type"],
            ", ".join(unit["channels"]),
            f"{unit['locale']['language']}-{unit['locale']['country']}",
        )
    console.print(table)
