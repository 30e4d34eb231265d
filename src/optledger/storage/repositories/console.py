"""What the operator's console reads: daily counts, list sizes and one person's ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from optledger.storage.sql import Connection, Query, as_dict, as_json, as_time

# SQLite keeps times as ISO text in UTC, so a day is the text's first ten characters.
_DAILY = """SELECT substr({column}, 1, 10) AS day, count(*) AS n FROM subscription_records
    WHERE company_id = :company_id AND {column} >= :since GROUP BY substr({column}, 1, 10)"""
_DAILY_PG = """SELECT to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) AS n
    FROM subscription_records WHERE company_id = :company_id AND {column} >= :since
    GROUP BY 1"""
DAILY_OPT_INS = Query(
    _DAILY.format(column="opt_in_date"), postgresql=_DAILY_PG.format(column="opt_in_date")
)
DAILY_OPT_OUTS = Query(
    _DAILY.format(column="opt_out_date"), postgresql=_DAILY_PG.format(column="opt_out_date")
)
LIST_SIZES = Query(
    """SELECT list_id, count(*) AS n FROM subscription_records
    WHERE company_id = :company_id AND status = 'ACTIVE' GROUP BY list_id"""
)
RECORDS_OF_PERSON = Query(
    """SELECT r.id, r.channel, r.contact_value, r.type, r.status, r.single_opt_in,
        r.opt_in_date, r.opt_out_date, r.opt_out_reason, r.consented_at, r.source,
        r.disclosure_text, r.language, r.country, r.client_ip, r.user_agent, r.created_at,
        r.unit_id, u.name AS unit_name, l.name AS list_name, k.name AS credential_name,
        k.kind AS credential_kind
    FROM subscription_records r
    JOIN subscription_lists l ON l.id = r.list_id
    LEFT JOIN sign_up_units u ON u.id = r.unit_id
    LEFT JOIN credentials k ON k.id = r.credential_id
    WHERE r.company_id = :company_id AND r.person_id = :person_id
    ORDER BY r.id DESC"""
)
EVENTS_OF_PERSON = Query(
    """SELECT e.id, e.type, e.record_id, e.channel, e.contact_value, e.data, e.client_ip,
        e.user_agent, e.created_at, k.name AS credential_name, k.kind AS credential_kind
    FROM events e LEFT JOIN credentials k ON k.id = e.credential_id
    WHERE e.company_id = :company_id AND e.person_id = :person_id
    ORDER BY e.id DESC LIMIT :limit"""
)


async def daily_consent_counts(
    connection: Connection, company_id: int, since: datetime
) -> dict[str, tuple[int, int]]:
    """Opt-ins and opt-outs per UTC day (`YYYY-MM-DD`) from `since`; days with none absent."""
    params = {"company_id": company_id, "since": since}
    ins = {row["day"]: row["n"] for row in await connection.fetch(DAILY_OPT_INS, params)}
    outs = {row["day"]: row["n"] for row in await connection.fetch(DAILY_OPT_OUTS, params)}
    return {day: (ins.get(day, 0), outs.get(day, 0)) for day in ins.keys() | outs.keys()}


async def list_sizes(connection: Connection, company_id: int) -> dict[int, int]:
    """ACTIVE records per list of the company."""
    rows = await connection.fetch(LIST_SIZES, {"company_id": company_id})
    return {row["list_id"]: row["n"] for row in rows}


def _timed(row: Any, *names: str) -> dict[str, Any]:
    values = as_dict(row)
    for name in names:
        values[name] = as_time(values[name])
    return values


async def records_of_person(
    connection: Connection, company_id: int, person_id: int
) -> list[dict[str, Any]]:
    """Every record of the person, open or ended, with its unit, list and credential named."""
    rows = await connection.fetch(
        RECORDS_OF_PERSON, {"company_id": company_id, "person_id": person_id}
    )
    return [
        _timed(row, "opt_in_date", "opt_out_date", "consented_at", "created_at") for row in rows
    ]


async def events_of_person(
    connection: Connection, company_id: int, person_id: int, limit: int
) -> list[dict[str, Any]]:
    """The person's latest events, newest first, with their credential named."""
    params = {"company_id": company_id, "person_id": person_id, "limit": limit}
    found = []
    for row in await connection.fetch(EVENTS_OF_PERSON, params):
        values = _timed(row, "created_at")
        values["data"] = as_json(values["data"]) or {}
        found.append(values)
    return found
