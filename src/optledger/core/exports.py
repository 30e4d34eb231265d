"""The consent ledger for an auditor: every record with its evidence, then every event,
then the latest signed tree head of each company exported.

Entries stream from one read-only snapshot a page at a time, so an export of any
size holds one page in memory and shows the ledger as it stood when it began. Each
entry is a flat mapping: `kind` (`record`, `event` or `checkpoint`), then its fields;
times are ISO-8601 in UTC. An event carries its ledger leaf hash (empty while not yet
sealed), and the checkpoints (as `optledger ledger checkpoint` prints them) are of
the same snapshot, so every leaf hash exported is in the tree a checkpoint signs: an
auditor checks an export against a checkpoint published elsewhere.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from optledger.core.companies import every_company, get_company_by_key
from optledger.core.errors import InvalidInput
from optledger.core.export_formats import CHECKPOINT, EVENT, EVENT_FIELDS, RECORD, RECORD_FIELDS
from optledger.core.ledger.sealing import latest_checkpoint
from optledger.storage.repositories import exports as stored
from optledger.storage.repositories.exports import ExportedEvent, ExportedRecord
from optledger.storage.snapshots import snapshot
from optledger.storage.sql import Connection

PAGE = 5000


def parse_since(text: str) -> datetime:
    """An ISO-8601 date or time (UTC when it has no offset)."""
    try:
        moment = datetime.fromisoformat(text.strip())
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(f"{text!r} is not an ISO-8601 date or time") from None


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def entry(item: ExportedRecord | ExportedEvent) -> dict[str, Any]:
    """One ledger entry as exported: its kind, then its fields by their exported names."""
    # A shallow copy: `dataclasses.asdict` deep-copies every value, two thirds of an
    # export's time, and the values are scalars or a dict decoded for this entry.
    values = dict(vars(item))
    kind = RECORD if isinstance(item, ExportedRecord) else EVENT
    values[f"{'subscription' if kind == RECORD else 'event'}_type"] = values.pop("type")
    values["kind"] = kind
    fields = RECORD_FIELDS if kind == RECORD else EVENT_FIELDS
    return {
        name: _time(value) if isinstance(value := values[name], datetime) else value
        for name in fields
    }


async def ledger(
    connection: Connection,
    company_key: str | None,
    since: datetime | None,
    *,
    page: int = PAGE,
) -> AsyncGenerator[dict[str, Any], None]:
    """Every record, then every event, oldest first: one company's (or all), changed or
    happened since `since` (or ever); then each of those companies' latest signed tree
    head. Read in one snapshot on `connection`."""
    async with snapshot(connection):
        company_id = None
        if company_key is not None:
            company = await get_company_by_key(connection, company_key)
            company_id, companies = company.id, [company]
        else:
            companies = await every_company(connection)
        after = 0
        while records := await stored.records_page(connection, after, company_id, since, page):
            for record in records:
                yield entry(record)
            after = records[-1].id
        after = 0
        while events := await stored.events_page(connection, after, company_id, since, page):
            for event in events:
                yield entry(event)
            after = events[-1].id
        for company in companies:
            checkpoint = await latest_checkpoint(connection, company.id)
            if checkpoint is not None:
                yield {"kind": CHECKPOINT, "company": company.key, "checkpoint": checkpoint}
