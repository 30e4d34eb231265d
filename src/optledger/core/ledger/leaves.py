"""An event's content as a ledger leaf: one canonical byte string, versioned.

The bytes are UTF-8 JSON with sorted keys and no spaces, so the same event read
from SQLite or PostgreSQL, by this process or by an auditor's script, encodes the
same: times are ISO 8601 in UTC with microseconds and `Z`, the event's JSON data
is decoded and written again in the same canonical form, absent values are null.
A new field or form is a new `v`; a leaf keeps the version it was sealed with.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from optledger.core.ledger.merkle import leaf_hash
from optledger.storage.repositories.ledger import LedgerEvent

ENCODING_VERSION = 1


def canonical_json(document: Any) -> bytes:
    """`document` as canonical JSON bytes: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def utc_text(moment: datetime) -> str:
    """A time as the ledger writes it: ISO 8601, UTC, microseconds, `Z`."""
    # isoformat is several times faster than strftime, and always in this form here.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def encode_leaf(event: LedgerEvent) -> bytes:
    """The canonical bytes of an event's content (version 1)."""
    return canonical_json(
        {
            "v": ENCODING_VERSION,
            "id": event.id,
            "company_id": event.company_id,
            "type": event.type,
            "person_id": event.person_id,
            "record_id": event.record_id,
            "channel": event.channel,
            "contact_value": event.contact_value,
            "data": event.data,
            "credential_id": event.credential_id,
            "client_ip": event.client_ip,
            "user_agent": event.user_agent,
            "created_at": utc_text(event.created_at),
        }
    )


def event_leaf_hash(event: LedgerEvent) -> bytes:
    """The leaf hash of an event: RFC 9162's leaf hash of its canonical bytes."""
    return leaf_hash(encode_leaf(event))
