"""Who each imported row is: the identity rules of `people`, for a batch at once.

The rules are the per-request ones: identifiers that name two people are a
conflict (never a silent merge), a person has one client_user_id, unknown
identifiers join the person the others name, and a row naming nobody known is a
new person. Rows of one batch see each other: two rows with one phone are one
person. One statement reads the owners of every identifier in the batch, one
writes the new people and identifiers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from optledger.core.import_rows import ImportRow, Refusal
from optledger.core.people import IdentifierKind
from optledger.storage.clock import utcnow
from optledger.storage.repositories import imports as stored
from optledger.storage.repositories.imports import NewIdentifier, Pair
from optledger.storage.sql import Connection

CONFLICT = "conflicting identifiers"
# A known person by id, or a person this batch creates, by their new key.
PersonRef = int | str


@dataclass(frozen=True)
class BatchPeople:
    """The person of each accepted row (by its line), and the refusals."""

    person_of: dict[int, int]
    refused: list[Refusal]
    created: int


def row_pairs(row: ImportRow) -> list[Pair]:
    """The (kind, value) identifiers a row gives."""
    pairs = []
    if row.phone is not None:
        pairs.append((IdentifierKind.PHONE.value, row.phone))
    if row.email is not None:
        pairs.append((IdentifierKind.EMAIL.value, row.email))
    if row.client_user_id is not None:
        pairs.append((IdentifierKind.CLIENT_USER_ID.value, row.client_user_id))
    return pairs


def _named(pairs: Sequence[Pair]) -> str:
    return " and ".join(f"{kind} {value!r}" for kind, value in pairs)


def random_uuid_hexes(count: int) -> list[str]:
    """`count` values of `uuid.uuid4().hex`: random, with the version 4 and variant bits."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = bytes(0x40 | (b & 0x0F) for b in raw[6::16])
    raw[8::16] = bytes(0x80 | (b & 0x3F) for b in raw[8::16])
    return [raw[i : i + 16].hex() for i in range(0, len(raw), 16)]


class _Resolver:
    """Assigns rows to people in file order, as the per-request flow would one by one."""

    def __init__(self, owners: stored.Owners) -> None:
        self.holder: dict[Pair, PersonRef] = dict(owners.persons.items())
        self.client_of: dict[PersonRef, str] = dict(owners.client_ids.items())
        self.new_keys: list[str] = []
        self.attach: list[NewIdentifier] = []
        self.touched: set[int] = set()
        self._keys: list[str] = []

    def _new_key(self) -> str:
        """A person key as `people` makes them (`uuid4().hex`), made a thousand at a
        time: `uuid4()` one by one costs more than the rest of a row."""
        if not self._keys:
            self._keys = random_uuid_hexes(1000)
        return self._keys.pop()

    def person_for(self, row: ImportRow, pairs: list[Pair]) -> PersonRef | Refusal:
        refs = {self.holder[pair] for pair in pairs if pair in self.holder}
        if len(refs) > 1:
            value = row.client_user_id or row.email or row.phone or ""
            held = [pair for pair in pairs if pair in self.holder]
            return Refusal(row.line, value, CONFLICT, f"{_named(held)} belong to different people")
        ref = refs.pop() if refs else None
        if ref is not None and row.client_user_id is not None:
            held_id = self.client_of.get(ref)
            if held_id is not None and held_id != row.client_user_id:
                return Refusal(
                    row.line,
                    row.client_user_id,
                    CONFLICT,
                    f"client_user_id {row.client_user_id!r} would be a second value for a "
                    f"person who has client_user_id {held_id!r}",
                )
        if ref is None:
            ref = self._new_key()
            self.new_keys.append(ref)
        for kind, value in pairs:
            if (kind, value) in self.holder:
                continue
            self.holder[(kind, value)] = ref
            if isinstance(ref, int):
                self.attach.append(NewIdentifier(kind, value, person_id=ref))
                self.touched.add(ref)
            else:
                self.attach.append(NewIdentifier(kind, value, person_key=ref))
        if row.client_user_id is not None:
            self.client_of[ref] = row.client_user_id
        return ref


async def resolve_batch_people(
    connection: Connection, company_id: int, rows: Sequence[ImportRow]
) -> BatchPeople:
    """Find or create the person of every row; rows whose identifiers conflict are refused.

    A concurrent request claiming one of the new identifiers first fails the unique
    constraint; the batch's unit of work is then replayed and sees it.
    """
    pairs_of = [row_pairs(row) for row in rows]
    wanted = {pair for pairs in pairs_of for pair in pairs}
    resolver = _Resolver(await stored.owners_and_client_ids(connection, company_id, wanted))
    refs: dict[int, PersonRef] = {}
    refused: list[Refusal] = []
    for row, pairs in zip(rows, pairs_of, strict=True):
        found = resolver.person_for(row, pairs)
        if isinstance(found, Refusal):
            refused.append(found)
        else:
            refs[row.line] = found
    created = await stored.write_people(
        connection, company_id, resolver.new_keys, resolver.attach, resolver.touched, utcnow()
    )
    person_of = {line: ref if isinstance(ref, int) else created[ref] for line, ref in refs.items()}
    return BatchPeople(person_of=person_of, refused=refused, created=len(created))
