"""Events' contents in the leaf's form, written by the database from the stored columns.

`core.ledger.leaves` defines a leaf's bytes: one JSON object, its keys sorted, each
value written as canonical JSON writes it. Verification reads a million events, and
writing those bytes in Python costs more than reading the rows, so the database
writes them from the columns as they are stored, in C:
- a text column as a JSON string, null as `null`: on SQLite by `json_quote`, which
  escapes exactly what Python's JSON encoder escapes; on PostgreSQL by escaping only
  the backslash and the quote, which costs a third of what `to_json` does. A text with
  a control character (U+0001 to U+001F) then keeps it raw, where JSON escapes it;
  no leaf's bytes hold one raw, so such an event never matches and is decoded;
- an id as its digits, and only an integer (SQLite would keep text in an integer
  column);
- the time as the leaf writes it, from SQLite's one text form or PostgreSQL's time
  in UTC;
- the data as its stored JSON text, which every door writes in canonical form; on
  SQLite only text with no NUL, at which `printf` would stop.

PostgreSQL also hashes the bytes (`sha256`); SQLite has no hash function, so the
caller hashes the text. A stored form the leaf cannot take as it is (an older data
text, a time written otherwise, a value of another type) gives other bytes, never
a false match. Every field but the data is written so that it cannot hold the
characters that end it (strings escaped, ids digits, the time of one fixed length),
and the key after the data occurs nowhere else in the bytes: so no field can run
into the next, and bytes equal to a sealed leaf's are that leaf's values. The caller
decodes such an event and looks again. The tests hold these bytes to
`core.ledger.leaves` byte for byte, on both databases, and try the ways a changed
row could pass for the sealed one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from optledger.storage.columns import fetch_packed
from optledger.storage.repositories.leaf_columns import hashes_in_order
from optledger.storage.sql import Connection, Query

# The leaf encoding these bytes follow (`core.ledger.leaves.ENCODING_VERSION`).
ENCODING_VERSION = 1


class _Literal(str):
    """Text of the leaf's bytes written as it is, between the columns' values."""


# SQLite keeps a time as text: the leaf's form is its date, a T, its time and a Z,
# from the one stored form of 26 characters; any other form writes no bytes at all.
_SQLITE_TIME = (
    _Literal('"'),
    "substr(e.created_at, 1, 10)",
    _Literal("T"),
    "substr(e.created_at, 12)",
    _Literal('Z"'),
)
_SQLITE_TIME_FORM = """CASE WHEN length(e.created_at) = 26 AND substr(e.created_at, 11, 1) = ' '
    AND instr(e.created_at, char(0)) = 0 THEN {} END"""
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


def _leaf_pieces(*, string: str, number: str, time: tuple[str, ...], data: str) -> list[str]:
    """An event's content in the leaf's form as the pieces it is written from, in
    order: literal text (`_Literal`) and SQL expressions; given the dialect's forms
    of a JSON string or null and of a number or null, the time (its own pieces) and
    the data.

    The event's id and company are written as they are: the query selects the row by
    both as integers, and a column of SQLite's that held text would not be selected."""
    fields = {
        "channel": (string.format("e.channel"),),
        "client_ip": (string.format("e.client_ip"),),
        "company_id": ("e.company_id",),
        "contact_value": (string.format("e.contact_value"),),
        "created_at": time,
        "credential_id": (number.format("e.credential_id"),),
        "data": (data,),
        "id": ("e.id",),
        "person_id": (number.format("e.person_id"),),
        "record_id": (number.format("e.record_id"),),
        "type": (string.format("e.type"),),
        "user_agent": (string.format("e.user_agent"),),
    }
    pieces: list[str] = []
    for key, value in fields.items():
        pieces += [_Literal(("," if pieces else "{") + f'"{key}":'), *value]
    pieces.append(_Literal(f',"v":{ENCODING_VERSION}}}'))
    # Literal text side by side as one piece: one argument less each.
    merged: list[str] = []
    for piece in pieces:
        if merged and isinstance(piece, _Literal) and isinstance(merged[-1], _Literal):
            merged[-1] = _Literal(merged[-1] + piece)
        else:
            merged.append(piece)
    return merged


def _with_printf(pieces: list[str]) -> str:
    """SQLite: one `printf` writes the whole text. Joining with `||` copies the growing
    text at each step, which took SQLite twice as long."""
    template = "".join(piece if isinstance(piece, _Literal) else "%s" for piece in pieces)
    values = ", ".join(piece for piece in pieces if not isinstance(piece, _Literal))
    return f"printf('{template}', {values})"


def _with_concat(pieces: list[str]) -> str:
    """PostgreSQL: one `concat` writes the whole text, at four fifths of what `format`
    costs, which parses its template for every row."""
    return "concat({})".format(
        ", ".join(f"'{piece}'" if isinstance(piece, _Literal) else piece for piece in pieces)
    )


_PAGE = """SELECT e.id AS id, {content} AS content FROM events e
    WHERE e.company_id = :company_id AND e.id > :after AND e.id <= :through
    ORDER BY e.id LIMIT :limit"""
LEAF_CONTENTS_PAGE = Query(
    _PAGE.format(
        content=_SQLITE_TIME_FORM.format(
            _with_printf(
                _leaf_pieces(
                    string="json_quote({})",
                    number="CASE typeof({0}) WHEN 'integer' THEN {0} WHEN 'null' THEN 'null' END",
                    time=_SQLITE_TIME,
                    data="CASE WHEN typeof(e.data) = 'text' AND instr(e.data, char(0)) = 0 "
                    "THEN e.data END",
                )
            )
        )
    ),
    # On PostgreSQL a page comes back as one row: its ids, and their hashes end to end,
    # in the order of the page (see `in_order_of`). An object per event and column
    # cost Python more than the rest of the page.
    postgresql="""SELECT array_agg(id), string_agg(content, ''::bytea) FROM ({}) page""".format(
        _PAGE.format(
            content="sha256('\\x00'::bytea || convert_to({}, 'UTF8'))".format(
                _with_concat(
                    _leaf_pieces(
                        string=_POSTGRES_STRING,
                        number="COALESCE({}::text, 'null')",
                        time=_POSTGRES_TIME,
                        data="e.data::text",
                    )
                )
            )
        )
    ),
)


class LeafContents(NamedTuple):
    """Events' ids, and their contents in the leaf's form (see `leaf_contents_page`),
    as columns."""

    ids: list[int]
    contents: Sequence[str | bytes | None]


async def leaf_contents_page(
    connection: Connection, company_id: int, after: int, through: int, limit: int
) -> LeafContents:
    """Up to `limit` of the company's events with `after` < id <= `through`, by id:
    their ids, and their contents as stored in the leaf's form: the leaf hash itself
    on PostgreSQL, the bytes to hash (as text) on SQLite, None where a column's
    stored form is not one the leaf can take."""
    params = {"company_id": company_id, "after": after, "through": through, "limit": limit}
    if not connection.is_sqlite:
        ids, hashes = await fetch_packed(connection, LEAF_CONTENTS_PAGE, params, 2)
        if not ids:
            return LeafContents([], [])
        ids, in_order, _ = hashes_in_order(ids, hashes)
        return LeafContents(ids, in_order)
    rows = await connection.fetch(LEAF_CONTENTS_PAGE, params)
    if not rows:
        return LeafContents([], [])
    ids, contents = zip(*rows, strict=True)
    return LeafContents(list(ids), list(contents))
