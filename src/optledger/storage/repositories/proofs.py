"""What a proof of consent reads: a contact point's records with their evidence, and
their events with the leaf each became."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optledger.storage.repositories.ledger import LEDGER_EVENT_COLUMNS, LedgerEvent, ledger_event
from optledger.storage.sql import Connection, Query, as_dict, as_time

RECORDS_OF_CONTACT_POINT = Query(
    """SELECT r.id, r.type, r.channel, r.contact_value, r.status, r.single_opt_in,
        r.opt_in_date, r.opt_out_date, r.opt_out_reason, r.consented_at, r.created_at,
        r.updated_at, r.disclosure_text, r.language, r.country, r.source, r.client_ip,
        r.user_agent, r.unit_id, u.name AS unit_name, l.name AS list_name,
        r.credential_id, k.name AS credential_name
    FROM subscription_records r
    JOIN subscription_lists l ON l.id = r.list_id
    LEFT JOIN sign_up_units u ON u.id = r.unit_id
    LEFT JOIN credentials k ON k.id = r.credential_id
    WHERE r.company_id = :company_id AND r.contact_value = :contact_value
    ORDER BY r.id"""
)
# `LEDGER_EVENT_COLUMNS`, then the event's leaf index (null until sealed).
EVENTS_OF_CONTACT_POINT_RECORDS = Query(
    f"""SELECT {LEDGER_EVENT_COLUMNS}, f.leaf_index
    FROM events e
    JOIN subscription_records s ON s.id = e.record_id
    LEFT JOIN ledger_redactions r ON r.event_id = e.id
    LEFT JOIN ledger_leaves f ON f.event_id = e.id
    WHERE s.company_id = :company_id AND s.contact_value = :contact_value
        AND e.company_id = :company_id
    ORDER BY e.id"""
)


@dataclass(frozen=True)
class EventLeaf:
    """An event of a record, and its place in its company's tree if it is sealed."""

    event: LedgerEvent
    leaf_index: int | None


async def records_of_contact_point(
    connection: Connection, company_id: int, contact_value: str
) -> list[dict[str, Any]]:
    """Every record of the contact point, by id, with its unit, list and credential named."""
    params = {"company_id": company_id, "contact_value": contact_value}
    found = []
    for row in await connection.fetch(RECORDS_OF_CONTACT_POINT, params):
        values = as_dict(row)
        for name in ("opt_in_date", "opt_out_date", "consented_at", "created_at", "updated_at"):
            values[name] = as_time(values[name])
        found.append(values)
    return found


async def events_of_contact_point_records(
    connection: Connection, company_id: int, contact_value: str
) -> list[EventLeaf]:
    """Every event of the contact point's records, by id, with its leaf index."""
    params = {"company_id": company_id, "contact_value": contact_value}
    rows = await connection.fetch(EVENTS_OF_CONTACT_POINT_RECORDS, params)
    return [EventLeaf(ledger_event(row), None if row[15] is None else int(row[15])) for row in rows]
