"""The commands that run optledger: serve, migrate, bootstrap and worker."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from optledger.cli.support import JsonOption, command_line_actor, console, open_database, print_json
from optledger.core.errors import OptledgerError
from optledger.observability.log_formats import LogFormat

if TYPE_CHECKING:
    from optledger.core.use_cases.bootstrap import BootstrapResult

LogFormatOption = Annotated[
    LogFormat | None,
    typer.Option(help="text, or json: one object a line [env: OPTLEDGER_LOG_FORMAT]."),
]


def _log_format(chosen: LogFormat | None) -> LogFormat:
    """The chosen format, also for processes this one starts (they read the setting)."""
    from optledger.settings import get_settings

    log_format = chosen or get_settings().log_format
    os.environ["OPTLEDGER_LOG_FORMAT"] = log_format
    return log_format


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
    import uvicorn

    from optledger.observability.logs import logging_config
    from optledger.observability.metrics import multiprocess_metrics
    from optledger.settings import get_settings

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


def migrate() -> None:
    """Apply database migrations up to the latest."""
    from optledger.settings import get_settings
    from optledger.storage.migrate import upgrade_database

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


def bootstrap(
    company: Annotated[str, typer.Option(help="Company key (url-safe).")] = "demo",
    name: Annotated[str | None, typer.Option(help="Display name for a new company.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create (or find again) a company with its lists, API units and credentials."""
    from optledger.core.use_cases.bootstrap import set_up_company
    from optledger.settings import get_settings
    from optledger.storage.database import Database
    from optledger.storage.migrate import upgrade_database

    settings = get_settings()

    async def run() -> BootstrapResult:
        await upgrade_database(settings.resolved_database_url)
        database = Database(settings.resolved_database_url)
        try:
            return await set_up_company(
                database, settings, company, name=name, actor=command_line_actor()
            )
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


def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Delivery loops in this process.")] = 1,
    log_format: LogFormatOption = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve this worker's /metrics on 127.0.0.1:PORT.")
    ] = None,
) -> None:
    """Deliver the outbox until SIGTERM or Ctrl-C; run several on PostgreSQL as needed."""
    import prometheus_client

    from optledger.delivery.transports.configured import configured_transports
    from optledger.delivery.worker import DeliveryPolicy, configured_webhooks, run_workers
    from optledger.observability.logs import configure_logging
    from optledger.settings import get_settings

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
