"""Sealing: a company's new events become leaves, and a signed head seals the tree.

An event is sealed when its id is at most the *watermark*, the id below which no
event will still commit (`storage.repositories.ledger.events_watermark`). Each
company's next seal takes its events with id in (its last seal's
`through_event_id`, watermark], in id order, so an event that commits late (after
a later id was written) is below no watermark until it has committed, and goes into
the next seal: none is skipped. Leaves are unique per event and per index, so a
second sealer racing the first loses, is replayed and finds nothing left to seal:
none is sealed twice.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from optledger.core.ledger.heads import SignedHead, TreeHead, sign_head
from optledger.core.ledger.keys import LedgerKey
from optledger.core.ledger.leaves import event_leaf_hash, utc_text
from optledger.core.ledger.merkle import extend, frontier_root
from optledger.storage.clock import utcnow
from optledger.storage.repositories import ledger as stored
from optledger.storage.repositories.ledger import SealRow
from optledger.storage.sql import Connection

# Events one seal takes at most: a backlog becomes several seals, each a short
# transaction (SQLite's one writer is never held for long).
SEAL_BATCH = 10_000


@dataclass(frozen=True)
class Sealed:
    """What one seal added to a company's tree."""

    company: str
    tree_size: int
    new_leaves: int
    through_event_id: int
    root_hash: str


def signed_head_of(seal: SealRow) -> SignedHead:
    """A stored seal's signed bytes and signature."""
    return SignedHead(seal.head.encode(), base64.b64decode(seal.signature))


async def latest_checkpoint(connection: Connection, company_id: int) -> dict[str, Any] | None:
    """The company's latest signed tree head as published (`SignedHead.checkpoint`), if
    it has been sealed."""
    seal = await stored.latest_seal(connection, company_id)
    return None if seal is None else signed_head_of(seal).checkpoint()


async def seal_company(
    connection: Connection,
    company_id: int,
    company_key: str,
    key: LedgerKey,
    watermark: int,
    batch: int = SEAL_BATCH,
) -> Sealed | None:
    """Seal up to `batch` of the company's events past its last seal and at most
    `watermark`; None when there are none."""
    last = await stored.latest_seal(connection, company_id)
    after = last.through_event_id if last is not None else 0
    events = await stored.events_page(connection, company_id, after, watermark, batch)
    if not events:
        return None
    start = last.tree_size if last is not None else 0
    # An event erased before it was sealed is sealed as it was (see `event_redaction`).
    hashes = [event.original_leaf or event_leaf_hash(event) for event in events]
    await stored.insert_leaves(
        connection,
        company_id,
        start,
        [(event.id, h) for event, h in zip(events, hashes, strict=True)],
    )
    frontier = extend(last.frontier if last is not None else [], hashes)
    sealed_at = utcnow()
    head = TreeHead(
        company=company_key,
        tree_size=start + len(events),
        root_hash=frontier_root(frontier),
        previous_head_hash=None if last is None else signed_head_of(last).head_hash,
        through_event_id=events[-1].id,
        sealed_at=utc_text(sealed_at),
        key_id=key.key_id,
    )
    signed = sign_head(head, key)
    await stored.insert_seal(
        connection,
        SealRow(
            id=0,
            company_id=company_id,
            tree_size=head.tree_size,
            root_hash=head.root_hash.hex(),
            frontier=frontier,
            previous_head_hash=(
                None if head.previous_head_hash is None else head.previous_head_hash.hex()
            ),
            through_event_id=head.through_event_id,
            sealed_at=sealed_at,
            key_id=key.key_id,
            signature=base64.b64encode(signed.signature).decode(),
            head=signed.body.decode(),
        ),
    )
    return Sealed(
        company_key, head.tree_size, len(events), head.through_event_id, head.root_hash.hex()
    )
