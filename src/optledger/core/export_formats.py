"""How an export of the ledger is written: one CSV table, or one JSON object a line.

`optledger export` and the console's download write every entry through
`ExportWriter`, so both give the same bytes for the same snapshot.
"""

from __future__ import annotations

import io
import json
from enum import StrEnum
from typing import Any

from optledger.core.spreadsheets import SpreadsheetWriter

RECORD, EVENT, CHECKPOINT = "record", "event", "checkpoint"
# The fields of each kind of entry, in the order a table shows them. A record's
# `type` is its subscription type, an event's its event type: each is named so.
RECORD_FIELDS = (
    "kind", "id", "company", "person_key", "channel", "contact_value", "subscription_type",
    "list_id", "unit_id", "status", "single_opt_in", "opt_in_date", "opt_out_date",
    "opt_out_reason", "consented_at", "source", "disclosure_text", "language", "country",
    "credential_id", "client_ip", "user_agent", "created_at", "updated_at",
)  # fmt: skip
EVENT_FIELDS = (
    "kind", "id", "company", "event_type", "person_key", "record_id", "channel",
    "contact_value", "data", "credential_id", "client_ip", "user_agent", "created_at", "topic",
    "leaf_hash",
)  # fmt: skip
# A company's latest signed tree head, whole, in one field.
CHECKPOINT_FIELDS = ("kind", "company", "checkpoint")
# One table for every kind (CSV): each row fills its own kind's columns.
ALL_FIELDS = tuple(dict.fromkeys((*RECORD_FIELDS[:4], "event_type", "record_id",
                                   *RECORD_FIELDS[4:], *EVENT_FIELDS,
                                   *CHECKPOINT_FIELDS)))  # fmt: skip


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
