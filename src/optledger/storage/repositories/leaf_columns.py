"""A company's leaves read as columns, for verification: by event id, a page at a
time, compared a page at a time, and passed between processes packed."""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, overload

from optledger.storage.columns import fetch_packed, in_order_of, joined_integers
from optledger.storage.repositories.ledger import NO_BOUND
from optledger.storage.sql import Connection, Query

# The size of a SHA-256 hash, as every leaf hash is.
HASH_SIZE = 32

LEAF_BOUND = Query(
    "SELECT COALESCE(MAX(leaf_index), -1) + 1 FROM ledger_leaves WHERE company_id = :company_id"
)
_LEAVES = """SELECT leaf_index, event_id, leaf_hash FROM ledger_leaves
    WHERE company_id = :company_id AND event_id > :after AND event_id <= :through
        AND leaf_index < :leaf_bound
    ORDER BY event_id LIMIT :limit"""
LEAVES_OF_EVENTS = Query(_LEAVES)
# A page as one row, as its leaf contents come (`leaf_contents_page`), with whether
# every hash is as long as it should be, so that the hex splits right. On SQLite the
# integers come joined into one text: the range compared leaves in them only numbers
# (SQLite puts any text above them), and a real among them is no integer to Python,
# which then reads the page row by row. The columns come in the order of the page
# (see `in_order_of`).
_OF_FORM = f"length(leaf_hash) = {2 * HASH_SIZE}"
PACKED_LEAVES_OF_EVENTS = Query(
    f"""SELECT group_concat(leaf_index), group_concat(event_id), group_concat(leaf_hash, ''),
        min({_OF_FORM})
    FROM ({_LEAVES}) page""",
    postgresql=f"""SELECT array_agg(leaf_index), array_agg(event_id), string_agg(leaf_hash, ''),
        bool_and({_OF_FORM})
    FROM ({_LEAVES}) page""",
)


class PackedHashes(Sequence[bytes]):
    """Hashes end to end, read as a sequence of hashes without being cut apart: a page
    of them compares with another in one step, and more are appended in place.
    Cutting a million hashes apart cost a part a fifth of its Python time."""

    __slots__ = ("packed",)

    def __init__(self, packed: bytes | bytearray = b"") -> None:
        self.packed = bytearray(packed)

    def __len__(self) -> int:
        return len(self.packed) // HASH_SIZE

    @overload
    def __getitem__(self, index: int) -> bytes: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[bytes]: ...

    def __getitem__(self, index: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return list(self)[index]
            return PackedHashes(self.packed[start * HASH_SIZE : max(start, stop) * HASH_SIZE])
        start = range(len(self))[index] * HASH_SIZE
        return bytes(self.packed[start : start + HASH_SIZE])

    def __iter__(self) -> Iterator[bytes]:
        return iter(unpack_hashes(bytes(self.packed)))

    def __eq__(self, other: object) -> bool:
        # Equal to the same hashes packed, or to the list of them, as a list is.
        if isinstance(other, PackedHashes):
            return self.packed == other.packed
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __iadd__(self, more: object) -> PackedHashes:
        if not isinstance(more, PackedHashes):
            return NotImplemented
        self.packed += more.packed
        return self


@dataclass(repr=False)
class Leaves:
    """Leaves as columns, in the order of their events: cheap to read, to compare a
    page at a time, and to pass between processes."""

    indexes: list[int] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)
    # Packed as a page's leaves come; cut apart where a page came row by row.
    hashes: list[bytes] | PackedHashes = field(default_factory=list)

    def __repr__(self) -> str:
        # Short: asyncio builds the repr of a finished task, its result included, and
        # the full repr of a part's leaves took its worker half a second.
        return f"Leaves({len(self.indexes)} leaves)"

    def extend(self, more: Leaves) -> None:
        """Append leaves that come after these."""
        if not more.indexes:
            # An empty page's hashes are a list: taking them would cut these apart.
            return
        self.indexes += more.indexes
        self.event_ids += more.event_ids
        if isinstance(more.hashes, PackedHashes) and not isinstance(self.hashes, list):
            self.hashes += more.hashes
        elif isinstance(more.hashes, PackedHashes) and not self.hashes:
            self.hashes = PackedHashes(more.hashes.packed)
        else:
            if isinstance(self.hashes, PackedHashes):
                # A page read row by row (a hash may be out of form): cut apart from here.
                self.hashes = list(self.hashes)
            self.hashes += more.hashes

    def __getstate__(self) -> object:
        # Packed: a million leaves as lists of objects took a second to pickle and
        # unpickle; as three byte strings, a few milliseconds.
        if isinstance(self.hashes, PackedHashes):
            packed = bytes(self.hashes.packed)
        elif set(map(len, self.hashes)) == {HASH_SIZE}:
            packed = b"".join(self.hashes)
        else:
            return (self.indexes, self.event_ids, self.hashes)
        return (array("q", self.indexes).tobytes(), array("q", self.event_ids).tobytes(), packed)

    def __setstate__(self, state: tuple[Any, Any, Any]) -> None:
        indexes, event_ids, hashes = state
        if isinstance(hashes, list):
            self.indexes, self.event_ids, self.hashes = indexes, event_ids, hashes
            return
        self.indexes = _integers(indexes)
        self.event_ids = _integers(event_ids)
        self.hashes = PackedHashes(hashes)


def unpack_hashes(packed: bytes) -> list[bytes]:
    """Hashes written end to end, apart."""
    return [packed[start : start + HASH_SIZE] for start in range(0, len(packed), HASH_SIZE)]


def hashes_in_order(
    keys: list[int], packed: bytes, *columns: list[Any]
) -> tuple[list[int], PackedHashes | list[bytes], list[list[Any]]]:
    """`in_order_of` for a page whose hashes come packed end to end: the keys, the
    hashes and the other columns, in the order of the keys; the hashes kept packed
    when the page came in order, as it nearly always does."""
    if keys == sorted(keys):
        return keys, PackedHashes(packed), list(columns)
    keys, hashes, *others = in_order_of(keys, unpack_hashes(packed), *columns)
    return keys, hashes, others


def _integers(packed: bytes) -> list[int]:
    integers = array("q")
    integers.frombytes(packed)
    return integers.tolist()


async def leaves_of_events(
    connection: Connection,
    company_id: int,
    after: int,
    through: int,
    limit: int,
    leaf_bound: int = NO_BOUND,
) -> Leaves:
    """Up to `limit` of the company's leaves whose event ids are in (`after`, `through`]
    and whose indexes are below `leaf_bound`, by event id."""
    params = {
        "company_id": company_id,
        "after": after,
        "through": through,
        "limit": limit,
        "leaf_bound": leaf_bound,
    }
    indexes, event_ids, hexes, all_of_form = await fetch_packed(
        connection, PACKED_LEAVES_OF_EVENTS, params, 4
    )
    if not indexes:
        return Leaves()
    if all_of_form:
        with suppress(ValueError):
            packed = bytes.fromhex(hexes)
            if connection.is_sqlite:
                indexes, event_ids = joined_integers(indexes), joined_integers(event_ids)
            if len(packed) == HASH_SIZE * len(indexes) == HASH_SIZE * len(event_ids):
                ordered_ids, ordered_hashes, (ordered_indexes,) = hashes_in_order(
                    event_ids, packed, indexes
                )
                return Leaves(ordered_indexes, ordered_ids, ordered_hashes)
    # A value changed out of form: read row by row.
    rows = await connection.fetch(LEAVES_OF_EVENTS, params)
    if not rows:
        return Leaves()
    columns = list(zip(*rows, strict=True))
    return Leaves(list(columns[0]), list(columns[1]), list(map(_hash_of_text, columns[2])))


def _hash_of_text(text: str) -> bytes:
    # A hash changed into what is no hex stays its text: it matches no event, and the
    # change is found rather than stopping verification.
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode()


async def leaf_bound(connection: Connection, company_id: int) -> int:
    """One past the company's highest leaf index (0 with none)."""
    return int(await connection.fetchval(LEAF_BOUND, {"company_id": company_id}))
