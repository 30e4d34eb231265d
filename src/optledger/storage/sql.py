"""A small SQL layer over the drivers themselves: named queries, one connection API.

Repositories write each statement once, with `:name` parameters, as a `Query`
constant; the statement is translated for the driver once and then reused
(asyncpg prepares and caches it per connection; sqlite3 caches it per
connection). There is no ORM unit of work between the core and the database:
what a repository sends is what runs.

Values cross the boundary in one form on both databases: timestamps are aware
UTC datetimes, JSON columns take `Json(...)`, and a Python list is a set of
values for `= ANY(...)` (PostgreSQL) or `IN (SELECT value FROM json_each(...))`
(SQLite).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

SQLITE = "sqlite"
POSTGRESQL = "postgresql"

Params = Mapping[str, Any]
# A named parameter, not the `::` of a PostgreSQL cast.
_PARAMETER = re.compile(r"(?<!:):([a-zA-Z_][a-zA-Z0-9_]*)")


class Row(Protocol):
    """A result row: by position or by column name (asyncpg Record, sqlite3.Row)."""

    def __getitem__(self, key: int | str) -> Any: ...

    def __iter__(self) -> Iterator[Any]:
        """The values, in column order."""
        ...

    def keys(self) -> Any:
        """The column names."""
        ...


@dataclass(frozen=True)
class Json:
    """A value for a JSON column."""

    value: Any


@dataclass
class Query:
    """One statement, written once with `:name` parameters.

    `postgresql` replaces the text on PostgreSQL where the two databases need
    different SQL (data-modifying CTEs, arrays).
    """

    text: str
    postgresql: str | None = None
    _numbered: tuple[str, tuple[str, ...]] | None = field(default=None, repr=False)

    def for_sqlite(self) -> str:
        """The text with `:name` parameters, which sqlite3 takes as they are."""
        return self.text

    def for_postgresql(self) -> tuple[str, tuple[str, ...]]:
        """The text with `$n` parameters, and the parameter names in order."""
        if self._numbered is None:
            names: list[str] = []

            def number(match: re.Match[str]) -> str:
                name = match.group(1)
                if name not in names:
                    names.append(name)
                return f"${names.index(name) + 1}"

            text = _PARAMETER.sub(number, self.postgresql or self.text)
            self._numbered = (text, tuple(names))
        return self._numbered


def cut_offsets(count: int, parts: int) -> list[int]:
    """Where to cut `count` rows, in order, into `parts` runs of about as many: for each
    of the `parts - 1` cuts, how many rows to skip past the last cut to reach the
    row it falls on (an OFFSET; each cut counts on from the last, so an index is
    walked once in all)."""
    return [
        max(count * part // parts - count * (part - 1) // parts - 1, 0) for part in range(1, parts)
    ]


async def cut_ids(
    connection: Connection, row_after: Query, params: dict[str, Any], count: int, parts: int
) -> list[int]:
    """Ids that cut `count` rows, in id order, into `parts` runs of about as many: up to
    `parts - 1` ids, each the last of its run (fewer when rows went meanwhile).
    `row_after` gives the id of the row `:offset` rows past id `:after`."""
    cuts: list[int] = []
    for offset in cut_offsets(count, parts):
        after = cuts[-1] if cuts else 0
        cut = await connection.fetchval(row_after, {**params, "after": after, "offset": offset})
        if cut is None:
            break
        cuts.append(int(cut))
    return cuts


def as_dict(row: Row) -> dict[str, Any]:
    """A row as a dict of its columns (asyncpg Records and sqlite3 Rows alike)."""
    return {key: row[key] for key in row.keys()}  # noqa: SIM118 - `in` reads values


def sqlite_time(moment: datetime) -> str:
    """The stored form of a timestamp on SQLite (UTC, as SQLAlchemy writes it)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def as_time(value: Any) -> datetime | None:
    """A stored timestamp as an aware UTC datetime, from either database."""
    if value is None:
        return None
    if isinstance(value, str):
        if "\x00" in value:
            # fromisoformat reads only up to a NUL: what follows would go unseen.
            raise ValueError(f"a time with a NUL in it: {value!r}")
        value = datetime.fromisoformat(value)
    elif not isinstance(value, datetime):
        # SQLite keeps any type in any column.
        raise ValueError(f"no time: {value!r}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
    return value.astimezone(UTC)  # type: ignore[no-any-return]


def as_json(value: Any) -> Any:
    """A stored JSON value, decoded (asyncpg and sqlite3 both hand back text)."""
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


class Connection:
    """One database connection, inside or outside a transaction.

    Subclasses adapt one driver; repositories only see these methods.
    """

    dialect: str
    # Names the database, so that per-process caches of two databases never mix.
    scope: str = ""
    # Set by the outbox repository: the commit of this unit of work wakes workers.
    outbox_written: bool = False
    # The same for webhook deliveries.
    webhooks_written: bool = False
    # Set by writes that make a contact point less eligible (see `lessen_eligibility`).
    lessens_eligibility: bool = False

    def lessen_eligibility(self) -> None:
        """Mark this unit of work as an opt-out: its commit is acknowledged only once
        the synchronous standbys have applied it (`synchronous_commit = remote_apply`),
        so no standby answers "eligible" afterwards. Nothing changes on SQLite or
        without synchronous standbys."""
        self.lessens_eligibility = True

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded SQLite kind."""
        return self.dialect == SQLITE

    async def fetch(self, query: Query, params: Params | None = None) -> list[Row]:
        """Every row of the result."""
        raise NotImplementedError

    async def fetchrow(self, query: Query, params: Params | None = None) -> Row | None:
        """The first row, or None."""
        rows = await self.fetch(query, params)
        return rows[0] if rows else None

    async def fetchval(self, query: Query, params: Params | None = None) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetchrow(query, params)
        return None if row is None else row[0]

    async def execute(self, query: Query, params: Params | None = None) -> int:
        """Run a statement; returns the number of rows it changed."""
        raise NotImplementedError

    async def executemany(self, query: Query, rows: Sequence[Params]) -> None:
        """Run one statement for each set of parameters."""
        raise NotImplementedError


# Values sqlite3 takes as they are: most parameters, checked first and cheaply.
_PLAIN = frozenset({str, int, float, bool, bytes, type(None)})


# Sorted keys, no spaces, text as it is: the form the ledger's leaves write data in,
# so that verifying can hash an event's data as stored (see `core/ledger/leaves.py`).
_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def json_text(value: Any) -> str:
    """The text a JSON column is given for `value`."""
    return _JSON.encode(value)


def _sqlite_value(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, datetime):
        return sqlite_time(value)
    if isinstance(value, Json):
        return json_text(value.value)
    if isinstance(value, list | tuple | set | frozenset):
        return json_text(list(value))
    return value


def _postgres_value(value: Any) -> Any:
    if isinstance(value, Json):
        return json_text(value.value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return value


class SqliteConnection(Connection):
    """sqlite3, called directly on the event loop.

    A statement on a local file takes microseconds once the file is cached;
    hopping to a thread for each would cost more than the statement. Only the
    commit (an fsync with `synchronous=FULL`) leaves the loop, see `Database`.
    """

    dialect = SQLITE

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    @staticmethod
    def _params(params: Params | None) -> dict[str, Any]:
        return {name: _sqlite_value(value) for name, value in (params or {}).items()}

    async def fetch(self, query: Query, params: Params | None = None) -> list[Row]:
        cursor = self.raw.execute(query.for_sqlite(), self._params(params))
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    async def execute(self, query: Query, params: Params | None = None) -> int:
        cursor = self.raw.execute(query.for_sqlite(), self._params(params))
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    async def executemany(self, query: Query, rows: Sequence[Params]) -> None:
        self.raw.executemany(query.for_sqlite(), [self._params(row) for row in rows]).close()


class PostgresConnection(Connection):
    """An asyncpg connection; asyncpg prepares each statement once per connection."""

    dialect = POSTGRESQL

    def __init__(self, raw: Any, scope: str = "") -> None:
        self.raw = raw
        self.scope = scope

    @staticmethod
    def _args(query: Query, params: Params | None) -> tuple[str, list[Any]]:
        text, names = query.for_postgresql()
        given = params or {}
        return text, [_postgres_value(given[name]) for name in names]

    async def fetch(self, query: Query, params: Params | None = None) -> list[Row]:
        text, args = self._args(query, params)
        rows: list[Row] = await self.raw.fetch(text, *args)
        return rows

    async def execute(self, query: Query, params: Params | None = None) -> int:
        text, args = self._args(query, params)
        status: str = await self.raw.execute(text, *args)
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def executemany(self, query: Query, rows: Sequence[Params]) -> None:
        text, names = query.for_postgresql()
        await self.raw.executemany(
            text, [[_postgres_value(row[name]) for name in names] for row in rows]
        )
