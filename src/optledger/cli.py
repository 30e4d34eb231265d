"""The `optledger` command: serve, migrate, bootstrap, worker, messages, templates."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Annotated

import prometheus_client
import typer
import uvicorn
from rich.table import Table

from optledger.bootstrap import BootstrapResult, bootstrap_company
from optledger.cli_attributes import attributes_app
from optledger.cli_audience import audience_app
from optledger.cli_companies import companies_app, list_templates
from optledger.cli_credentials import credentials_app
from optledger.cli_export import export_ledger
from optledger.cli_import import import_list
from optledger.cli_lists import lists_app
from optledger.cli_operators import operator_app
from optledger.cli_support import JsonOption, console, in_transaction, open_database, print_json
from optledger.cli_units import units_app
from optledger.cli_webhooks import webhooks_app
from optledger.core.companies import get_company_by_key
from optledger.core.company_settings import TWILIO_AUTH_TOKEN, set_company_setting
from optledger.core.errors import OptledgerError
from optledger.core.message_log import messages_to
from optledger.core.templates import MessageKind, set_company_template
from optledger.observability.logs import LogFormat, configure_logging, logging_config
from optledger.observability.metrics import multiprocess_metrics
from optledger.settings import get_settings
from optledger.storage.database import Database
from optledger.storage.migrate import upgrade_database
from optledger.storage.repositories.deliveries import LoggedMessage
from optledger.storage.repositories.server_secrets import shared_secret
from optledger.storage.sql import Connection

app = typer.Typer(
    help="optledger: subscription and consent ledger.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
templates_app = typer.Typer(help="Message texts per company and locale.", no_args_is_help=True)
twilio_app = typer.Typer(help="Twilio settings of a company.", no_args_is_help=True)
app.add_typer(templates_app, name="templates")
app.add_typer(twilio_app, name="twilio")
app.add_typer(attributes_app, name="attributes")
app.add_typer(audience_app, name="audience")
app.add_typer(credentials_app, name="credentials")
app.add_typer(webhooks_app, name="webhooks")
app.command("import")(import_list)
app.command("export")(export_ledger)
app.add_typer(operator_app, name="operator")
app.add_typer(companies_app, name="companies")
app.add_typer(units_app, name="units")
app.add_typer(lists_app, name="lists")
templates_app.command("list")(list_templates)


LogFormatOption = Annotated[
    LogFormat | None,
    typer.Option(help="text, or json: one object a line [env: OPTLEDGER_LOG_FORMAT]."),
]


def _log_format(chosen: LogFormat | None) -> LogFormat:
    """The chosen format, also for processes this one starts (they read the setting)."""
    log_format = chosen or get_settings().log_format
    os.environ["OPTLEDGER_LOG_FORMAT"] = log_format
    return log_format


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Server processes: PostgreSQL defaults to one per core, SQLite takes one.",
        ),
    ] = None,
    log_format: LogFormatOption = None,
) -> None:
    """Run the API server (migrations apply themselves on the embedded default)."""
    settings = get_settings()
    # Uvicorn applies it to every server process it starts.
    logs = logging_config(settings.log_level, _log_format(log_format))
    if workers is None:
        # One writer at a time is SQLite's nature; PostgreSQL uses every core.
        workers = 1 if settings.is_sqlite else (os.cpu_count() or 1)
    if workers > 1 and settings.is_sqlite:
        raise typer.BadParameter("several server processes need PostgreSQL", param_hint="--workers")
    # Each process then enforces its share of every credential's rate limit.
    os.environ["OPTLEDGER_SERVER_PROCESSES"] = str(workers)
    with multiprocess_metrics(workers):
        uvicorn.run(
            "optledger.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=logs,
            log_level=settings.log_level.lower(),
            # One line per request comes from the app, with no path or query in it.
            access_log=False,
            # SIGTERM: stop accepting, let requests in flight finish for this long.
            timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
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
    as_json: JsonOption = False,
) -> None:
    """Create (or find again) a company with its lists, API units and credentials."""
    settings = get_settings()

    async def run() -> BootstrapResult:
        await upgrade_database(settings.resolved_database_url)
        database = Database(settings.resolved_database_url)
        try:

            async def apply(connection: Connection) -> BootstrapResult:
                secret = settings.secret_key or (
                    # The data folder sits beside the embedded database; PostgreSQL is
                    # shared by many hosts, so its secret lives in it.
                    settings.resolved_secret_key()
                    if settings.is_sqlite
                    else await shared_secret(connection, "bootstrap")
                )
                return await bootstrap_company(connection, company, server_secret=secret, name=name)

            return await database.run(apply)
        finally:
            await database.dispose()

    try:
        data = _bootstrap_json(asyncio.run(run()))
    except OptledgerError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from None
    if as_json:
        print_json(data)
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


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Delivery loops in this process.")] = 1,
    log_format: LogFormatOption = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve this worker's /metrics on 127.0.0.1:PORT.")
    ] = None,
) -> None:
    """Deliver the outbox until SIGTERM or Ctrl-C; run several on PostgreSQL as needed."""
    # Imported here: the HTTP clients they load cost every other command's start time.
    from optledger.delivery.transports.configured import configured_transports
    from optledger.delivery.worker import DeliveryPolicy, configured_webhooks, run_workers

    settings = get_settings()
    configure_logging(settings.log_level, _log_format(log_format))
    if metrics_port is not None:
        prometheus_client.start_http_server(metrics_port, addr="127.0.0.1")

    async def run() -> None:
        # One connection per message loop; the webhook loop claims while its earlier
        # batches record; heartbeats and sweeps need one now and then.
        database = await open_database(pool_size=concurrency + 4)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            async with (
                configured_transports(settings) as transports,
                configured_webhooks(settings) as webhooks,
            ):
                policy = DeliveryPolicy.from_settings(settings)
                await run_workers(database, transports, stop, policy, concurrency, webhooks)
        finally:
            await database.dispose()

    # uvloop where installed (it comes with uvicorn's standard extras): sends cost less.
    try:
        import uvloop
    except ImportError:
        asyncio.run(run())
    else:
        uvloop.run(run())


@app.command()
def messages(
    to: Annotated[str, typer.Option(help="Phone (E.164) or email address.")],
    company: Annotated[str | None, typer.Option(help="Only this company's messages.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
) -> None:
    """Show what was queued and sent to a number or address, newest first."""

    async def query(connection: Connection) -> list[LoggedMessage]:
        company_id = (await get_company_by_key(connection, company)).id if company else None
        return await messages_to(connection, company_id, to, limit=limit)

    found = in_transaction(query)
    table = Table("id", "company", "created", "kind", "status", "attempts", "provider id", "body")
    table.columns[2].no_wrap = True
    for message in found:
        error = f" ({message.last_error})" if message.last_error else ""
        table.add_row(
            str(message.id),
            message.company_key,
            f"{message.created_at:%Y-%m-%d %H:%M:%S}",
            message.kind,
            message.status + error,
            str(message.attempts),
            message.provider_id or "",
            message.body if len(message.body) <= 60 else message.body[:59] + "…",
        )
    console.print(table if found else f"nothing was sent to {to}")


@templates_app.command("set")
def set_template(
    company: Annotated[str, typer.Option(help="Company key.")],
    locale: Annotated[str, typer.Option(help="e.g. en-US or fr-CA.")],
    kind: Annotated[MessageKind, typer.Option(help="Which message.")],
    text: Annotated[
        str | None, typer.Argument(help="Placeholders: {company}, {disclosure}.")
    ] = None,
    reset: Annotated[bool, typer.Option(help="Go back to the built-in text.")] = False,
) -> None:
    """Override one message text for a company and locale."""
    if (text is None) != reset:
        raise typer.BadParameter("give a text, or --reset")

    async def apply(connection: Connection) -> None:
        found = await get_company_by_key(connection, company)
        await set_company_template(connection, found, locale, kind, None if reset else text)

    in_transaction(apply)
    console.print(f"[green]{kind} for {company} in {locale} updated[/green]")


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
