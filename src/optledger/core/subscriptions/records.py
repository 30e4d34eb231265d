"""Changes on subscription records shared by the flows."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from optledger.core.consent import OptOutReason, RecordStatus, is_open
from optledger.core.context import RequestContext
from optledger.core.events import EventType, event_on, record_events
from optledger.storage.repositories import records as stored
from optledger.storage.repositories.records import RecordRow
from optledger.storage.sql import Connection
from optledger.storage.types import utcnow


async def end_open_records(
    connection: Connection,
    records: Sequence[RecordRow],
    reason: OptOutReason,
    context: RequestContext,
) -> list[RecordRow]:
    """End the open ones among `records`, all at one time; returns those it ended.

    One opt-out shares one time, so it can be found again (START after STOP). A
    record a concurrent request ended first is left to that request.
    """
    candidates = {record.id: record for record in records if is_open(RecordStatus(record.status))}
    now = utcnow()
    ended_ids = set(await stored.end_records(connection, candidates, reason.value, now))
    ended = [
        dataclasses.replace(
            record, status=RecordStatus.ENDED.value, opt_out_date=now, opt_out_reason=reason.value
        )
        for record_id, record in candidates.items()
        if record_id in ended_ids
    ]
    await record_events(
        connection,
        [
            event_on(record, EventType.SUBSCRIPTION_ENDED, context, reason=reason.value)
            for record in ended
        ],
    )
    return ended
