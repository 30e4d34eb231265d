"""Opening a subscription record: the record, its event and its message together.

On PostgreSQL this is one statement (the record insert guarded by the partial
unique index and the confirmation block, then the `subscription_created` event,
the message, its `message_queued` event and the outbox wake-up, each only if the
record was inserted); on SQLite, where a statement costs microseconds, the same
rows are written one statement at a time.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from optledger.observability.metrics import count_consent_events
from optledger.storage.database import OUTBOX_CHANNEL
from optledger.storage.repositories.events import (
    RETURNED_FOR_WEBHOOKS,
    NewEvent,
    fan_out_from,
    insert_events,
)
from optledger.storage.repositories.outbox import QueuedMessage, queue_message
from optledger.storage.repositories.records import NewRecord
from optledger.storage.sql import Connection, Query

_RECORD_COLUMNS = """company_id, person_id, list_id, unit_id, type, channel, contact_value,
    status, single_opt_in, opt_in_date, disclosure_text, language, country, source,
    credential_id, client_ip, user_agent, consented_at, created_at, updated_at"""
# Typed once for PostgreSQL: the statement uses several parameters in two places.
_RECORD_VALUES_TYPED = """:company_id::bigint, :person_id::bigint, :list_id::bigint,
    :unit_id::bigint, :type::text, :channel::text, :contact_value::text, :status::text,
    :single_opt_in::boolean, :opt_in_date::timestamptz, :disclosure_text::text,
    :language::text, :country::text, :source::text, :credential_id::bigint,
    :client_ip::text, :user_agent::text, :now::timestamptz, :now, :now"""
_RECORD_VALUES = """:company_id, :person_id, :list_id, :unit_id, :type, :channel,
    :contact_value, :status, :single_opt_in, :opt_in_date, :disclosure_text, :language,
    :country, :source, :credential_id, :client_ip, :user_agent, :now, :now, :now"""
# A NO to this unit's prompt keeps it from prompting again, unless the number asked.
_NOT_BLOCKED = """NOT (CAST(:guard_block AS BOOLEAN) AND EXISTS (
        SELECT 1 FROM confirmation_blocks
        WHERE company_id = :company_id AND unit_id = :unit_id
          AND contact_value = :contact_value))"""
# Written only while the company's catalog is the one the core decided with.
_CATALOG_CURRENT = """(SELECT version FROM companies WHERE id = :company_id) = :catalog_version"""
_ON_OPEN_CONFLICT = """ON CONFLICT (company_id, list_id, contact_value)
    WHERE status IN ('PENDING', 'ACTIVE') DO NOTHING"""
_EVENT_COLUMNS = """company_id, type, person_id, record_id, channel, contact_value, data,
    credential_id, client_ip, user_agent, created_at, topic"""

INSERT_RECORD = Query(
    f"""INSERT INTO subscription_records ({_RECORD_COLUMNS})
    SELECT {_RECORD_VALUES} WHERE {_NOT_BLOCKED} AND {_CATALOG_CURRENT}
    {_ON_OPEN_CONFLICT} RETURNING id"""
)
OPEN_RECORD_WITH_MESSAGE = Query(
    "",
    postgresql=f"""
    WITH record AS (
        INSERT INTO subscription_records ({_RECORD_COLUMNS})
        SELECT {_RECORD_VALUES_TYPED} WHERE {_NOT_BLOCKED} AND {_CATALOG_CURRENT}
        {_ON_OPEN_CONFLICT} RETURNING id
    ), created AS (
        INSERT INTO events ({_EVENT_COLUMNS})
        SELECT :company_id, :e_type, :person_id, record.id, :channel, :contact_value,
            :e_data::json, :credential_id, :client_ip, :user_agent, :e_created_at::timestamptz,
            :e_topic::text
        FROM record
        {RETURNED_FOR_WEBHOOKS}
    ), fanned AS (
        {fan_out_from("created")}
    ), message AS (
        INSERT INTO messages (company_id, person_id, channel, to_address, kind, body, locale,
            idempotency_key, status, attempts, next_attempt_at, created_at)
        SELECT :company_id, :person_id, :channel, :contact_value, :m_kind::text, :m_body::text,
            :m_locale::text, :m_key::text, 'queued', 0, :m_created_at::timestamptz, :m_created_at
        FROM record WHERE :m_kind::text IS NOT NULL
        RETURNING id
    ), queued AS (
        INSERT INTO events ({_EVENT_COLUMNS})
        SELECT :company_id, 'message_queued', :person_id, NULL, :channel, :contact_value,
            :q_data::json, :credential_id, :client_ip, :user_agent, :m_created_at, NULL
        FROM message
    )
    SELECT record.id, (SELECT pg_notify('{OUTBOX_CHANNEL}', '') FROM message) IS NULL
    FROM record
    """,
)


async def open_record(
    connection: Connection,
    record: NewRecord,
    created: NewEvent,
    message: QueuedMessage | None,
    *,
    guard_block: bool,
    catalog_version: int,
) -> int | None:
    """Open `record` with its `created` event and `message`; returns the record id.

    None, with nothing written, when the contact point already has an open record
    on the list, (with `guard_block`) the unit's prompt was answered NO, or the
    company's catalog is no longer at `catalog_version`.
    """
    params: dict[str, Any] = {
        **vars(record),
        "guard_block": guard_block,
        "catalog_version": catalog_version,
    }
    if connection.is_sqlite:
        record_id = await connection.fetchval(INSERT_RECORD, params)
        if record_id is None:
            return None
        await insert_events(connection, [dataclasses.replace(created, record_id=record_id)])
        if message is not None:
            await queue_message(connection, message)
        return int(record_id)
    event = created.params()
    params.update(
        e_type=created.type,
        e_data=event["data"],
        e_created_at=created.created_at,
        e_topic=created.topic,
    )
    if message is None:
        params.update(m_kind=None, m_body=None, m_locale=None, m_key=None, m_created_at=None)
        params["q_data"] = None
    else:
        params.update(
            m_kind=message.message.kind,
            m_body=message.message.body,
            m_locale=message.message.locale,
            m_key=message.message.idempotency_key,
            m_created_at=message.message.created_at,
            q_data=message.queued.params()["data"],
        )
        connection.outbox_written = True
    row = await connection.fetchrow(OPEN_RECORD_WITH_MESSAGE, params)
    if row is None:
        connection.outbox_written = False
        return None
    count_consent_events([created.type])
    return int(row[0])
