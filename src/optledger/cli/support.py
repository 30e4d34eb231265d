"""What the `optledger` commands share: the database, a use case run on it, JSON out."""

from __future__ import annotations

import asyncio
import getpass
import json
import os
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from optledger.core.errors import OptledgerError

if TYPE_CHECKING:
    from optledger.core.audit import Actor
    from optledger.storage.database import Database

# Every run of `optledger` builds the whole command tree, `--help` included: the
# modules under cli/ import the database stack, settings and the use cases only in
# the functions that need them, so that start-up stays short.

T = TypeVar("T")
console = Console(soft_wrap=True)

ReadUrlOption = Annotated[
    str | None,
    typer.Option(
        "--read-url",
        help="Read from this PostgreSQL URL (standbys; default OPTLEDGER_READ_DATABASE_URL); "
        "the primary if it fails.",
    ),
]


async def open_database(pool_size: int = 20, read_url: str | None = None) -> Database:
    """The configured database, the embedded SQLite one brought up to date first (as
    `serve` does); reads that may use a standby go to `read_url`, else to
    `OPTLEDGER_READ_DATABASE_URL` when it is set."""
    from optledger.settings import get_settings
    from optledger.storage.database import Database
    from optledger.storage.migrate import upgrade_database

    settings = get_settings()
    if settings.is_sqlite:
        await upgrade_database(settings.resolved_database_url)
    return Database(
        settings.resolved_database_url,
        pool_size=pool_size,
        read_url=read_url or settings.read_database_url,
    )


def command_line_actor() -> Actor:
    """Who acts from the command line, for the audit trail: it runs with the database's
    own access and no operator sign-in, so the OS user it runs as (`cli:<user>`)."""
    from optledger.core.audit import cli_actor

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        # No name for this uid (a container's): the uid is still someone.
        user = f"uid-{os.getuid()}"
    return cli_actor(user)


CompanyOption = Annotated[str, typer.Option(help="Company key.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
JsonListOption = Annotated[bool, typer.Option("--json", help="Print one JSON array.")]


def _json_value(value: Any) -> Any:
    """ISO 8601 for times, the API's objects for wire models, for `json.dumps`."""
    from pydantic import BaseModel

    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def print_json(document: Any) -> None:
    """One JSON document on stdout: a listing is one array, so that `jq` and
    `json.load` read it whole."""
    typer.echo(json.dumps(document, default=_json_value))


def run_operation(operation: Callable[[Database], Awaitable[T]]) -> T:
    """Run one core use case on the configured database; domain errors end the process."""

    async def run() -> T:
        database = await open_database()
        try:
            return await operation(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except OptledgerError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None


def in_company(company_key: str, operation: Callable[[Database, int], Awaitable[T]]) -> T:
    """Run one core use case for the company keyed `company_key` (given its id)."""

    from optledger.core.use_cases.companies import find_company

    async def run(database: Database) -> T:
        company = await find_company(database, company_key)
        return await operation(database, company.id)

    return run_operation(run)
