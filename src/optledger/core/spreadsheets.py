"""CSV cells a spreadsheet will not run: the one rule every CSV the product writes follows.

A cell that begins with `=`, `+`, `-` or `@` (or their full-width forms), a tab or
a carriage return is read by spreadsheets as a formula (OWASP's "CSV injection"):
such a cell, and one that already begins with `'`, is written with one `'` in
front. Spreadsheets show the `'` as the mark of a text cell and the value as it
was; a program gets the value back by dropping the first character of any cell
that begins with `'`. A cell that is a plain number, an E.164 phone number such as
`+19148440001` included, is left as it is: it cannot be a formula, and stays a
number.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO

# What a spreadsheet may evaluate a cell for, and the mark that says "text".
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
TEXT_MARK = "'"
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def spreadsheet_cell(value: Any) -> Any:
    """`value` as a CSV cell no spreadsheet evaluates (non-strings pass as they are)."""
    if not isinstance(value, str) or not value:
        return value
    first = value[0]
    if first == TEXT_MARK or (first in FORMULA_STARTS and not _NUMBER.fullmatch(value)):
        return TEXT_MARK + value
    return value


class SpreadsheetWriter:
    """A `csv.writer` whose every cell goes through `spreadsheet_cell`."""

    def __init__(self, handle: TextIO, **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row."""
        self._writer.writerow([spreadsheet_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write rows."""
        for row in rows:
            self.writerow(row)
