"""Verifying a company's ledger: seals, leaves, and that they cover its events.

Two checks, so that the first can run in parts, in other processes, and the second
take their outcomes in order (see `core.ledger.parts`):

- `check_events` merges a range of the company's events by id with its leaves by
  event id, a chunk of ids at a time. Each leaf is checked against its event: a
  leaf whose event is gone was deleted, a leaf that no longer matches its event was
  edited, and an event that is no leaf but lies at or below the last seal's
  `through_event_id` was inserted afterwards. It hands on each chunk's leaves.
- `TreeCheck` takes the leaves in event order, checks that their indexes run on
  with no gap, and checks each seal the leaves reach: its root recomputed from the
  leaves before it, its signature, and its link to the previous head.
"""

from __future__ import annotations

import binascii
from bisect import bisect_right
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from optledger.core.ledger.findings import Finding, Redaction, Tally
from optledger.core.ledger.heads import TreeHead, parse_head
from optledger.core.ledger.leaves import (
    event_leaf_hash,
    stored_content_hash,
    stored_content_hashes,
)
from optledger.core.ledger.merkle import (
    Frontier,
    aligned_subtrees,
    append_leaves,
    append_subtrees,
    frontier_root,
    frontier_size,
)
from optledger.core.ledger.sealing import signed_head_of
from optledger.storage.repositories import ledger as stored
from optledger.storage.repositories.leaf_columns import Leaves, leaf_bound, leaves_of_events
from optledger.storage.repositories.leaf_contents import LeafContents, leaf_contents_page
from optledger.storage.repositories.ledger import (
    NO_BOUND,
    LedgerEvent,
    SealRow,
    StoredEvent,
    ledger_event,
)
from optledger.storage.sql import Connection

PAGE = 5000


@dataclass(frozen=True)
class EventRange:
    """What one pass of `check_events` reads: the company's events with ids in
    (`after`, `through`] and their leaves with indexes below `leaf_bound`; the last
    range of the company also takes the leaves past `through`, whose events were
    deleted after they were sealed. The last seal is through event `last_through`:
    every event up to it must be a leaf."""

    company_id: int
    company_key: str
    last_through: int
    leaf_bound: int
    after: int = 0
    through: int = NO_BOUND
    last: bool = True


class _EventCheck:
    """The merge of one range of a company's events with their leaves, a chunk of event
    ids at a time (see `check_events`)."""

    def __init__(self, scope: EventRange, tally: Tally) -> None:
        self.company = scope.company_key
        self.last_through = scope.last_through
        self.tally = tally

    def finding(self, kind: str, detail: str, event_id: int) -> None:
        self.tally.add(Finding(kind, self.company, detail, event_id))

    def merge(self, events: LeafContents, leaves: Leaves) -> list[int]:
        """Check a chunk: the events (their ids and contents as stored) and the leaves
        of one range of event ids, each by id. Returns the suspects: the positions of
        the leaves whose events, as stored, do not hash to them."""
        self.tally.events += len(events.ids)
        self.tally.sealed += len(leaves.indexes)
        if events.ids == leaves.event_ids:
            # Each event its leaf, as nearly always: compared a page at a time.
            hashes = stored_content_hashes(events.contents)
            if hashes == leaves.hashes:
                return []
            pairs = zip(hashes, leaves.hashes, strict=True)
            return [place for place, (found, sealed) in enumerate(pairs) if found != sealed]
        return self._merge_by_id(events, leaves)

    def _merge_by_id(self, events: LeafContents, leaves: Leaves) -> list[int]:
        suspects = []
        position, count = 0, len(events.ids)
        for place, event_id in enumerate(leaves.event_ids):
            while position < count and events.ids[position] < event_id:
                self.event_without_leaf(events.ids[position])
                position += 1
            if position < count and events.ids[position] == event_id:
                if stored_content_hash(events.contents[position]) != leaves.hashes[place]:
                    suspects.append(place)
                position += 1
            else:
                index = leaves.indexes[place]
                self.finding("deleted_event", f"leaf {index}'s event is gone", event_id)
        for event_id in events.ids[position:]:
            self.event_without_leaf(event_id)
        return suspects

    def event_without_leaf(self, event_id: int) -> None:
        if event_id <= self.last_through:
            self.finding(
                "inserted_event",
                f"event {event_id} is below the last seal (through event "
                f"{self.last_through}) but in no seal",
                event_id,
            )
        else:
            self.tally.unsealed += 1

    def examine(self, leaf_index: int, sealed: bytes, stored: StoredEvent) -> None:
        """Look again at a suspect, the event of leaf `leaf_index` (of hash `sealed`):
        decoded and encoded canonically."""
        try:
            event = ledger_event(stored)
            content = event_leaf_hash(event)
        except ValueError:
            # Its data is no JSON any more, or its time no time, or (SQLite keeps any
            # type in any column) a text is no text: not what was sealed.
            self.finding(
                "edited_event",
                f"event {stored.id} no longer decodes, so no longer matches its leaf {leaf_index}",
                stored.id,
            )
            return
        if content != sealed and not self.redacted(event, content, sealed):
            self.finding(
                "edited_event",
                f"event {event.id} no longer matches its leaf {leaf_index}",
                event.id,
            )

    def redacted(self, event: LedgerEvent, content: bytes, sealed: bytes) -> bool:
        """Whether an event that no longer encodes to its leaf (of hash `sealed`; its
        own `content` hash) was erased: marked redacted by an erasure request that kept
        exactly that leaf's hash, and unchanged since the erasure."""
        if (
            event.redacted_by is None
            or event.original_leaf != sealed
            or event.redacted_leaf != content
        ):
            return False
        self.tally.add_redaction(Redaction(self.company, event.id, event.redacted_by))
        return True


async def check_events(
    connection: Connection, scope: EventRange, tally: Tally
) -> AsyncIterator[Leaves]:
    """Check the range's events against their leaves, adding what it finds to `tally`;
    yields each chunk's leaves, in event order.

    A chunk is a page of events and the leaves of the same range of event ids. One
    chunk is in memory at a time."""
    check = _EventCheck(scope, tally)
    after = scope.after
    while True:
        events = await leaf_contents_page(connection, scope.company_id, after, scope.through, PAGE)
        through = events.ids[-1] if len(events.ids) == PAGE else scope.through
        leaves_through = NO_BOUND if scope.last and through == scope.through else through
        leaves = await leaves_of_events(
            connection, scope.company_id, after, leaves_through, PAGE, scope.leaf_bound
        )
        crowded = len(leaves.indexes) == PAGE and leaves.event_ids[-1] < leaves_through
        if crowded:
            # Leaves of deleted events crowd the range: the chunk ends at the last read.
            through = leaves.event_ids[-1]
            kept = bisect_right(events.ids, through)
            events = LeafContents(events.ids[:kept], events.contents[:kept])
        if suspects := check.merge(events, leaves):
            ids = [leaves.event_ids[place] for place in suspects]
            stored_events = await stored.stored_events_by_id(connection, scope.company_id, ids)
            for place, event in zip(suspects, stored_events, strict=True):
                check.examine(leaves.indexes[place], leaves.hashes[place], event)
        yield leaves
        if not crowded and through == scope.through:
            return
        after = through


# A run of leaves whose indexes follow one another as their event ids rise, hashed
# into the perfect subtrees they make (`aligned_subtrees`), in pieces cut at the
# sizes of the seals that end among them: each piece is the tree size it ends at and
# its subtrees. A part folds its own leaves, so the process that takes the parts in
# order need not hash them again.
FoldedLeaves = list[tuple[int, Frontier]]


def fold_leaves(leaves: Leaves, seal_sizes: Sequence[int]) -> FoldedLeaves | None:
    """The leaves folded, cut at each of `seal_sizes` that falls among them; None when
    their indexes do not run on one by one as their event ids rise."""
    if not leaves.indexes:
        return None
    first = leaves.indexes[0]
    if not _in_order(leaves, first, leaves.event_ids[0] - 1):
        return None
    end = first + len(leaves.indexes)
    cuts = [first, *(size for size in seal_sizes if first < size < end), end]
    return [
        (stop, aligned_subtrees(start, leaves.hashes[start - first : stop - first]))
        for start, stop in pairwise(cuts)
    ]


class TreeCheck:
    """One company's leaves, taken in event order, folded into its tree and checked
    against its seals."""

    def __init__(self, company_key: str, public: Ed25519PublicKey, tally: Tally) -> None:
        self.company = company_key
        self.public = public
        self.tally = tally
        self.frontier: Frontier = []
        # Leaf hashes taken but not yet in the frontier (checking a seal folds them
        # in), with the tree size each leaf ends at, and that of the last one folded.
        self.unfolded: list[bytes] = []
        self.unfolded_ends: list[int] = []
        # Runs folded by the parts, not yet joined to the frontier (`take_folded`).
        # Only one of the two kinds waits at a time.
        self.pieces: deque[tuple[int, Frontier]] = deque()
        self.folded_end = 0
        # Whether every leaf taken had the index after the one before.
        self.gapless = True
        self.next_index = 0
        self.last_event_id = 0
        self.previous_head_hash: bytes | None = None
        # The size of the last seal's tree, and the number of seals checked.
        self.sealed_size = 0
        self.seals_above = 0

    def finding(self, kind: str, detail: str, event_id: int | None = None) -> None:
        self.tally.add(Finding(kind, self.company, detail, event_id))

    def take_folded(self, leaves: Leaves, folded: FoldedLeaves | None) -> None:
        """Take the next leaves, folded by the part that read them when it could: as
        `take` does, without hashing them again when they go on from the last leaf
        taken."""
        if (
            folded is None
            or not self.gapless
            or leaves.indexes[0] != self.next_index
            or leaves.event_ids[0] <= self.last_event_id
        ):
            self.take(leaves)
            return
        # Every seal up to the last leaf taken has been checked (`check_seals`), so the
        # leaves still waiting hold no seal's end: they go in whole.
        self.fold_through(self.next_index)
        self.pieces += folded
        self.next_index += len(leaves.indexes)
        self.last_event_id = leaves.event_ids[-1]

    def take(self, leaves: Leaves) -> None:
        """Take the next leaves: their indexes must go on from the last one's, one by
        one, as their event ids rise."""
        count = len(leaves.indexes)
        if not count:
            return
        # Runs folded before these hold no seal's end either (see `take_folded`).
        self._join_pieces(self.next_index)
        if _in_order(leaves, self.next_index, self.last_event_id):
            self.next_index += count
            self.last_event_id = leaves.event_ids[-1]
        else:
            self._take_out_of_order(leaves)
        self.unfolded += leaves.hashes
        self.unfolded_ends += [index + 1 for index in leaves.indexes]

    def _take_out_of_order(self, leaves: Leaves) -> None:
        self.gapless = False
        for index, event_id in zip(leaves.indexes, leaves.event_ids, strict=True):
            if index != self.next_index:
                self.finding(
                    "missing_leaf",
                    f"leaves jump from index {self.next_index - 1} to {index}",
                    event_id,
                )
            if event_id <= self.last_event_id:
                self.finding("reordered_leaf", f"leaf {index} is out of event order", event_id)
            self.next_index = index + 1
            self.last_event_id = event_id

    async def check_seals(self, connection: Connection, company_id: int, through: int) -> None:
        """Check the seals not yet checked of at most `through` leaves."""
        while seals := await stored.seals_page(
            connection, company_id, self.seals_above, through, PAGE
        ):
            for seal in seals:
                self.seal(seal)
            self.seals_above = seals[-1].tree_size
            if len(seals) < PAGE:
                return

    def finish(self) -> None:
        """After the last leaf and seal: every leaf must be in a seal."""
        if self.next_index > self.sealed_size:
            self.finding(
                "unsealed_leaf",
                f"leaves {self.sealed_size} to {self.next_index - 1} are in no seal",
            )

    def fold_through(self, tree_size: int) -> None:
        """Fold the leaves taken into the frontier up to the first that reaches
        `tree_size` (all of them, when none does); runs a part folded go in whole,
        each ending where a seal does."""
        if self.pieces:
            self._join_pieces(tree_size)
            return
        if self.gapless:
            # Every leaf's index is the one after the last's, so their ends run on too.
            folded = max(0, min(len(self.unfolded), tree_size - self.folded_end))
            self.folded_end += folded
        else:
            folded = 0
            for end in self.unfolded_ends:
                if self.folded_end >= tree_size:
                    break
                self.folded_end = end
                folded += 1
        append_leaves(self.frontier, self.unfolded[:folded])
        del self.unfolded[:folded], self.unfolded_ends[:folded]

    def _join_pieces(self, tree_size: int) -> None:
        while self.pieces and self.folded_end < tree_size:
            self.folded_end, subtrees = self.pieces.popleft()
            append_subtrees(self.frontier, subtrees)
            # Each piece starts where the tree before it ends (`take_folded`).
            assert frontier_size(self.frontier) == self.folded_end

    def seal(self, seal: SealRow) -> None:
        """Check a seal against the leaves up to its size."""
        self.tally.seals += 1
        self.fold_through(seal.tree_size)
        name = f"seal of {seal.tree_size} leaves (through event {seal.through_event_id})"
        try:
            signed = signed_head_of(seal)
            head = signed.head()
        except (ValueError, binascii.Error):
            self.finding("bad_signature", f"{name} holds no readable signed head")
            return
        if not signed.is_signed_by(self.public):
            self.finding("bad_signature", f"{name}: the signature is not the ledger key's")
        if not self._matches_columns(head, seal):
            self.finding("bad_seal", f"{name}: its columns differ from its signed head")
        if head.previous_head_hash != self.previous_head_hash:
            self.finding("broken_chain", f"{name} does not follow the seal before it")
        if head.tree_size != self.folded_end or frontier_root(self.frontier) != head.root_hash:
            self.finding("bad_root", f"{name}: the leaves do not give its root")
        elif seal.frontier != self.frontier:
            self.finding("bad_root", f"{name}: its stored frontier is not the tree's")
        self.previous_head_hash = signed.head_hash
        self.sealed_size = seal.tree_size

    def _matches_columns(self, head: TreeHead, seal: SealRow) -> bool:
        previous = None if head.previous_head_hash is None else head.previous_head_hash.hex()
        return (
            head.company == self.company
            and head.tree_size == seal.tree_size
            and head.root_hash.hex() == seal.root_hash
            and previous == seal.previous_head_hash
            and head.through_event_id == seal.through_event_id
        )


def _in_order(leaves: Leaves, next_index: int, last_event_id: int) -> bool:
    """Whether the leaves' indexes run on from `next_index` one by one and their event
    ids rise from above `last_event_id`: each test in bulk, as nearly always holds."""
    event_ids = leaves.event_ids
    return (
        leaves.indexes == list(range(next_index, next_index + len(leaves.indexes)))
        and event_ids[0] > last_event_id
        and event_ids == sorted(event_ids)
        and len(set(event_ids)) == len(event_ids)
    )


def last_through(seal: SealRow | None) -> int:
    """The event id the last seal is through, as its signed head says when it says."""
    if seal is None:
        return 0
    try:
        return parse_head(seal.head.encode()).through_event_id
    except ValueError:
        return seal.through_event_id


async def company_scope(
    connection: Connection, company_id: int, company_key: str, through: int
) -> EventRange:
    """All of the company's events up to `through` and all its leaves, as the
    connection's snapshot has them."""
    return EventRange(
        company_id,
        company_key,
        last_through(await stored.latest_seal(connection, company_id)),
        await leaf_bound(connection, company_id),
        through=through,
    )


async def verify_events(
    connection: Connection, scope: EventRange, public: Ed25519PublicKey, tally: Tally
) -> None:
    """Check the company's events, leaves and seals in this process, adding what it
    finds to `tally`."""
    tree = TreeCheck(scope.company_key, public, tally)
    async for leaves in check_events(connection, scope, tally):
        tree.take(leaves)
        await tree.check_seals(connection, scope.company_id, tree.next_index)
    await tree.check_seals(connection, scope.company_id, NO_BOUND)
    tree.finish()
