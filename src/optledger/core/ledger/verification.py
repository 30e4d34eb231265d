"""Verifying a company's ledger: seals, leaves, and that they cover its events.

One pass in one snapshot merges the company's events by id with its leaves by event
id, a chunk of ids at a time, then checks the seals the chunk's leaves reach. Each
leaf is checked against its event, each seal's root is recomputed from the leaves
before it, and each seal's signature and link to the previous head are checked. An
event that is no leaf but lies at or below the last seal's `through_event_id` was
inserted afterwards; a leaf whose event is gone was deleted; a leaf that no longer
matches its event was edited.
"""

from __future__ import annotations

import binascii
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from optledger.core.ledger.heads import TreeHead, parse_head
from optledger.core.ledger.leaves import event_leaf_hash, stored_leaf_hash
from optledger.core.ledger.merkle import Frontier, append_leaves, frontier_root
from optledger.core.ledger.sealing import signed_head_of
from optledger.storage.repositories import ledger as stored
from optledger.storage.repositories.ledger import (
    NO_BOUND,
    LedgerEvent,
    SealRow,
    StoredEvent,
    StoredLeaf,
    ledger_event,
)
from optledger.storage.sql import Connection

PAGE = 5000
# A ledger rewritten wholesale would list every event: the first ones make the point.
MAX_FINDINGS = 1000


@dataclass(frozen=True)
class Finding:
    """Something the ledger does not explain, naming the event or record it is about."""

    kind: str
    company: str
    detail: str
    event_id: int | None = None
    record_id: int | None = None

    def document(self) -> dict[str, Any]:
        """The finding as `verify --json` prints it."""
        return {
            "kind": self.kind,
            "company": self.company,
            "event_id": self.event_id,
            "record_id": self.record_id,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Redaction:
    """An event whose content an erasure removed, its leaf kept: not a finding."""

    company: str
    event_id: int
    erasure_request: int

    def document(self) -> dict[str, Any]:
        """The redaction as `verify --json` prints it."""
        return {
            "company": self.company,
            "event_id": self.event_id,
            "erasure_request": self.erasure_request,
        }


@dataclass
class Tally:
    """What verification found, added up over companies."""

    events: int = 0
    sealed: int = 0
    unsealed: int = 0
    redacted: int = 0
    seals: int = 0
    findings: list[Finding] = field(default_factory=list)
    findings_total: int = 0
    redactions: list[Redaction] = field(default_factory=list)

    def add_redaction(self, redaction: Redaction) -> None:
        """Count a redaction, keeping the first `MAX_FINDINGS`."""
        self.redacted += 1
        if len(self.redactions) < MAX_FINDINGS:
            self.redactions.append(redaction)

    def add(self, finding: Finding) -> None:
        """Count a finding, keeping the first `MAX_FINDINGS`."""
        self.findings_total += 1
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(finding)

    @property
    def ok(self) -> bool:
        """Whether everything held."""
        return self.findings_total == 0


class _CompanyCheck:
    """The merge of one company's events, leaves and seals, a chunk of event ids at a
    time (see `verify_company`)."""

    def __init__(
        self, company_key: str, public: Ed25519PublicKey, tally: Tally, last_through: int
    ) -> None:
        self.company = company_key
        self.public = public
        self.tally = tally
        self.last_through = last_through
        self.frontier: Frontier = []
        # Leaf hashes read but not yet in the frontier (checking a seal folds them
        # in), with the tree size each leaf ends at, and that of the last one folded.
        self.unfolded: list[bytes] = []
        self.unfolded_ends: list[int] = []
        self.folded_end = 0
        self.next_index = 0
        self.last_event_id = 0
        self.previous_head_hash: bytes | None = None
        # The size of the last seal's tree: leaves past it are in no seal.
        self.sealed_size = 0

    def finding(self, kind: str, detail: str, event_id: int | None = None) -> None:
        self.tally.add(Finding(kind, self.company, detail, event_id))

    def merge(self, events: list[StoredEvent], leaves: list[StoredLeaf]) -> None:
        """Check a chunk: the events and the leaves of one range of event ids, each by id."""
        self.tally.events += len(events)
        position, count = 0, len(events)
        for leaf in leaves:
            while position < count and events[position].id < leaf.event_id:
                self.event_without_leaf(events[position])
                position += 1
            if position < count and events[position].id == leaf.event_id:
                self.leaf(leaf, events[position])
                position += 1
            else:
                self.finding(
                    "deleted_event", f"leaf {leaf.leaf_index}'s event is gone", leaf.event_id
                )
                self.leaf(leaf, None)
        for event in events[position:]:
            self.event_without_leaf(event)

    def event_without_leaf(self, event: StoredEvent) -> None:
        if event.id <= self.last_through:
            self.finding(
                "inserted_event",
                f"event {event.id} is below the last seal (through event "
                f"{self.last_through}) but in no seal",
                event.id,
            )
        else:
            self.tally.unsealed += 1

    def leaf(self, leaf: StoredLeaf, stored: StoredEvent | None) -> None:
        if stored is not None and stored_leaf_hash(stored) != leaf.leaf_hash:
            event = ledger_event(stored)
            content = event_leaf_hash(event)
            if content != leaf.leaf_hash and not self.redacted(event, content, leaf):
                self.finding(
                    "edited_event",
                    f"event {event.id} no longer matches its leaf {leaf.leaf_index}",
                    event.id,
                )
        if leaf.leaf_index != self.next_index:
            self.finding(
                "missing_leaf",
                f"leaves jump from index {self.next_index - 1} to {leaf.leaf_index}",
                leaf.event_id,
            )
        if leaf.event_id <= self.last_event_id:
            self.finding(
                "reordered_leaf", f"leaf {leaf.leaf_index} is out of event order", leaf.event_id
            )
        self.unfolded.append(leaf.leaf_hash)
        self.unfolded_ends.append(leaf.leaf_index + 1)
        self.next_index = leaf.leaf_index + 1
        self.last_event_id = leaf.event_id
        self.tally.sealed += 1

    def fold_through(self, tree_size: int) -> None:
        """Fold the leaves read into the frontier up to the first that reaches
        `tree_size` (all of them, when none does)."""
        folded = 0
        for end in self.unfolded_ends:
            if self.folded_end >= tree_size:
                break
            self.folded_end = end
            folded += 1
        append_leaves(self.frontier, self.unfolded[:folded])
        del self.unfolded[:folded], self.unfolded_ends[:folded]

    def redacted(self, event: LedgerEvent, content: bytes, leaf: StoredLeaf) -> bool:
        """Whether an event that no longer encodes to its leaf (its `content` hash) was
        erased: marked redacted by an erasure request that kept exactly that leaf's
        hash, and unchanged since the erasure."""
        if (
            event.redacted_by is None
            or event.original_leaf != leaf.leaf_hash
            or event.redacted_leaf != content
        ):
            return False
        self.tally.add_redaction(Redaction(self.company, event.id, event.redacted_by))
        return True

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


def _last_through(seal: SealRow | None) -> int:
    """The event id the last seal is through, as its signed head says when it says."""
    if seal is None:
        return 0
    try:
        return parse_head(seal.head.encode()).through_event_id
    except ValueError:
        return seal.through_event_id


async def verify_company(
    connection: Connection,
    company_id: int,
    company_key: str,
    public: Ed25519PublicKey,
    tally: Tally,
) -> None:
    """Check one company's ledger, adding what it finds to `tally`.

    A chunk is a page of events and the leaves of the same range of event ids; the
    seals its leaves reach are checked after it. One chunk is in memory at a time."""
    check = _CompanyCheck(
        company_key, public, tally, _last_through(await stored.latest_seal(connection, company_id))
    )
    after, seals_above = 0, 0
    while True:
        events = await stored.stored_events_page(connection, company_id, after, NO_BOUND, PAGE)
        through = events[-1].id if len(events) == PAGE else NO_BOUND
        leaves = await stored.leaves_of_events(connection, company_id, after, through, PAGE)
        if len(leaves) == PAGE and leaves[-1].event_id < through:
            # Leaves of deleted events crowd the range: the chunk ends at the last read.
            through = leaves[-1].event_id
            events = events[: bisect_right(events, through, key=lambda event: event.id)]
        check.merge(events, leaves)
        last_chunk = through == NO_BOUND
        seals_above = await _check_seals(
            connection, company_id, check, seals_above, NO_BOUND if last_chunk else check.next_index
        )
        if last_chunk:
            break
        after = through
    if check.next_index > check.sealed_size:
        check.finding(
            "unsealed_leaf",
            f"leaves {check.sealed_size} to {check.next_index - 1} are in no seal",
        )


async def _check_seals(
    connection: Connection, company_id: int, check: _CompanyCheck, above: int, through: int
) -> int:
    """Check the seals of more than `above` and at most `through` leaves; the tree size
    of the last one."""
    while seals := await stored.seals_page(connection, company_id, above, through, PAGE):
        for seal in seals:
            check.seal(seal)
        above = seals[-1].tree_size
        if len(seals) < PAGE:
            break
    return above
