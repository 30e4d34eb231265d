"""Erasure in the events: their personal content goes, their place in the ledger stays.

An event of the subject (holding one of their contact points, or about one of their
people) keeps its type, ids, record, channel and time, and loses the rest that
names someone: its contact point becomes `erased:<hash>` as everywhere else,
attribute values in its data become a redaction, and its IP address and user agent
go. In the same transaction the event is marked redacted by the request, with the
leaf hash of its content as it was: an event sealed before keeps its leaf, one not
yet sealed is sealed with that hash (`core.ledger.sealing`), so none escapes the
tree, and `optledger ledger verify` counts it as redacted rather than edited. The
leaf hash of what the erasure left is kept too, so an erased event edited
afterwards is still found.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from optledger.core.ledger.leaves import event_leaf_hash
from optledger.storage.repositories import privacy as stored
from optledger.storage.repositories.ledger import LedgerEvent, insert_redactions
from optledger.storage.sql import Connection

REDACTED_VALUE = "[erased]"
# Events rewritten a statement at a time: a subject with many messages is paged.
PAGE = 1000


def _erased(value: Any, redactions: Mapping[str, str]) -> Any:
    """`value` with every raw contact point in it replaced by its redaction."""
    if isinstance(value, str):
        return redactions.get(value, value)
    if isinstance(value, list):
        return [_erased(item, redactions) for item in value]
    if isinstance(value, dict):
        return {key: _erased(item, redactions) for key, item in value.items()}
    return value


def erased_data(data: dict[str, Any], redactions: Mapping[str, str]) -> dict[str, Any]:
    """An event's data without personal data: attribute values (their names stay, to
    say what was set) and any raw contact point."""
    erased: dict[str, Any] = _erased(data, redactions)
    attributes = erased.get("attributes")
    if isinstance(attributes, dict):
        erased["attributes"] = dict.fromkeys(attributes, REDACTED_VALUE)
    return erased


def erased_event(event: LedgerEvent, redactions: Mapping[str, str]) -> LedgerEvent:
    """The event as the erasure leaves it."""
    contact = event.contact_value
    return replace(
        event,
        contact_value=None if contact is None else redactions.get(contact, contact),
        data=erased_data(event.data, redactions),
        client_ip=None,
        user_agent=None,
    )


async def redact_events(
    connection: Connection,
    company_id: int,
    redactions: Mapping[str, str],
    person_ids: Collection[int],
    privacy_request_id: int,
) -> int:
    """Erase the subject's personal content from the company's events, mark each one
    redacted by the request with its leaf hashes before and after; the count redacted."""
    after, count = 0, 0
    while page := await stored.subject_events_page(
        connection, company_id, list(redactions), person_ids, after, PAGE
    ):
        erased = [erased_event(event, redactions) for event in page]
        await insert_redactions(
            connection,
            company_id,
            privacy_request_id,
            [
                (event.id, _original_leaf(event), event_leaf_hash(left))
                for event, left in zip(page, erased, strict=True)
            ],
        )
        await stored.redact_events(connection, [(e.id, e.contact_value, e.data) for e in erased])
        after, count = page[-1].id, count + len(page)
    return count


def _original_leaf(event: LedgerEvent) -> bytes:
    # Erased once already: its content is no longer the original, its redaction keeps it.
    return event.original_leaf if event.original_leaf is not None else event_leaf_hash(event)
