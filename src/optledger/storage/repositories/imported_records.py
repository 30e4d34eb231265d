"""Imported subscription records, their `subscription_created` events and attribute
values, a batch at a time.

A record goes in only where its contact point has no open record on the list (the
partial unique index `uq_subscription_records_open`), and each record that went in
gets its event, with the webhook deliveries of the event's topic, in the same
statement on PostgreSQL and the same transaction on SQLite.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from optledger.observability.metrics import CONSENT_EVENTS
from optledger.storage.repositories.events import RETURNED_FOR_WEBHOOKS, NewEvent, fan_out_from
from optledger.storage.sql import Connection, Query, json_text, sqlite_time

_RECORD_COLUMNS = """company_id, person_id, list_id, unit_id, type, channel, contact_value,
    status, single_opt_in, opt_in_date, disclosure_text, language, country, source,
    credential_id, client_ip, user_agent, consented_at, created_at, updated_at"""
_EVENT_COLUMNS = """company_id, type, person_id, record_id, channel, contact_value, data,
    credential_id, client_ip, user_agent, created_at, topic"""
_ON_OPEN_CONFLICT = """ON CONFLICT (company_id, list_id, contact_value)
    WHERE status IN ('PENDING', 'ACTIVE') DO NOTHING"""

OPEN_IMPORTED_RECORDS = Query(
    f"""INSERT INTO subscription_records ({_RECORD_COLUMNS})
    SELECT :company_id, json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'), :unit_id,
        :type, json_extract(r.value, '$[2]'), json_extract(r.value, '$[3]'), :status,
        :single_opt_in, json_extract(r.value, '$[4]'), :disclosure_text, :language, :country,
        :source, :credential_id, :client_ip, :user_agent, json_extract(r.value, '$[4]'), :now,
        :now
    FROM json_each(:rows) AS r WHERE true
    {_ON_OPEN_CONFLICT}
    RETURNING id, list_id, contact_value""",
    # Typed once: several parameters are used in more than one place.
    postgresql=f"""INSERT INTO subscription_records ({_RECORD_COLUMNS})
    SELECT :company_id::bigint, r.person_id, r.list_id, :unit_id::bigint, :type::text,
        r.channel, r.contact_value, :status::text, :single_opt_in::boolean, r.consented_at,
        :disclosure_text::text, :language::text, :country::text, :source::text,
        :credential_id::bigint, :client_ip::text, :user_agent::text, r.consented_at,
        :now::timestamptz, :now
    FROM unnest(:person_ids::bigint[], :list_ids::bigint[], :channels::text[],
        :contacts::text[], :consented::timestamptz[])
        WITH ORDINALITY AS r(person_id, list_id, channel, contact_value, consented_at, n)
    ORDER BY r.n
    {_ON_OPEN_CONFLICT}
    RETURNING id, list_id, contact_value""",
)
# The events of the records opened, and their webhook deliveries (PostgreSQL: in the
# same statement). The records' ids come back from their insert first: an events
# statement joining the inserted records to the input would be planned as a nested
# loop (the planner cannot size either side), quadratic in the batch.
INSERT_CREATED_EVENTS = Query(
    f"""INSERT INTO events ({_EVENT_COLUMNS})
    SELECT :company_id, :e_type, json_extract(e.value, '$[0]'), json_extract(e.value, '$[1]'),
        json_extract(e.value, '$[2]'), json_extract(e.value, '$[3]'),
        json_extract(e.value, '$[4]'), :credential_id, :client_ip,
        :user_agent, :e_created_at, :e_topic
    FROM json_each(:events) AS e
    RETURNING id""",
    postgresql=f"""WITH created AS (
        INSERT INTO events ({_EVENT_COLUMNS})
        SELECT :company_id, :e_type, e.person_id, e.record_id, e.channel, e.contact_value,
            e.data::json, :credential_id, :client_ip, :user_agent, :e_created_at, :e_topic
        FROM unnest(:person_ids::bigint[], :record_ids::bigint[], :channels::text[],
            :contacts::text[], :data::text[])
            WITH ORDINALITY AS e(person_id, record_id, channel, contact_value, data, n)
        ORDER BY e.n
        {RETURNED_FOR_WEBHOOKS}
    ) {fan_out_from("created")}""",
)
FAN_OUT_EVENTS = Query(
    fan_out_from(
        """(SELECT id, company_id, topic, channel, contact_value, person_id, created_at
        FROM events WHERE id IN (SELECT value FROM json_each(:ids)))"""
    )
)
# A value that did not change keeps its row and time, and is not returned.
UPSERT_VALUES_OF_MANY = Query(
    """INSERT INTO person_attributes (company_id, person_id, definition_id, name, value,
        updated_at)
    SELECT :company_id, json_extract(v.value, '$[0]'), json_extract(v.value, '$[3]'),
        json_extract(v.value, '$[1]'), json_extract(v.value, '$[2]'), :now
    FROM json_each(:values) AS v WHERE true
    ON CONFLICT (company_id, person_id, name) DO UPDATE
    SET value = excluded.value, definition_id = excluded.definition_id,
        updated_at = excluded.updated_at
    WHERE person_attributes.value IS NOT excluded.value
    RETURNING person_id, name""",
    postgresql="""INSERT INTO person_attributes (company_id, person_id, definition_id, name,
        value, updated_at)
    SELECT :company_id, v.person_id, v.definition_id, v.name, v.value::json, :now
    FROM unnest(:person_ids::bigint[], :names::text[], :texts::text[],
                :definition_ids::bigint[]) AS v(person_id, name, value, definition_id)
    ON CONFLICT (company_id, person_id, name) DO UPDATE
    SET value = excluded.value, definition_id = excluded.definition_id,
        updated_at = excluded.updated_at
    WHERE person_attributes.value::text IS DISTINCT FROM excluded.value::text
    RETURNING person_id, name""",
)


@dataclass(frozen=True)
class ImportedRecords:
    """ACTIVE records to open through one unit: what they share, then one list per column.

    Each (list, contact value) appears once. `evidence` is a JSON object per record
    that its event's data is extended with.
    """

    company_id: int
    unit_id: int
    type: str
    status: str
    single_opt_in: bool
    disclosure_text: str | None
    language: str
    country: str
    source: str
    now: datetime
    person_ids: list[int]
    list_ids: list[int]
    channels: list[str]
    contacts: list[str]
    consented_at: list[datetime]
    evidence: list[str]


def _shared(records: ImportedRecords, created: NewEvent) -> dict[str, Any]:
    return {
        "company_id": records.company_id,
        "unit_id": records.unit_id,
        "type": records.type,
        "status": records.status,
        "single_opt_in": records.single_opt_in,
        "disclosure_text": records.disclosure_text,
        "language": records.language,
        "country": records.country,
        "source": records.source,
        "credential_id": created.credential_id,
        "client_ip": created.client_ip,
        "user_agent": created.user_agent,
        "now": records.now,
    }


async def open_imported_records(
    connection: Connection, records: ImportedRecords, created: NewEvent
) -> dict[tuple[int, str], int]:
    """Open the records whose contact point has no open record on their list, each
    with an event like `created` (its data extended with the record's evidence).

    Returns the id of each record opened, by (list id, contact value).
    """
    if not records.contacts:
        return {}
    records = _in_key_order(records)
    params = _shared(records, created)
    if connection.is_sqlite:
        columns = zip(
            records.person_ids,
            records.list_ids,
            records.channels,
            records.contacts,
            (sqlite_time(moment) for moment in records.consented_at),
            strict=True,
        )
        params["rows"] = list(columns)
    else:
        params.update(
            person_ids=records.person_ids,
            list_ids=records.list_ids,
            channels=records.channels,
            contacts=records.contacts,
            consented=records.consented_at,
        )
    rows = await connection.fetch(OPEN_IMPORTED_RECORDS, params)
    # By position: a name lookup on each of thousands of rows costs more than the rest.
    opened = {(row[1], row[2]): row[0] for row in rows}
    if opened:
        await _insert_events(connection, records, opened, created)
    return opened


def _in_key_order(records: ImportedRecords) -> ImportedRecords:
    """The records sorted by (list, contact value): batches written at once then wait
    for each other on the open-record index, never deadlock."""
    order = sorted(
        range(len(records.contacts)), key=lambda i: (records.list_ids[i], records.contacts[i])
    )
    return dataclasses.replace(
        records,
        person_ids=[records.person_ids[i] for i in order],
        list_ids=[records.list_ids[i] for i in order],
        channels=[records.channels[i] for i in order],
        contacts=[records.contacts[i] for i in order],
        consented_at=[records.consented_at[i] for i in order],
        evidence=[records.evidence[i] for i in order],
    )


async def _insert_events(
    connection: Connection,
    records: ImportedRecords,
    opened: dict[tuple[int, str], int],
    created: NewEvent,
) -> None:
    # Each event's data is the created event's, extended with the record's evidence,
    # written once here in the one JSON form every event's data has.
    events = [
        (person_id, opened[(list_id, contact)], channel, contact, _with_evidence(created, evidence))
        for person_id, list_id, channel, contact, evidence in zip(
            records.person_ids,
            records.list_ids,
            records.channels,
            records.contacts,
            records.evidence,
            strict=True,
        )
        if (list_id, contact) in opened
    ]
    params: dict[str, Any] = {
        "company_id": records.company_id,
        "credential_id": created.credential_id,
        "client_ip": created.client_ip,
        "user_agent": created.user_agent,
        "e_type": created.type,
        "e_created_at": created.created_at,
        "e_topic": created.topic,
    }
    if connection.is_sqlite:
        # Each event's data travels as JSON text inside the array.
        params["events"] = events
        ids = [row[0] for row in await connection.fetch(INSERT_CREATED_EVENTS, params)]
        if created.topic is not None and await connection.execute(FAN_OUT_EVENTS, {"ids": ids}):
            connection.webhooks_written = True
    else:
        person_ids, record_ids, channels, contacts, data = zip(*events, strict=True)
        params.update(
            person_ids=person_ids,
            record_ids=record_ids,
            channels=channels,
            contacts=contacts,
            data=data,
        )
        await connection.execute(INSERT_CREATED_EVENTS, params)
    # One increment for the batch: `count_consent_events` counts one event at a time.
    CONSENT_EVENTS.labels(created.type).inc(len(events))


def _with_evidence(created: NewEvent, evidence: str) -> str:
    """The data of a record's `created` event: the batch's, with the record's evidence."""
    return json_text({**created.data, **json.loads(evidence)})


async def upsert_values_of_many(
    connection: Connection,
    company_id: int,
    values: Sequence[tuple[int, str, Any, int | None]],
    now: datetime,
) -> set[tuple[int, str]]:
    """Set (person id, name, value, definition id) attribute values, each (person, name)
    once; returns the (person id, name) pairs whose value changed."""
    if not values:
        return set()
    values = sorted(values, key=lambda value: (value[0], value[1]))  # lock order, as above
    texts = [json.dumps(value) for _, _, value, _ in values]
    params: dict[str, Any] = {"company_id": company_id, "now": now}
    if connection.is_sqlite:
        params["values"] = [
            (person_id, name, text, definition_id)
            for (person_id, name, _, definition_id), text in zip(values, texts, strict=True)
        ]
    else:
        params.update(
            person_ids=[person_id for person_id, _, _, _ in values],
            names=[name for _, name, _, _ in values],
            texts=texts,
            definition_ids=[definition_id for _, _, _, definition_id in values],
        )
    rows = await connection.fetch(UPSERT_VALUES_OF_MANY, params)
    return {(row["person_id"], row["name"]) for row in rows}
