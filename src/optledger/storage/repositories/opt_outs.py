"""An opt-out's writes together: end records, record its events, queue its notice.

The caller read the records first and decided; the write goes through only if
every record it means to end is still open, else nothing is written and the caller
decides again. On PostgreSQL that is one statement, atomic on its own, so the whole
opt-out needs no BEGIN/COMMIT: the read and this one statement. The statement
sets `synchronous_commit = remote_apply` for its own implicit transaction, so it is
acknowledged only once the synchronous standbys can no longer answer "eligible"
(see `Connection.lessen_eligibility`), at no extra round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
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
from optledger.storage.sql import Connection, Query, json_text

_OPEN = "status IN ('PENDING', 'ACTIVE')"

COUNT_OPEN = Query(
    f"""SELECT count(*) FROM subscription_records
    WHERE id IN (SELECT value FROM json_each(:ids)) AND {_OPEN}"""
)
END_RECORDS = Query(
    f"""UPDATE subscription_records
    SET status = 'ENDED', opt_out_date = :at, opt_out_reason = :reason, updated_at = :at
    WHERE id IN (SELECT value FROM json_each(:ids)) AND {_OPEN}"""
)
END_WITH_EVENTS_AND_NOTICE = Query(
    "",
    postgresql=f"""
    WITH applied_on_standbys AS (
        SELECT set_config('synchronous_commit', 'remote_apply', true)
    ), candidates AS (
        SELECT id FROM subscription_records
        WHERE id = ANY(:ids::bigint[]) AND {_OPEN} FOR UPDATE
    ), still_open AS (
        SELECT count(*) = cardinality(:ids::bigint[]) AS ok FROM candidates
    ), ended AS (
        UPDATE subscription_records r
        SET status = 'ENDED', opt_out_date = :at, opt_out_reason = :reason, updated_at = :at
        FROM candidates c WHERE r.id = c.id AND (SELECT ok FROM still_open)
    ), events AS (
        INSERT INTO events (company_id, type, person_id, record_id, channel, contact_value, data,
            credential_id, client_ip, user_agent, created_at, topic)
        SELECT e.company_id, e.type, e.person_id, e.record_id, e.channel, e.contact_value,
            e.data::json, e.credential_id, e.client_ip, e.user_agent, e.created_at, e.topic
        FROM unnest(:e_company_ids::bigint[], :e_types::text[], :e_person_ids::bigint[],
            :e_record_ids::bigint[], :e_channels::text[], :e_contacts::text[], :e_data::text[],
            :e_credential_ids::bigint[], :e_client_ips::text[], :e_user_agents::text[],
            :e_created_at::timestamptz[], :e_topics::text[])
            AS e(company_id, type, person_id, record_id, channel, contact_value, data,
                 credential_id, client_ip, user_agent, created_at, topic)
        WHERE (SELECT ok FROM still_open)
        {RETURNED_FOR_WEBHOOKS}
    ), fanned AS (
        {fan_out_from("events")}
    ), message AS (
        INSERT INTO messages (company_id, person_id, channel, to_address, kind, body, locale,
            idempotency_key, status, attempts, next_attempt_at, created_at)
        SELECT :m_company_id::bigint, :m_person_id::bigint, :m_channel::text, :m_to::text,
            :m_kind::text, :m_body::text, :m_locale::text, :m_key::text, 'queued', 0,
            :m_created_at::timestamptz, :m_created_at
        WHERE :m_kind::text IS NOT NULL AND (SELECT ok FROM still_open)
        RETURNING id
    ), queued AS (
        INSERT INTO events (company_id, type, person_id, record_id, channel, contact_value, data,
            credential_id, client_ip, user_agent, created_at)
        SELECT :m_company_id, 'message_queued', :m_person_id, NULL, :m_channel, :m_to,
            :q_data::json, :q_credential_id::bigint, :q_client_ip::text, :q_user_agent::text,
            :m_created_at
        FROM message
    )
    SELECT (SELECT ok FROM still_open), (SELECT pg_notify('{OUTBOX_CHANNEL}', '') FROM message),
        (SELECT count(*) FROM applied_on_standbys)
    """,
)


def _event_arrays(events: Sequence[NewEvent]) -> dict[str, list[Any]]:
    rows = [event.params() for event in events]
    return {
        "e_company_ids": [row["company_id"] for row in rows],
        "e_types": [row["type"] for row in rows],
        "e_person_ids": [row["person_id"] for row in rows],
        "e_record_ids": [row["record_id"] for row in rows],
        "e_channels": [row["channel"] for row in rows],
        "e_contacts": [row["contact_value"] for row in rows],
        "e_data": [json_text(row["data"].value) for row in rows],
        "e_credential_ids": [row["credential_id"] for row in rows],
        "e_client_ips": [row["client_ip"] for row in rows],
        "e_user_agents": [row["user_agent"] for row in rows],
        "e_created_at": [row["created_at"] for row in rows],
        "e_topics": [row["topic"] for row in rows],
    }


def _message_params(notice: QueuedMessage | None) -> dict[str, Any]:
    if notice is None:
        names = ("company_id", "person_id", "channel", "to", "kind", "body", "locale", "key")
        return {
            **{f"m_{name}": None for name in (*names, "created_at")},
            **{f"q_{name}": None for name in ("data", "credential_id", "client_ip", "user_agent")},
        }
    message, queued = notice.message, notice.queued.params()
    return {
        "m_company_id": message.company_id,
        "m_person_id": message.person_id,
        "m_channel": message.channel,
        "m_to": message.to_address,
        "m_kind": message.kind,
        "m_body": message.body,
        "m_locale": message.locale,
        "m_key": message.idempotency_key,
        "m_created_at": message.created_at,
        "q_data": queued["data"],
        "q_credential_id": queued["credential_id"],
        "q_client_ip": queued["client_ip"],
        "q_user_agent": queued["user_agent"],
    }


async def end_with_events_and_notice(
    connection: Connection,
    ids: Sequence[int],
    reason: str,
    at: datetime,
    events: Sequence[NewEvent],
    notice: QueuedMessage | None,
) -> bool:
    """End records `ids`, append `events`, queue `notice`; all or, if one of the
    records is no longer open, nothing (returns False)."""
    ids = sorted(ids)
    connection.lessen_eligibility()
    if connection.is_sqlite:
        if await connection.fetchval(COUNT_OPEN, {"ids": ids}) != len(ids):
            return False
        if ids:
            await connection.execute(END_RECORDS, {"ids": ids, "reason": reason, "at": at})
        await insert_events(connection, events)
        if notice is not None:
            await queue_message(connection, notice)
        return True
    params = {
        "ids": ids,
        "reason": reason,
        "at": at,
        **_event_arrays(events),
        **_message_params(notice),
    }
    row = await connection.fetchrow(END_WITH_EVENTS_AND_NOTICE, params)
    done = bool(row is not None and row[0])
    if done:
        count_consent_events(event.type for event in events)
    connection.outbox_written = connection.outbox_written or (done and notice is not None)
    return done
