"""A proof of consent: one contact point's records, their events as sealed leaves, and
an inclusion proof of each against one signed tree head.

The document is meant to leave the installation (to the subscriber, to counsel, to a
regulator) and be checked with nothing but the installation's public key:
`core.ledger.proofs.check_proof`, or the standard tools of docs/ledger.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from optledger.core.errors import NotFound
from optledger.core.ledger.keys import LedgerKey, public_key_pem
from optledger.core.ledger.leaves import encode_leaf, utc_text
from optledger.core.ledger.merkle import inclusion_proofs, leaf_hash
from optledger.core.ledger.sealing import signed_head_of
from optledger.storage.repositories.ledger import latest_seal, leaves_page
from optledger.storage.repositories.proofs import (
    EventLeaf,
    events_of_contact_point_records,
    records_of_contact_point,
)
from optledger.storage.sql import Connection

PROOF_VERSION = 1
PROOF_KIND = "optledger proof of consent"
LEAVES_PAGE = 10_000


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else utc_text(moment)


def _named(identifier: int | None, name: str | None) -> dict[str, Any] | None:
    return None if identifier is None else {"id": identifier, "name": name}


def record_document(record: dict[str, Any]) -> dict[str, Any]:
    """A record's evidence as the proof states it (times as the ledger writes them)."""
    return {
        "id": record["id"],
        "type": record["type"],
        "channel": record["channel"],
        "contact_value": record["contact_value"],
        "list": record["list_name"],
        "status": record["status"],
        "single_opt_in": bool(record["single_opt_in"]),
        "opt_in_date": _time(record["opt_in_date"]),
        "opt_out_date": _time(record["opt_out_date"]),
        "opt_out_reason": record["opt_out_reason"],
        "consented_at": _time(record["consented_at"]),
        "created_at": _time(record["created_at"]),
        "updated_at": _time(record["updated_at"]),
        "unit": _named(record["unit_id"], record["unit_name"]),
        "disclosure_as_shown": record["disclosure_text"],
        "language": record["language"],
        "country": record["country"],
        "source": record["source"],
        "credential": _named(record["credential_id"], record["credential_name"]),
        "client_ip": record["client_ip"],
        "user_agent": record["user_agent"],
    }


async def _leaf_hashes(connection: Connection, company_id: int, tree_size: int) -> list[bytes]:
    hashes: list[bytes] = []
    while len(hashes) < tree_size:
        page = await leaves_page(
            connection, company_id, len(hashes), min(LEAVES_PAGE, tree_size - len(hashes))
        )
        if not page:
            break
        hashes += [leaf.leaf_hash for leaf in page]
    return hashes


def _sealed(events: list[EventLeaf], tree_size: int) -> bool:
    return all(e.leaf_index is not None and e.leaf_index < tree_size for e in events)


async def consent_proof(
    connection: Connection, company_id: int, company_key: str, contact_value: str, key: LedgerKey
) -> dict[str, Any] | None:
    """The proof of consent of a contact point of the company, against its latest seal;
    None while some event of its records is not sealed yet; `NotFound` when the
    contact point has no record. Read in one snapshot."""
    records = await records_of_contact_point(connection, company_id, contact_value)
    if not records:
        raise NotFound("no subscriber has this phone or email")
    events = await events_of_contact_point_records(connection, company_id, contact_value)
    seal = await latest_seal(connection, company_id)
    if seal is None or not _sealed(events, seal.tree_size):
        return None
    hashes = await _leaf_hashes(connection, company_id, seal.tree_size)
    paths = inclusion_proofs(hashes, [e.leaf_index for e in events if e.leaf_index is not None])
    signed = signed_head_of(seal)
    return {
        "v": PROOF_VERSION,
        "kind": PROOF_KIND,
        "company": company_key,
        "contact_point": contact_value,
        "records": [record_document(record) for record in records],
        "events": [_event_document(e, paths) for e in events],
        "head": {
            "signed": signed.body.decode(),
            "signature": signed.checkpoint()["signature"],
            "key_id": seal.key_id,
        },
        "public_key": public_key_pem(key.public),
    }


def _event_document(found: EventLeaf, paths: dict[int, list[bytes]]) -> dict[str, Any]:
    assert found.leaf_index is not None  # `_sealed` held for every event
    content = encode_leaf(found.event)
    return {
        "event_id": found.event.id,
        "record_id": found.event.record_id,
        "type": found.event.type,
        "leaf": content.decode(),
        "leaf_index": found.leaf_index,
        "leaf_hash": leaf_hash(content).hex(),
        "inclusion_proof": [node.hex() for node in paths[found.leaf_index]],
    }
