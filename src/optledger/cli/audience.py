"""`optledger audience filter`: keep only the contacts that may be messaged now.

Streams any size of file in fixed-size chunks (one query per chunk), so memory
stays flat; what is eligible goes to stdout or `--output`, progress and the
summary to stderr, so the output can be piped straight into a send.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, BinaryIO, TextIO

import typer
from rich.console import Console

from optledger.cli.support import ReadUrlOption, open_database
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.errors import OptledgerError

CHUNK = 1000

audience_app = typer.Typer(help="Audiences: who may be messaged now.", no_args_is_help=True)
err = Console(stderr=True)


@dataclass
class Tally:
    """What a filter run saw."""

    read: int = 0
    invalid: int = 0
    eligible: int = 0


def _cells(handle: TextIO, column: str | None) -> Iterator[str]:
    if column is None:
        for line in handle:
            if line.strip():
                yield line
        return
    reader = csv.DictReader(handle)
    if reader.fieldnames is None or column not in reader.fieldnames:
        raise typer.BadParameter(f"the file has no column {column!r}", param_hint="--column")
    for row in reader:
        yield row[column] or ""


def _chunks(cells: Iterator[str], tally: Tally) -> Iterator[list[str]]:
    from optledger.core.contact_points import parse_contact_value

    chunk: list[str] = []
    for cell in cells:
        tally.read += 1
        try:
            chunk.append(parse_contact_value(cell))
        except OptledgerError:
            tally.invalid += 1
            continue
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def _filter(
    raw: BinaryIO,
    size: int,
    company: str,
    sub_type: SubscriptionType,
    channel: Channel | None,
    column: str | None,
    out: TextIO,
    read_url: str | None,
) -> Tally:
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from optledger.core.use_cases import audiences

    database = await open_database(read_url=read_url, pool_size=2)
    tally = Tally()
    try:
        progress = Progress(
            TextColumn("filtering"),
            BarColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        handle = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        chunks = _chunks(_cells(handle, column), tally)
        with progress:
            task = progress.add_task("filter", total=size)
            async with contextlib.aclosing(
                audiences.eligible_in_chunks(database, company, chunks, sub_type, channel)
            ) as answers:
                async for kept in answers:
                    tally.eligible += len(kept)
                    if kept:
                        out.write("\n".join(kept) + "\n")
                    progress.update(task, completed=raw.tell())
    finally:
        await database.dispose()
    return tally


@audience_app.command("filter")
def filter_audience(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="One contact a line.")],
    company: Annotated[str, typer.Option(help="Company key.")],
    sub_type: Annotated[
        SubscriptionType, typer.Option("--type", help="Subscription type to check.")
    ] = SubscriptionType.MARKETING,
    channel: Annotated[
        Channel | None, typer.Option(help="Only phones (TEXT) or only emails (EMAIL).")
    ] = None,
    column: Annotated[
        str | None, typer.Option(help="Read this column of a CSV file with a header row.")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
    read_url: ReadUrlOption = None,
) -> None:
    """Write the phones and emails of FILE that may receive the type now, normalised.

    Lines that are neither a phone number nor an email are skipped and counted.
    """
    size = file.stat().st_size
    try:
        with contextlib.ExitStack() as files:
            raw = files.enter_context(file.open("rb"))
            out = sys.stdout if output is None else files.enter_context(output.open("w"))
            tally = asyncio.run(
                _filter(raw, size, company, sub_type, channel, column, out, read_url)
            )
    except OptledgerError as exc:
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    err.print(
        f"read {tally.read:,}, eligible {tally.eligible:,}, "
        f"not eligible {tally.read - tally.invalid - tally.eligible:,}, "
        f"skipped as invalid {tally.invalid:,}"
    )
