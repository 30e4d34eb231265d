"""Reading an import's CSV file: its records, checked a batch at a time, and the report
of refused rows. `optledger import` and the console's import jobs read files this way.

Memory stays flat for any size: records stream from the file, and a field longer
than `READ_FIELD_LIMIT` is one unreadable record, not the file's end.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from optledger.core.errors import InvalidInput
from optledger.core.import_rows import (
    MAX_FIELD_LENGTH,
    Columns,
    ImportRow,
    Refusal,
    columns_of,
    parse_row,
    unreadable_row,
)
from optledger.core.spreadsheets import SpreadsheetWriter
from optledger.storage.clock import utcnow

if TYPE_CHECKING:
    from _csv import Reader

# Rows checked between two chances for other work on the event loop to move on.
SLICE = 200
# Fields the reader takes whole, to refuse their row when over `MAX_FIELD_LENGTH`: a
# field past even this is one unreadable record (the reader's own limit, bounded memory).
READ_FIELD_LIMIT = 64 * MAX_FIELD_LENGTH
# The columns of a report of refused rows (`NAME.errors.csv`, a job's `errors.csv`).
REPORT_COLUMNS = ("line", "value", "reason", "detail")


def csv_reader(raw: BinaryIO) -> Reader:
    """A CSV reader over a UTF-8 file (a byte order mark is skipped)."""
    csv.field_size_limit(READ_FIELD_LIMIT)
    return csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))


def read_columns(reader: Reader, attribute_columns: Sequence[str]) -> Columns:
    """The header row's columns; `InvalidInput` for an empty file or a header without
    the columns an import needs."""
    header = next(reader, None)
    if header is None:
        raise InvalidInput("the file is empty")
    return columns_of(header, attribute_columns)


def file_records(reader: Reader) -> Iterator[tuple[int, list[str] | Refusal]]:
    """Each non-blank record after the header with the line it starts on (quoted cells
    may span lines), or the refusal of one the reader could not read."""
    line = reader.line_num  # the header's
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The reader starts again on the next line: one record lost, not the file.
            start, line = line + 1, reader.line_num
            yield start, unreadable_row(start, str(exc))
            continue
        start, line = line + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield start, cells


def count_records(path: Path) -> int:
    """How many rows (non-blank records after the header) the file holds."""
    with path.open("rb") as raw:
        reader = csv_reader(raw)
        next(reader, None)
        return sum(1 for _ in file_records(reader))


async def checked_batches(
    records: Iterable[tuple[int, list[str] | Refusal]],
    columns: Columns,
    region: str,
    size: int,
    after_line: int = 0,
) -> AsyncIterator[tuple[list[ImportRow], list[Refusal]]]:
    """Checked rows and refusals, `size` records at a time (those up to `after_line`
    skipped: an import taken up again), yielding to the event loop every `SLICE` rows."""
    now = utcnow()
    rows: list[ImportRow] = []
    refused: list[Refusal] = []
    count = 0
    for line, cells in records:
        if line <= after_line:
            continue
        count += 1
        checked = (
            cells if isinstance(cells, Refusal) else parse_row(columns, cells, line, region, now)
        )
        if isinstance(checked, Refusal):
            refused.append(checked)
        else:
            rows.append(checked)
        if count % size == 0:
            yield rows, refused
            rows, refused = [], []
        elif count % SLICE == 0:
            await asyncio.sleep(0)
    if rows or refused:
        yield rows, refused


def report_text(refusals: Iterable[Refusal], *, header: bool = False) -> str:
    """Refused rows as lines of a report (after its header row, with `header`); the
    values are the file's own, so a formula in one is written not to run."""
    out = io.StringIO()
    writer = SpreadsheetWriter(out)
    if header:
        writer.writerow(REPORT_COLUMNS)
    writer.writerows(refusals)
    return out.getvalue()
