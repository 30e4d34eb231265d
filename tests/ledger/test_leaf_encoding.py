"""The leaf template writes exactly what canonical JSON writes, and an event as the
product stores it hashes, as stored, to the leaf of its decoded content."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from optledger.core.ledger.leaves import (
    ENCODING_VERSION,
    canonical_json,
    encode_leaf,
    event_leaf_hash,
    stored_leaf_hash,
    utc_text,
)
from optledger.storage.repositories.events import NewEvent, insert_event_returning_id
from optledger.storage.repositories.ledger import (
    NO_BOUND,
    LedgerEvent,
    StoredEvent,
    ledger_event,
    stored_events_page,
)
from tests.conftest import Tenant

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


@given(events)
def test_an_event_stored_canonically_hashes_the_same_as_stored(event: LedgerEvent) -> None:
    stored = StoredEvent(
        *(getattr(event, name) for name in StoredEvent._fields[:7]),
        canonical_json(event.data).decode(),
        event.credential_id,
        event.client_ip,
        event.user_agent,
        # As each database hands a time back: aware from PostgreSQL, text from SQLite.
        event.created_at,
        None,
        None,
        None,
    )
    assert stored_leaf_hash(stored) == event_leaf_hash(event)
    sqlite_form = event.created_at.replace(tzinfo=None).isoformat(" ", "microseconds")
    assert stored_leaf_hash(stored._replace(created_at=sqlite_form)) == event_leaf_hash(event)


def test_a_time_in_another_zone_or_form_is_left_to_the_decoded_path() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    event = LedgerEvent(1, 1, "t", None, None, None, None, {}, None, None, None, moment)
    stored = StoredEvent(1, 1, "t", None, None, None, None, "{}", None, None, None, moment,
                         None, None, None)  # fmt: skip
    assert stored_leaf_hash(stored) == event_leaf_hash(event)
    east = moment.astimezone(timezone(timedelta(hours=2)))
    assert stored_leaf_hash(stored._replace(created_at=east)) is None
    assert stored_leaf_hash(stored._replace(created_at="2026-01-02T03:04:05+00:00")) is None
    assert stored_leaf_hash(stored._replace(data={"decoded": True})) is None


async def test_the_product_stores_an_event_in_the_form_the_leaf_takes_as_stored(
    tenant: Tenant,
) -> None:
    event = NewEvent(
        company_id=tenant.company_id,
        type="subscription_created",
        created_at=datetime.now(UTC),
        channel="TEXT",
        contact_value="+19145550100",
        data={"source": "API", "nested": {"z": "é ✓", "a": [1.5, None, True]}},
        user_agent='Mozilla/5.0 "quoted"',
    )
    event_id = await tenant.database.run(
        lambda connection: insert_event_returning_id(connection, event)
    )
    [stored] = await tenant.database.read(
        lambda connection: stored_events_page(
            connection, tenant.company_id, event_id - 1, NO_BOUND, 1
        )
    )
    assert stored.data == canonical_json(event.data).decode()
    fast = stored_leaf_hash(stored)
    assert fast is not None
    assert fast == event_leaf_hash(ledger_event(stored))
