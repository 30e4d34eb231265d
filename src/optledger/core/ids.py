"""Database ids as callers send them: digits in a path or body, or JSON numbers."""

from __future__ import annotations

# Ids are BIGINT on PostgreSQL: anything larger names nothing (and must not reach SQL).
MAX_STORED_ID = 2**63 - 1


def parse_stored_id(raw: int | str) -> int | None:
    """The id a wire value names, or None if it cannot name a stored row."""
    if isinstance(raw, str):
        text = raw.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            return None
        raw = int(text)
    return raw if 1 <= raw <= MAX_STORED_ID else None
