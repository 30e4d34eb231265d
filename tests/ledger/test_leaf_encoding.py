"""The leaf template writes exactly what canonical JSON writes; the database writes
an event's leaf bytes from its stored columns exactly as the core encodes the event;
and an event stored in another form of the same content is decoded and holds."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optledger.core.ledger.leaves import (
    ENCODING_VERSION,
    canonical_json,
    encode_leaf,
    event_leaf_hash,
    stored_content_hash,
    utc_text,
)
from optledger.core.use_cases.ledger import seal_ledger, verify_ledger
from optledger.storage.database import Database
from optledger.storage.repositories.events import NewEvent, insert_event_returning_id
from optledger.storage.repositories.leaf_columns import leaves_of_events
from optledger.storage.repositories.leaf_contents import leaf_contents_page
from optledger.storage.repositories.ledger import (
    LedgerEvent,
    ledger_event,
    stored_events_page,
)
from optledger.storage.sql import Connection
from optledger.storage.urls import sqlite_path
from tests.conftest import Tenant, make_tenant
from tests.support.ledger import EVENT_IDS, change, event_row, ids_of, subscribe_many

texts = st.text(max_size=40)
ids = st.integers(min_value=1, max_value=2**62)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=12,
)


def _storable(value: object) -> bool:
    """Whether a JSON value holds only text the columns can store (no NUL, no lone
    surrogate)."""
    text = json.dumps(value, ensure_ascii=False)
    return "\\u0000" not in text and not any("\ud800" <= char <= "\udfff" for char in text)


events = st.builds(
    LedgerEvent,
    id=ids,
    company_id=ids,
    type=texts,
    person_id=st.none() | ids,
    record_id=st.none() | ids,
    channel=st.none() | texts,
    contact_value=st.none() | texts,
    data=st.dictionaries(texts, json_values, max_size=5),
    credential_id=st.none() | ids,
    client_ip=st.none() | texts,
    user_agent=st.none() | texts,
    created_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)


@given(events)
def test_the_template_writes_what_canonical_json_writes(event: LedgerEvent) -> None:
    document = {
        "v": ENCODING_VERSION,
        "id": event.id,
        "company_id": event.company_id,
        "type": event.type,
        "person_id": event.person_id,
        "record_id": event.record_id,
        "channel": event.channel,
        "contact_value": event.contact_value,
        "data": event.data,
        "credential_id": event.credential_id,
        "client_ip": event.client_ip,
        "user_agent": event.user_agent,
        "created_at": utc_text(event.created_at),
    }
    assert encode_leaf(event) == canonical_json(document)


# What the columns can hold on both databases: no NUL, no lone surrogate.
stored_texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)
stored_times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    type=stored_texts.map(lambda text: text[:48]),
    channel=st.none() | stored_texts.map(lambda text: text[:8]),
    contact_value=st.none() | stored_texts,
    data=st.dictionaries(stored_texts, json_values.filter(_storable), max_size=5),
    client_ip=st.none() | stored_texts,
    user_agent=st.none() | stored_texts,
    created_at=stored_times,
)
async def test_the_database_writes_the_leaf_the_core_encodes(
    tenant: Tenant,
    type: str,
    channel: str | None,
    contact_value: str | None,
    data: dict[str, object],
    client_ip: str | None,
    user_agent: str | None,
    created_at: datetime,
) -> None:
    event = NewEvent(
        company_id=tenant.company_id,
        type=type,
        created_at=created_at,
        channel=channel,
        contact_value=contact_value,
        data=data,
        client_ip=client_ip,
        user_agent=user_agent,
    )
    event_id = await tenant.database.run(
        lambda connection: insert_event_returning_id(connection, event)
    )
    written = await tenant.database.read(
        lambda connection: leaf_contents_page(
            connection, tenant.company_id, event_id - 1, event_id, 1
        )
    )
    [stored] = await tenant.database.read(
        lambda connection: stored_events_page(
            connection, tenant.company_id, event_id - 1, event_id, 1
        )
    )
    assert written.ids == [event_id]
    matches = stored_content_hash(written.contents[0]) == event_leaf_hash(ledger_event(stored))
    texts = (type, channel, contact_value, client_ip, user_agent)
    if not tenant.database.is_sqlite and any(map(_has_control_character, texts)):
        # PostgreSQL leaves a control character raw, which no leaf holds: it is decoded.
        assert not matches
    else:
        assert matches


def _has_control_character(text: str | None) -> bool:
    return text is not None and any("\x01" <= char <= "\x1f" for char in text)


async def test_an_event_stored_in_another_form_of_its_content_is_no_finding(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    await subscribe_many(client, 1)
    await seal_ledger(tenant.database, tenant.key)
    [event_id, *_] = await ids_of(tenant.database, EVENT_IDS, tenant.company_id)
    row = await event_row(tenant.database, event_id)
    data = row["data"] if isinstance(row["data"], dict) else json.loads(row["data"])
    # The same data, written with spaces and its keys in reverse, as older rows were.
    spaced = json.dumps(dict(reversed(list(data.items()))), indent=1)
    await change(
        tenant.database, "UPDATE events SET data = :data WHERE id = :id", data=spaced, id=event_id
    )
    if tenant.database.is_sqlite:
        # The same moment in another text form.
        await change(
            tenant.database,
            "UPDATE events SET created_at = replace(created_at, ' ', 'T') || '+00:00' "
            "WHERE id = :id",
            id=event_id,
        )
    written = await tenant.database.read(
        lambda connection: leaf_contents_page(
            connection, tenant.company_id, event_id - 1, event_id, 1
        )
    )
    [leaf] = (
        await tenant.database.read(
            lambda connection: leaves_of_events(
                connection, tenant.company_id, event_id - 1, event_id, 1
            )
        )
    ).hashes
    # The database's bytes are not the leaf's, so verification decodes it and looks again.
    assert stored_content_hash(written.contents[0]) != leaf
    assert (await verify_ledger(tenant.database, tenant.key)).findings == []


async def test_an_event_with_control_characters_is_checked_in_full(database: Database) -> None:
    tenant = await make_tenant(database, name="Control characters")
    event = NewEvent(
        company_id=tenant.company_id,
        type="subscription_created",
        created_at=datetime.now(UTC),
        data={"note": "a\tb"},
        user_agent="Agent\t1.0\r\n",
    )
    event_id = await database.run(lambda connection: insert_event_returning_id(connection, event))
    await seal_ledger(database, tenant.key)
    assert (await verify_ledger(database, tenant.key)).findings == []
    await change(
        database,
        "UPDATE events SET user_agent = :agent WHERE id = :id",
        agent="Agent\t2.0",
        id=event_id,
    )
    findings = (await verify_ledger(database, tenant.key)).findings
    assert [(finding.kind, finding.event_id) for finding in findings] == [
        ("edited_event", event_id)
    ]


# A leaf's hash changed: to another well-formed hash, and out of form (PostgreSQL
# then reads that page of leaves row by row instead of as one packed row).
LEAF_CHANGES = {
    "another hash": "UPDATE ledger_leaves SET leaf_hash = :other WHERE event_id = :id",
    "a hash cut short": (
        "UPDATE ledger_leaves SET leaf_hash = substr(leaf_hash, 1, 62) WHERE event_id = :id"
    ),
    "a hash that is no hex": (
        "UPDATE ledger_leaves SET leaf_hash = 'zz' || substr(leaf_hash, 3) WHERE event_id = :id"
    ),
}


@pytest.mark.parametrize("leaf_change", LEAF_CHANGES)
async def test_a_changed_leaf_hash_is_found(
    tenant: Tenant, client: httpx.AsyncClient, leaf_change: str
) -> None:
    await subscribe_many(client, 3)
    await seal_ledger(tenant.database, tenant.key)
    [_, event_id, *_] = await ids_of(tenant.database, EVENT_IDS, tenant.company_id)
    await change(tenant.database, LEAF_CHANGES[leaf_change], other="ab" * 32, id=event_id)
    findings = (await verify_ledger(tenant.database, tenant.key)).findings
    found = {(finding.kind, finding.event_id) for finding in findings}
    assert ("edited_event", event_id) in found
    assert "bad_root" in {finding.kind for finding in findings}


# Each change would pass for the sealed bytes, or stop verification, were the
# database to write them carelessly: with a function that stops at a NUL, as `printf`
# does; taking an id written as text as it is, which could then run into the next
# field; or a blob as its bytes, or as binary JSON.
TAMPERINGS = {
    "data with more after a NUL": (
        "UPDATE events SET data = data || char(0) || '{\"changed\":true}' WHERE id = :id"
    ),
    "an id as text with more after a NUL": (
        "UPDATE events SET person_id = 'null' || char(0) || '7' WHERE id = :id"
    ),
    "an id run into the data, and data that makes up for it": (
        "UPDATE events SET credential_id = 'null,\"data\":{\"a\":0', data = '1}' WHERE id = :id"
    ),
    "a time with more after a NUL": (
        "UPDATE events SET created_at = created_at || char(0) || 'later' WHERE id = :id"
    ),
    "an id as a blob": "UPDATE events SET person_id = X'01' WHERE id = :id",
    "a time as a blob of its text": (
        "UPDATE events SET created_at = CAST(created_at AS BLOB) WHERE id = :id"
    ),
    "a text as a blob of its bytes": "UPDATE events SET type = CAST(type AS BLOB) WHERE id = :id",
}


@pytest.mark.parametrize("tampering", TAMPERINGS)
async def test_a_row_changed_to_pass_for_its_sealed_bytes_is_found(
    database: Database, tampering: str
) -> None:
    if not database.is_sqlite:
        pytest.skip("PostgreSQL's columns hold only their own type, and no NUL")
    tenant = await make_tenant(database, name="Leaf bytes")
    event = NewEvent(
        company_id=tenant.company_id,
        type="subscription_created",
        created_at=datetime.now(UTC),
        data={"a": 0, "data": 1},
    )
    event_id = await database.run(lambda connection: insert_event_returning_id(connection, event))
    await seal_ledger(database, tenant.key)
    assert (await verify_ledger(database, tenant.key)).ok
    await _change_file(database, TAMPERINGS[tampering], id=event_id)
    findings = (await verify_ledger(database, tenant.key)).findings
    assert ("edited_event", event_id) in {(finding.kind, finding.event_id) for finding in findings}


async def test_an_event_whose_data_parts_the_page_is_found_alone(database: Database) -> None:
    if not database.is_sqlite:
        pytest.skip("PostgreSQL hashes each event's bytes apart")
    tenant = await make_tenant(database, name="Parted page")
    event_ids = await _sealed_events(database, tenant, 3)
    # The character that parts a page's contents, raw in one event's data.
    await _change_file(
        database,
        "UPDATE events SET data = '{\"n\":\"' || char(30) || '\"}' WHERE id = :id",
        id=event_ids[1],
    )
    findings = (await verify_ledger(database, tenant.key)).findings
    assert [(finding.kind, finding.event_id) for finding in findings] == [
        ("edited_event", event_ids[1])
    ]


async def test_a_leaf_index_changed_to_a_real_is_found(database: Database) -> None:
    if not database.is_sqlite:
        pytest.skip("PostgreSQL's integer columns hold only integers")
    tenant = await make_tenant(database, name="Real index")
    await _sealed_events(database, tenant, 3)
    await _change_file(
        database,
        "UPDATE ledger_leaves SET leaf_index = leaf_index + 0.5 WHERE company_id = :company_id",
        company_id=tenant.company_id,
    )
    # Read row by row: the leaves are out of place, and the tree is not the sealed one.
    kinds = {finding.kind for finding in (await verify_ledger(database, tenant.key)).findings}
    assert {"missing_leaf", "bad_root"} <= kinds


async def _sealed_events(database: Database, tenant: Tenant, count: int) -> list[int]:
    """`count` events of the tenant's, sealed: their ids."""

    async def insert(connection: Connection) -> list[int]:
        return [
            await insert_event_returning_id(
                connection,
                NewEvent(
                    company_id=tenant.company_id,
                    type="subscription_created",
                    created_at=datetime.now(UTC),
                    data={"n": number},
                ),
            )
            for number in range(count)
        ]

    event_ids = await database.run(insert)
    await seal_ledger(database, tenant.key)
    return event_ids


async def _change_file(database: Database, sql: str, **params: object) -> None:
    """Change the SQLite file as someone with it would: sqlite3 checks no foreign key
    by default."""
    path = sqlite_path(database.url)
    assert path is not None
    raw = sqlite3.connect(path)
    with raw:
        raw.execute(sql, params)
    raw.close()


async def test_a_time_moved_to_the_same_day_before_the_common_era_is_found(
    database: Database,
) -> None:
    if database.is_sqlite:
        pytest.skip("SQLite keeps a time as text, its year as written")
    tenant = await make_tenant(database, name="Era")
    event = NewEvent(
        company_id=tenant.company_id,
        type="subscription_created",
        created_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        data={"a": 0},
    )
    event_id = await database.run(lambda connection: insert_event_returning_id(connection, event))
    await seal_ledger(database, tenant.key)
    # The year 2026 BC: to_char writes its year as 2026 too.
    await change(
        database,
        "UPDATE events SET created_at = created_at - interval '4051 years' WHERE id = :id",
        id=event_id,
    )
    findings = (await verify_ledger(database, tenant.key)).findings
    assert ("edited_event", event_id) in {(finding.kind, finding.event_id) for finding in findings}
