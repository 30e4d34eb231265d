"""`optledger import`: bring a subscriber list, with its consent evidence, into the ledger.

The file streams through in batches (one transaction each, see `core.imports`), so
memory stays flat for any size; while the database writes a batch (a few at once on
PostgreSQL), the next is read and checked. Rows refused go to `NAME.errors.csv`
beside the file (line, value, reason, detail) as they come. Exit status: 0 when
every row went in (new or already present), 1 when some were refused, 2 when the
import could not run or stopped, 130 when interrupted; the batches written stay, so
running the same file again finishes the job.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer
from rich.console import Console

from optledger.cli.support import command_line_actor, console, open_database
from optledger.core.errors import OptledgerError

if TYPE_CHECKING:
    from rich.progress import Progress

    from optledger.cli.import_support import ErrorReport, Tally

err = Console(stderr=True)
# Batches in the database at once on PostgreSQL: each holds a backend busy.
DEFAULT_JOBS = 2


def _progress() -> Progress:
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("importing"),
        BarColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TextColumn("{task.fields[rate]:,.0f} rows/s"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


async def _import(
    raw: BinaryIO,
    file: Path,
    unit: str,
    company: str | None,
    attribute_columns: list[str],
    batch_size: int,
    jobs: int | None,
    report: ErrorReport,
    tally: Tally,
) -> None:
    from optledger.cli.import_support import ImportPipeline
    from optledger.core.import_files import checked_batches, csv_reader, file_records, read_columns
    from optledger.core.use_cases import imports
    from optledger.settings import get_settings

    # SQLite has one writer: a second batch would only wait for the first.
    depth = 1 if get_settings().is_sqlite else jobs or DEFAULT_JOBS
    database = await open_database(pool_size=depth + 1)
    started = time.perf_counter()
    pipeline: ImportPipeline | None = None
    try:
        target = await imports.start_import(
            database, unit, company, file.name, actor=command_line_actor()
        )
        size = raw.seek(0, io.SEEK_END)
        raw.seek(0)
        reader = csv_reader(raw)
        columns = read_columns(reader, attribute_columns)
        pipeline = ImportPipeline(database, target, tally, report, depth)
        started = time.perf_counter()
        with _progress() as progress:
            task = progress.add_task("import", total=size, rows=0, rate=0.0)
            records = file_records(reader)
            batches = checked_batches(records, columns, target.unit.country, batch_size)
            async for rows, refused in batches:
                await pipeline.submit(rows, refused)
                rate = tally.rows / max(time.perf_counter() - started, 1e-6)
                progress.update(task, completed=raw.tell(), rows=tally.rows, rate=rate)
            await pipeline.drain()
    finally:
        if pipeline is not None:
            await pipeline.settle()
        tally.seconds = time.perf_counter() - started
        await database.dispose()


def import_list(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A CSV file with a header row.")
    ],
    unit: Annotated[str, typer.Option(help="The sign-up unit the consent was collected for.")],
    company: Annotated[
        str | None, typer.Option(help="Company key (the unit must be this company's).")
    ] = None,
    attribute_columns: Annotated[
        list[str] | None,
        typer.Option(help="Columns to set as attributes (comma-separated, or repeat)."),
    ] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, max=20_000, help="Rows per transaction.")
    ] = 2000,
    jobs: Annotated[
        int | None,
        typer.Option(
            min=1, max=32, help="Batches written at once on PostgreSQL (default 2; SQLite: 1)."
        ),
    ] = None,
) -> None:
    """Import subscribers whose consent was collected elsewhere, as ACTIVE records.

    Columns: phone and/or email, opted_in_at (ISO-8601), optional client_user_id and
    source. No message is sent. Importing a file again changes nothing.
    """
    from optledger.cli.import_support import ErrorReport, Tally, errors_path
    from optledger.storage.database import DatabaseUnavailable

    attributes = [name.strip() for item in attribute_columns or [] for name in item.split(",")]
    report = ErrorReport(errors_path(file))
    tally = Tally()
    interrupted = False
    failure = None
    try:
        with file.open("rb") as raw:
            asyncio.run(
                _import(raw, file, unit, company, [a for a in attributes if a], batch_size,
                        jobs, report, tally)
            )  # fmt: skip
    except OptledgerError as exc:
        failure = exc.message
    except (UnicodeDecodeError, csv.Error) as exc:
        failure = f"{file} is not a UTF-8 CSV file: {exc}"
    except DatabaseUnavailable as exc:
        failure = f"the database is unreachable: {exc}"
    except KeyboardInterrupt:
        # Batches in flight were let finish; a rerun skips every row that went in.
        interrupted = True
    finally:
        report.close()
    if failure is not None and not tally.rows:
        console.print(f"[red]{failure}[/red]")
        raise typer.Exit(2)
    console.print(
        f"imported {tally.imported:,} rows, {tally.present:,} already present, "
        f"{tally.refused:,} refused; {tally.records:,} subscriptions and "
        f"{tally.people:,} people created"
    )
    console.print(
        f"{tally.done:,} rows in {tally.seconds:.1f} s "
        f"({tally.done / max(tally.seconds, 1e-6):,.0f} rows/s)"
    )
    if tally.refused:
        console.print(f"refused rows are listed in {report.path}")
    if interrupted:
        console.print("[yellow]interrupted: run the same file again to finish[/yellow]")
        raise typer.Exit(130)
    if failure is not None:
        console.print(f"[red]stopped: {failure}; run the same file again to finish[/red]")
        raise typer.Exit(2)
    if tally.refused:
        raise typer.Exit(1)
