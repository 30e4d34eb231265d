"""Pages of rows read as columns, for the scans of a million rows that verification
makes.

On PostgreSQL such a page comes back as one row, each column aggregated into an
array: asyncpg then builds a list per column instead of a record per row, which cost
Python about twice as much. SQLite has no arrays; the pages where it counts (leaves
and their events' contents) join each column into one text instead, which Python
splits for less than a row per event costs it. Records and their events come
as rows there: sqlite3 hands over a row more cheaply than asyncpg.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from optledger.storage.sql import Connection, Params, Query


def packed(page: str, columns: Sequence[str]) -> str:
    """PostgreSQL: the `page` query (whose rows have these columns) as one row of
    arrays, a column each, in the order of the page (see `in_order_of`)."""
    aggregates = ", ".join(f"array_agg({column})" for column in columns)
    return f"SELECT {aggregates} FROM ({page}) page"


async def fetch_packed(
    connection: Connection, query: Query, params: Params, width: int
) -> tuple[Any, ...]:
    """The columns of a page packed as one row (as `packed` writes it, or with other
    aggregates): its `width` values, each an empty list when the page is empty."""
    row = await connection.fetchrow(query, params)
    if row is None or row[0] is None:
        return tuple([] for _ in range(width))
    return tuple(row)


def joined_integers(text: str) -> list[int]:
    """SQLite's `group_concat` of integers, read back: their digits, parted by commas.
    A value that is no integer's digits (a real, say) raises ValueError."""
    return list(map(int, text.split(",")))


def in_order_of(keys: list[Any], *columns: list[Any]) -> tuple[list[Any], ...]:
    """`keys` and the columns beside them, in the order of the keys.

    PostgreSQL aggregates a page's columns in the order its subquery gives them, all
    alike: it does, though SQL does not promise it, and sorting again inside each
    aggregate cost it a fifth of the page. So a page is checked, and sorted here in
    the rare case it is not in order."""
    if keys == sorted(keys):
        return (keys, *columns)
    rows = sorted(zip(keys, *columns, strict=True), key=lambda row: row[0])
    return tuple(list(column) for column in zip(*rows, strict=True))
