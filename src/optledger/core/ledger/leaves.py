"""An event's content as a ledger leaf: one canonical byte string, versioned.

The bytes are UTF-8 JSON with sorted keys and no spaces, so the same event read
from SQLite or PostgreSQL, by this process or by an auditor's script, encodes the
same: times are ISO 8601 in UTC with microseconds and `Z`, the event's JSON data
is decoded and written again in the same canonical form, absent values are null.
A new field or form is a new `v`; a leaf keeps the version it was sealed with.

The outer object's keys are fixed, so it is written from a template (the same bytes
`canonical_json` gives, which the tests hold it to). Verification does not write them
itself: the database writes each event's bytes from its columns as stored, by the same
rules (`storage.repositories.leaf_contents`). Bytes that hash to the sealed leaf are
the sealed bytes, so the event is as sealed; only an event that does not match is
decoded, encoded canonically here and looked at again (an edit, a redaction, or data
written otherwise).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import cast

from optledger.core.ledger.merkle import leaf_hash
from optledger.storage.repositories.leaf_columns import PackedHashes
from optledger.storage.repositories.ledger import LedgerEvent

ENCODING_VERSION = 1

# The keys in sorted order, each value written as `canonical_json` writes it.
_TEMPLATE = (
    '{"channel":%s,"client_ip":%s,"company_id":%s,"contact_value":%s,"created_at":"%s",'
    '"credential_id":%s,"data":%s,"id":%s,"person_id":%s,"record_id":%s,"type":%s,'
    '"user_agent":%s,"v":' + str(ENCODING_VERSION) + "}"
)
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
# How `_CANONICAL` writes a string: escapes only what JSON requires.
_CANONICAL_STRING = json.encoder.encode_basestring


def canonical_json(document: object) -> bytes:
    """`document` as canonical JSON bytes: sorted keys, no spaces, UTF-8."""
    return _CANONICAL.encode(document).encode()


def utc_text(moment: datetime) -> str:
    """A time as the ledger writes it: ISO 8601, UTC, microseconds, `Z`."""
    # isoformat is several times faster than strftime, and always in this form here.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def encode_leaf(event: LedgerEvent) -> bytes:
    """The canonical bytes of an event's content (version 1)."""
    # Inline rather than a call per field: sealing runs this for every event.
    text = _CANONICAL_STRING
    return (
        _TEMPLATE
        % (
            "null" if event.channel is None else text(event.channel),
            "null" if event.client_ip is None else text(event.client_ip),
            event.company_id,
            "null" if event.contact_value is None else text(event.contact_value),
            utc_text(event.created_at),
            "null" if event.credential_id is None else event.credential_id,
            _CANONICAL.encode(event.data),
            event.id,
            "null" if event.person_id is None else event.person_id,
            "null" if event.record_id is None else event.record_id,
            text(event.type),
            "null" if event.user_agent is None else text(event.user_agent),
        )
    ).encode()


def event_leaf_hash(event: LedgerEvent) -> bytes:
    """The leaf hash of an event: RFC 9162's leaf hash of its canonical bytes."""
    return leaf_hash(encode_leaf(event))


def stored_content_hash(content: str | bytes | None) -> bytes | None:
    """The leaf hash of an event's content as the database wrote it in the leaf's form
    (`leaf_contents_page`): PostgreSQL hashed it itself, SQLite's text is hashed here."""
    if isinstance(content, str):
        return leaf_hash(content.encode())
    return content


def stored_content_hashes(contents: Sequence[str | bytes | None]) -> Sequence[bytes | None]:
    """`stored_content_hash` of each of a page's contents (`leaf_contents_page`),
    packed as a page's leaves come unless one has none; PostgreSQL's, hashed and
    packed, as they are."""
    if isinstance(contents, PackedHashes):
        return contents
    hashes = list(map(stored_content_hash, contents))
    if None in hashes:
        return hashes
    return PackedHashes(b"".join(cast(list[bytes], hashes)))
