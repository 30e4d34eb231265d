"""Events' contents in the leaf's form, written by the database from the stored columns.

`core.ledger.leaves` defines a leaf's bytes: one JSON object, its keys sorted, each
value written as canonical JSON writes it. Verification reads a million events, and
writing those bytes in Python costs more than reading the rows, so the database
writes them from the columns as they are stored, in C:
- a text column as a JSON string, null as `null`: on SQLite by `json_object`, which
  escapes exactly what Python's JSON encoder escapes; on PostgreSQL by escaping only
  the backslash and the quote, which costs a third of what `to_json` does. A text with
  a control character (U+0001 to U+001F) then keeps it raw, where JSON escapes it;
  no leaf's bytes hold one raw, so such an event never matches and is decoded;
- an id as its digits: PostgreSQL's integer columns hold nothing else, and SQLite's
  `json_object` writes a value of another type quoted, or as a real (a blob, in any
  column, writes no bytes at all);
- the time as the leaf writes it, from SQLite's one text form or PostgreSQL's time
  in UTC;
- the data as its stored JSON text, which every door writes in canonical form (on
  SQLite only a text).

PostgreSQL also hashes the bytes (`sha256`); SQLite has no hash function, so the
caller hashes the text. A stored form the leaf cannot take as it is (an older data
text, a time written otherwise, a value of another type) gives other bytes, never
a false match. Every value but the data is written so that it cannot hold the
characters that end it (text escaped, ids digits, the time quoted on SQLite and of
one fixed length on PostgreSQL), and what follows the data holds the key after it
(`"id"`) nowhere else: so no field can run into the next, and bytes equal to a
sealed leaf's are that leaf's values. Nothing stops at a NUL either: a text keeps
it escaped, and the data raw, as no leaf holds one. The caller decodes an event
whose bytes do not match and looks again. The tests hold these bytes to
`core.ledger.leaves` byte for byte, on both databases, and try the ways a changed
row could pass for the sealed one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import NamedTuple

from optledger.storage.columns import fetch_packed, in_order_of, joined_integers
from optledger.storage.repositories.leaf_columns import hashes_in_order
from optledger.storage.sql import Connection, Params, Query

# The leaf encoding these bytes follow (`core.ledger.leaves.ENCODING_VERSION`).
ENCODING_VERSION = 1


class _Literal(str):
    """Text of the leaf's bytes written as it is, between the columns' values."""


# The colons are quoted literals of to_char's format (and so not parameters). Only
# years 1 to 9999: to_char writes a year BC without its era, and one past 9999 with
# more digits, so another time writes other bytes.
_POSTGRES_TIME = (
    _Literal('"'),
    """CASE WHEN e.created_at >= '0001-01-01 00:00:00+00'
        AND e.created_at < '10000-01-01 00:00:00+00'
        THEN to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.US"Z"') END""",
    _Literal('"'),
)

# The quotes are SQL literals: a JSON string's backslash and quote, each escaped.
_POSTGRES_STRING = (
    """COALESCE('"' || replace(replace({}, '\\', '\\\\'), '"', '\\"') || '"', 'null')"""
)


# The leaf's keys in order, each written from the events column of its name.
_KEYS = (
    "channel",
    "client_ip",
    "company_id",
    "contact_value",
    "created_at",
    "credential_id",
    "data",
    "id",
    "person_id",
    "record_id",
    "type",
    "user_agent",
)
_STRINGS = frozenset({"channel", "client_ip", "contact_value", "type", "user_agent"})
_NUMBERS = frozenset({"credential_id", "person_id", "record_id"})


def _postgres_value(key: str) -> tuple[str, ...]:
    """How PostgreSQL writes one key's value: the pieces it is written from.

    The event's id and company are written as they are: the query selects the row by
    both, and PostgreSQL's integer columns hold nothing else."""
    column = f"e.{key}"
    if key in _STRINGS:
        return (_POSTGRES_STRING.format(column),)
    if key in _NUMBERS:
        return (f"COALESCE({column}::text, 'null')",)
    if key == "created_at":
        return _POSTGRES_TIME
    if key == "data":
        return (f"{column}::text",)
    return (column,)


def _postgres_content() -> str:
    """PostgreSQL: an event's content in the leaf's form, written by one `concat` of
    literal text and the columns' values (at four fifths of what `format` costs,
    which parses its template for every row)."""
    pieces: list[str] = []
    for key in _KEYS:
        pieces += [_Literal(("," if pieces else "{") + f'"{key}":'), *_postgres_value(key)]
    pieces.append(_Literal(f',"v":{ENCODING_VERSION}}}'))
    # Literal text side by side as one argument.
    merged: list[str] = []
    for piece in pieces:
        if merged and isinstance(piece, _Literal) and isinstance(merged[-1], _Literal):
            merged[-1] = _Literal(merged[-1] + piece)
        else:
            merged.append(piece)
    return "concat({})".format(
        ", ".join(f"'{piece}'" if isinstance(piece, _Literal) else piece for piece in merged)
    )


# SQLite: one `json_object` writes the keys in order and every value but the data,
# which takes the place of its null, as stored. The time, kept as text in one form,
# takes a T for its space and a Z: only that form, or the same with its T already,
# writes the sealed bytes, and both are the same moment. No value may be a blob:
# `json_object` stops at one (and from SQLite 3.45 reads one as binary JSON), and
# `replace` would take one as text. `typeof` names a blob first in sorting order.
_SQLITE_VALUES = {"created_at": "replace(e.created_at, ' ', 'T') || 'Z'", "data": "NULL"}
_SQLITE_CONTENT = """CASE WHEN typeof(e.data) = 'text' AND min({types}) <> 'blob'
    THEN replace(json_object({pairs}, 'v', {version}), '"data":null', '"data":' || e.data)
    END""".format(
    types=", ".join(f"typeof(e.{key})" for key in _KEYS if key not in ("company_id", "data", "id")),
    pairs=", ".join(f"'{key}', {_SQLITE_VALUES.get(key, f'e.{key}')}" for key in _KEYS),
    version=ENCODING_VERSION,
)
# What parts a page's contents on SQLite, which joins them into one text: the record
# separator, which `json_object` escapes in every text and canonical JSON in the data.
_SEPARATOR = "\x1e"

_PAGE = """SELECT e.id AS id, {content} AS content FROM events e
    WHERE e.company_id = :company_id AND e.id > :after AND e.id <= :through
    ORDER BY e.id LIMIT :limit"""
# A page comes back as one row: on PostgreSQL its ids and their hashes end to end, on
# SQLite its ids and contents each joined into one text. Either way in the order of
# the page (see `in_order_of`). An object per event and column cost Python more than
# the rest of the page.
LEAF_CONTENTS_PAGE = Query(
    f"""SELECT group_concat(id), group_concat(COALESCE(content, ''), char({ord(_SEPARATOR)}))
    FROM ({_PAGE.format(content=_SQLITE_CONTENT)}) page""",
    postgresql="""SELECT array_agg(id), string_agg(content, ''::bytea) FROM ({}) page""".format(
        _PAGE.format(content=f"sha256('\\x00'::bytea || convert_to({_postgres_content()}, 'UTF8'))")
    ),
)
# SQLite: a page row by row, where a changed event's data holds the separator, or
# the page is too long for one text.
LEAF_CONTENT_ROWS = Query(_PAGE.format(content=_SQLITE_CONTENT))


class LeafContents(NamedTuple):
    """Events' ids, and their contents in the leaf's form (see `leaf_contents_page`),
    as columns."""

    ids: list[int]
    contents: Sequence[str | bytes | None]


async def leaf_contents_page(
    connection: Connection, company_id: int, after: int, through: int, limit: int
) -> LeafContents:
    """Up to `limit` of the company's events with `after` < id <= `through`, by id:
    their ids, and their contents as stored in the leaf's form: on PostgreSQL the
    leaf hashes themselves; on SQLite the bytes to hash (as text), None
    where a column's stored form is not one the leaf can take."""
    params = {"company_id": company_id, "after": after, "through": through, "limit": limit}
    if not connection.is_sqlite:
        ids, hashes = await fetch_packed(connection, LEAF_CONTENTS_PAGE, params, 2)
        if not ids:
            return LeafContents([], [])
        ids, in_order, _ = hashes_in_order(ids, hashes)
        return LeafContents(ids, in_order)
    try:
        packed_ids, packed_contents = await fetch_packed(connection, LEAF_CONTENTS_PAGE, params, 2)
    except sqlite3.DataError:
        # A page too long for one text (a billion bytes): row by row.
        return await _leaf_content_rows(connection, params)
    if not packed_ids:
        return LeafContents([], [])
    ids = joined_integers(packed_ids)
    contents = packed_contents.split(_SEPARATOR)
    if len(contents) != len(ids):
        return await _leaf_content_rows(connection, params)
    # Empty where a column's stored form is not one the leaf can take.
    ids, in_order = in_order_of(ids, [content or None for content in contents])
    return LeafContents(ids, in_order)


async def _leaf_content_rows(connection: Connection, params: Params) -> LeafContents:
    rows = await connection.fetch(LEAF_CONTENT_ROWS, params)
    ids, contents = map(list, zip(*rows, strict=True)) if rows else ([], [])
    return LeafContents(ids, contents)
