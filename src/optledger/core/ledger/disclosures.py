"""The disclosure a person was shown, sealed by its digest.

A record keeps the disclosure text as shown; the event that creates the record
carries the text's SHA-256, so the ledger seals the text too (without repeating it
in every event), and a proof's reader can check the record's text against the seal.
"""

from __future__ import annotations

import hashlib
from typing import Any

DIGEST_FIELD = "disclosure_sha256"


def disclosure_digest(text: str) -> str:
    """The hex SHA-256 of a disclosure's UTF-8 text."""
    return hashlib.sha256(text.encode()).hexdigest()


def with_disclosure(data: dict[str, Any], text: str | None) -> dict[str, Any]:
    """A creation event's data with the digest of the disclosure shown, if one was."""
    return data if text is None else {**data, DIGEST_FIELD: disclosure_digest(text)}
