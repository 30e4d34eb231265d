"""How an export of the ledger is written: one CSV table, or one JSON object a line.

`optledger export` and the console's download write every entry through
`ExportWriter`, so both give the same bytes for the same snapshot.
"""

from __future__ import annotations

import io
import json
from enum import StrEnum
from typing import Any

from optledger.core.exports import ALL_FIELDS
from optledger.core.spreadsheets import SpreadsheetWriter


class ExportFormat(StrEnum):
    """How entries are written."""

    CSV = "csv"
    JSONL = "jsonl"


def _csv_value(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class ExportWriter:
    """Entries as text in one format: the CSV header row first, then a line an entry
    (cells a spreadsheet would run as formulas get a leading "'", see `spreadsheets`)."""

    def __init__(self, export_format: ExportFormat) -> None:
        self.format = export_format
        self._buffer = io.StringIO()
        self._csv = SpreadsheetWriter(self._buffer, lineterminator="\n")

    def header(self) -> str:
        """What comes before the first entry."""
        if self.format != ExportFormat.CSV:
            return ""
        self._csv.writerow(ALL_FIELDS)
        return self._taken()

    def line(self, entry: dict[str, Any]) -> str:
        """One entry's line."""
        if self.format != ExportFormat.CSV:
            return json.dumps(entry) + "\n"
        self._csv.writerow([_csv_value(entry.get(name)) for name in ALL_FIELDS])
        return self._taken()

    def _taken(self) -> str:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text
