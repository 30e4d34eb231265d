"""`optledger export`: the consent ledger, for an auditor, as CSV or JSON lines.

Streams from one read-only snapshot (see `core.exports`) to stdout or `--output`,
so it can be piped and holds one page in memory whatever the ledger's size; the
count goes to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console

from optledger.cli.support import ReadUrlOption, command_line_actor, open_database
from optledger.core.errors import OptledgerError
from optledger.core.export_formats import CHECKPOINT, EVENT, RECORD, ExportFormat, ExportWriter

err = Console(stderr=True)


async def _export(
    company: str | None,
    since: str | None,
    export_format: ExportFormat,
    out: TextIO,
    read_url: str | None,
) -> tuple[int, int]:
    from optledger.core.exports import parse_since
    from optledger.core.use_cases import exports

    moment = parse_since(since) if since is not None else None
    database = await open_database(read_url=read_url, pool_size=1)
    counts = {RECORD: 0, EVENT: 0, CHECKPOINT: 0}
    try:
        writer = ExportWriter(export_format)
        out.write(writer.header())
        # Closed here, on an error too, so the snapshot ends before the pool closes.
        async with contextlib.aclosing(
            exports.ledger_entries(database, company, moment, actor=command_line_actor())
        ) as entries:
            async for item in entries:
                counts[item["kind"]] += 1
                out.write(writer.line(item))
    finally:
        await database.dispose()
    return counts[RECORD], counts[EVENT]


def export_ledger(
    company: Annotated[str | None, typer.Option(help="Only this company (default: all).")] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only records changed and events since this ISO-8601 date or time."),
    ] = None,
    export_format: Annotated[
        ExportFormat, typer.Option("--format", help="csv (one table) or jsonl.")
    ] = ExportFormat.CSV,
    output: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
    read_url: ReadUrlOption = None,
) -> None:
    """Export the consent ledger: every subscription record with its evidence, then
    every event with its ledger leaf hash, then each company's latest signed tree head
    (kind `record`, `event` or `checkpoint` on each line)."""
    try:
        with contextlib.ExitStack() as files:
            out = (
                sys.stdout
                if output is None
                else files.enter_context(output.open("w", newline="", encoding="utf-8"))
            )
            records, events = asyncio.run(_export(company, since, export_format, out, read_url))
    except OptledgerError as exc:
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    except BrokenPipeError:
        # The reader stopped early (`| head`): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None
    err.print(f"exported {records:,} records and {events:,} events")
