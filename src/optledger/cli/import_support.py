"""What `optledger import` keeps while it runs: the tally, the error report, and the
pipeline that keeps batches in the database while the next is read."""

from __future__ import annotations

import asyncio
import collections
import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from optledger.core.import_files import REPORT_COLUMNS
from optledger.core.import_rows import ImportRow, Refusal
from optledger.core.imports import BatchOutcome, ImportTarget
from optledger.core.spreadsheets import SpreadsheetWriter
from optledger.core.use_cases import imports
from optledger.storage.database import Database


@dataclass
class Tally:
    """What an import run did, row by row."""

    rows: int = 0
    # Rows whose batch is committed (or refused before reaching the database).
    done: int = 0
    imported: int = 0
    present: int = 0
    refused: int = 0
    records: int = 0
    people: int = 0
    # From the first row read to the last batch committed.
    seconds: float = 0.0

    def add(self, outcome: BatchOutcome) -> None:
        """Count one batch's outcome."""
        self.imported += outcome.imported
        self.present += outcome.present
        self.records += outcome.records
        self.people += outcome.people


class ErrorReport:
    """`NAME.errors.csv` beside the input, written as refusals come, in line order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: TextIO | None = None
        self._writer: SpreadsheetWriter | None = None

    def write(self, refusals: list[Refusal]) -> None:
        """Append refusals (opened on the first)."""
        if not refusals:
            return
        if self._writer is None:
            self._handle = self.path.open("w", newline="", encoding="utf-8")
            # The values are the file's own: a formula in one must not run in a spreadsheet.
            self._writer = SpreadsheetWriter(self._handle)
            self._writer.writerow(REPORT_COLUMNS)
        self._writer.writerows(sorted(refusals))

    def close(self) -> None:
        """Close the file; a report left by an earlier run that refused nothing goes."""
        if self._handle is not None:
            self._handle.close()
        else:
            self.path.unlink(missing_ok=True)


def errors_path(file: Path) -> Path:
    """`list.csv` -> `list.errors.csv`, beside it."""
    return file.with_name(f"{file.stem}.errors.csv")


class ImportPipeline:
    """Batches in the database (up to `depth` at once, each on its own connection)
    while the next one is read and checked; outcomes are counted in file order.

    Batches that meet over an identifier or a contact point serialize on the unique
    indexes: the loser's unit of work is replayed and sees the winner's rows.
    """

    def __init__(
        self,
        database: Database,
        target: ImportTarget,
        tally: Tally,
        report: ErrorReport,
        depth: int,
    ) -> None:
        self.database = database
        self.target = target
        self.tally = tally
        self.report = report
        self.depth = depth
        self.in_flight: collections.deque[tuple[asyncio.Task[BatchOutcome], list[Refusal]]] = (
            collections.deque()
        )

    async def submit(self, rows: list[ImportRow], refused: list[Refusal]) -> None:
        """Send a batch, first waiting for the oldest when `depth` are in flight (rows
        refused before the database are reported with their batch, in line order)."""
        if len(self.in_flight) >= self.depth:
            await self._finish_oldest()
        self.tally.rows += len(rows) + len(refused)
        batch = imports.import_rows(self.database, self.target, rows)
        self.in_flight.append((asyncio.create_task(batch), refused))

    async def drain(self) -> None:
        """Wait for every batch in flight and count them."""
        while self.in_flight:
            await self._finish_oldest()

    async def _finish_oldest(self) -> None:
        task, refused = self.in_flight[0]
        # Shielded: an interrupt (cancelling this coroutine) must not cancel the batch.
        outcome = await asyncio.shield(task)
        self.in_flight.popleft()
        self.tally.add(outcome)
        self.tally.refused += len(outcome.refused) + len(refused)
        self.tally.done += outcome.rows + len(refused)
        self.report.write(outcome.refused + refused)

    async def settle(self) -> None:
        """Let the batches in flight end (interrupted, or one failed): each commits or
        rolls back on its own, and what committed is counted. Never cancelled: SQLite
        commits in a thread, and a connection closed under it crashes the process."""
        while self.in_flight:
            with contextlib.suppress(Exception):
                await self._finish_oldest()
                continue
            self.in_flight.popleft()
