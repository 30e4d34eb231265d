"""What an import reads and writes about people, a batch of rows at a time.

Each function is one statement for the whole batch: PostgreSQL takes the rows as
parallel arrays (`unnest`), SQLite as one JSON array (`json_each`). The import
runs these instead of the per-request flow, whose round trips per row would cap
it at a few thousand rows a second.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from optledger.storage.sql import Connection, Query, as_time

COMPANY_OF_UNIT = Query("SELECT company_id FROM sign_up_units WHERE id = :id")
# The owners of (kind, value) identifiers, and each owner's client_user_id, so the
# core can refuse a second one without another round trip. Each value is its own
# probe of a unique index with every key column given: the one plan that does not
# depend on statistics. (`= ANY(array)`, or a join, on a table growing faster than
# autovacuum analyses it is planned as a scan of every identifier of the kind, each
# batch; `LIMIT 1`, true of a unique key anyway, keeps the planner from turning the
# probes back into a join.)
OWNERS_AND_CLIENT_IDS = Query(
    """
    WITH found AS (
        SELECT i.kind, i.value, i.person_id
        FROM json_each(:wanted) w
        CROSS JOIN person_identifiers i
        WHERE i.company_id = :company_id AND i.kind = json_extract(w.value, '$[0]')
          AND i.name = '' AND i.value = json_extract(w.value, '$[1]')
    )
    SELECT f.kind, f.value, f.person_id, (
        SELECT c.value FROM person_identifiers c
        WHERE c.company_id = :company_id AND c.person_id = f.person_id
          AND c.kind = 'client_user_id' AND c.name = ''
    ) AS client_user_id
    FROM found f
    """,
    postgresql="""
    SELECT w.kind, w.value, found.person_id, held.value AS client_user_id
    FROM unnest(:kinds::text[], :values::text[]) AS w(kind, value)
    CROSS JOIN LATERAL (
        SELECT i.person_id FROM person_identifiers i
        WHERE i.company_id = :company_id AND i.kind = w.kind AND i.name = ''
          AND i.value = w.value
        LIMIT 1
    ) found
    LEFT JOIN LATERAL (
        SELECT c.value FROM person_identifiers c
        WHERE c.company_id = :company_id AND c.person_id = found.person_id
          AND c.kind = 'client_user_id' AND c.name = ''
        LIMIT 1
    ) held ON true
    """,
)
# When each contact point last opted out, per (channel, type): records it ended or
# declined, and opt-outs it sent while nothing was open (`unsubscribe_repeated`,
# typeless when they covered every type). An acknowledged opt-out, subscribed or not,
# wins over older consent.
LAST_OPT_OUTS = Query(
    """SELECT contact_value, channel, type, MAX(COALESCE(opt_out_date, updated_at)) AS at
    FROM subscription_records
    WHERE company_id = :company_id AND contact_value IN (SELECT value FROM json_each(:values))
      AND status IN ('ENDED', 'DECLINED')
    GROUP BY contact_value, channel, type
    UNION ALL
    SELECT contact_value, channel, json_extract(data, '$.type'), MAX(created_at)
    FROM events
    WHERE company_id = :company_id AND contact_value IN (SELECT value FROM json_each(:values))
      AND type = 'unsubscribe_repeated'
    GROUP BY contact_value, channel, json_extract(data, '$.type')""",
    # One probe of (company, contact value) each, as above (`OFFSET 0` is the fence).
    postgresql="""SELECT v.value AS contact_value, o.channel, o.type, o.at
    FROM unnest(:values::text[]) AS v(value)
    CROSS JOIN LATERAL (
        SELECT channel, type, MAX(COALESCE(opt_out_date, updated_at)) AS at
        FROM subscription_records
        WHERE company_id = :company_id AND contact_value = v.value
          AND status IN ('ENDED', 'DECLINED')
        GROUP BY channel, type
        UNION ALL
        SELECT channel, data->>'type', MAX(created_at)
        FROM events
        WHERE company_id = :company_id AND contact_value = v.value
          AND type = 'unsubscribe_repeated'
        GROUP BY channel, data->>'type'
        OFFSET 0
    ) o""",
)
# New people first, then their identifiers by id: a statement joining the new rows
# to their identifiers by key is planned as a nested loop (the planner cannot size
# either side), quadratic in the batch.
INSERT_PEOPLE = Query(
    """INSERT INTO persons (company_id, person_key, created_at, updated_at)
    SELECT :company_id, k.value, :now, :now FROM json_each(:person_keys) AS k
    RETURNING id, person_key""",
    postgresql="""INSERT INTO persons (company_id, person_key, created_at, updated_at)
    SELECT :company_id, k.key, :now, :now FROM unnest(:person_keys::text[]) AS k(key)
    RETURNING id, person_key""",
)
TOUCH_PEOPLE = Query(
    """UPDATE persons SET updated_at = :now
    WHERE company_id = :company_id AND id IN (SELECT value FROM json_each(:touched))""",
    postgresql="""UPDATE persons SET updated_at = :now
    WHERE company_id = :company_id AND id = ANY(:touched::bigint[])""",
)
INSERT_IDENTIFIERS = Query(
    """INSERT INTO person_identifiers (company_id, person_id, kind, name, value, created_at)
    SELECT :company_id, json_extract(w.value, '$[0]'), json_extract(w.value, '$[1]'), '',
        json_extract(w.value, '$[2]'), :now
    FROM json_each(:identifiers) AS w""",
    postgresql="""INSERT INTO person_identifiers (company_id, person_id, kind, name, value,
        created_at)
    SELECT :company_id, w.person_id, w.kind, '', w.value, :now
    FROM unnest(:person_ids::bigint[], :kinds::text[], :values::text[])
        AS w(person_id, kind, value)""",
)

Pair = tuple[str, str]


@dataclass(frozen=True)
class Owners:
    """Who holds each known (kind, value) identifier, and each holder's client_user_id."""

    persons: dict[Pair, int]
    client_ids: dict[int, str]


class NewIdentifier(NamedTuple):
    """An identifier to attach: to a known person (`person_id`) or a new one (`person_key`).

    A tuple: an import makes millions of them."""

    kind: str
    value: str
    person_id: int | None = None
    person_key: str | None = None


async def company_of_unit(connection: Connection, unit_id: int) -> int | None:
    """The company a sign-up unit belongs to, if the unit exists."""
    found = await connection.fetchval(COMPANY_OF_UNIT, {"id": unit_id})
    return None if found is None else int(found)


async def owners_and_client_ids(
    connection: Connection, company_id: int, pairs: Collection[Pair]
) -> Owners:
    """The owners of these (kind, value) identifiers (no custom ones), in one statement."""
    if not pairs:
        return Owners({}, {})
    ordered = sorted(pairs)
    params: dict[str, object] = {"company_id": company_id}
    if connection.is_sqlite:
        params["wanted"] = ordered
    else:
        params.update(kinds=[kind for kind, _ in ordered], values=[v for _, v in ordered])
    persons: dict[Pair, int] = {}
    client_ids: dict[int, str] = {}
    for row in await connection.fetch(OWNERS_AND_CLIENT_IDS, params):
        persons[(row["kind"], row["value"])] = row["person_id"]
        if row["client_user_id"] is not None:
            client_ids[row["person_id"]] = row["client_user_id"]
    return Owners(persons, client_ids)


async def last_opt_outs(
    connection: Connection, company_id: int, values: Collection[str]
) -> dict[tuple[str, str, str | None], datetime]:
    """When each of these contact values last opted out (or said NO), by (contact
    value, channel, subscription type); a type of None covers every type."""
    if not values:
        return {}
    rows = await connection.fetch(
        LAST_OPT_OUTS, {"company_id": company_id, "values": sorted(values)}
    )
    found: dict[tuple[str, str, str | None], datetime] = {}
    for row in rows:
        at = as_time(row["at"])
        key = (row["contact_value"], row["channel"], row["type"])
        if at is not None and (key not in found or found[key] < at):
            found[key] = at
    return found


async def write_people(
    connection: Connection,
    company_id: int,
    person_keys: Sequence[str],
    identifiers: Sequence[NewIdentifier],
    touched: Collection[int],
    now: datetime,
) -> dict[str, int]:
    """Create people keyed `person_keys`, attach `identifiers`, and note `touched` people
    as updated; returns the id of each new person by key.

    A concurrent claim of one of the identifiers fails the unique constraint, and the
    unit of work is replayed against it.
    """
    created: dict[str, int] = {}
    if person_keys:
        params = {"company_id": company_id, "now": now, "person_keys": list(person_keys)}
        for row in await connection.fetch(INSERT_PEOPLE, params):
            created[row[1]] = row[0]
    if touched:
        params = {"company_id": company_id, "now": now, "touched": sorted(touched)}
        await connection.execute(TOUCH_PEOPLE, params)
    if identifiers:
        # In key order: batches written at once then wait for each other, never deadlock.
        identifiers = sorted(identifiers, key=lambda i: (i.kind, i.value))
        person_ids = [
            i.person_id if i.person_id is not None else created[i.person_key or ""]
            for i in identifiers
        ]
        params = {"company_id": company_id, "now": now}
        if connection.is_sqlite:
            params["identifiers"] = [
                (person_id, i.kind, i.value)
                for person_id, i in zip(person_ids, identifiers, strict=True)
            ]
        else:
            params.update(
                person_ids=person_ids,
                kinds=[i.kind for i in identifiers],
                values=[i.value for i in identifiers],
            )
        await connection.execute(INSERT_IDENTIFIERS, params)
    return created
