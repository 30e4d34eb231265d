"""Subscription lists and sign-up units: rarely changing rows, cached per process."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from optledger.storage.sql import Connection, Json, Query, Row, as_json, as_time

LISTS_OF_COMPANY = Query(
    """
    SELECT id, company_id, name, description, type, channel, is_default
    FROM subscription_lists WHERE company_id = :company_id ORDER BY id
    """
)
INSERT_LIST = Query(
    """
    INSERT INTO subscription_lists (company_id, name, description, type, channel, is_default,
                                    created_at)
    VALUES (:company_id, :name, :description, :type, :channel, :is_default, :created_at)
    """
)
_UNIT_COLUMNS = """
    id, company_id, name, method, subscription_type, channels, language, country,
    legal_disclosure, confirmation_prompt, welcome_text, keywords, status, double_opt_in,
    email_double_opt_in, allow_single_opt_in, welcome_on_single_opt_in, created_at
"""
UNITS_OF_COMPANY = Query(
    f"SELECT {_UNIT_COLUMNS} FROM sign_up_units WHERE company_id = :company_id ORDER BY id"
)
INSERT_UNIT = Query(
    """
    INSERT INTO sign_up_units (company_id, name, method, subscription_type, channels, language,
        country, legal_disclosure, confirmation_prompt, welcome_text, keywords, status,
        double_opt_in, email_double_opt_in, allow_single_opt_in, welcome_on_single_opt_in,
        created_at)
    VALUES (:company_id, :name, :method, :subscription_type, :channels, :language, :country,
        :legal_disclosure, :confirmation_prompt, :welcome_text, :keywords, :status,
        :double_opt_in, :email_double_opt_in, :allow_single_opt_in, :welcome_on_single_opt_in,
        :created_at)
    RETURNING id
    """
)
SET_UNIT_STATUS = Query(
    "UPDATE sign_up_units SET status = :status WHERE company_id = :company_id AND id = :id"
)


@dataclass(frozen=True)
class ListRow:
    """A subscription list of one type on one channel."""

    id: int
    company_id: int
    name: str
    description: str
    type: str
    channel: str
    is_default: bool


@dataclass(frozen=True)
class NewUnit:
    """A unit to create (checked by the core first)."""

    company_id: int
    name: str
    method: str
    subscription_type: str
    channels: list[str]
    language: str
    country: str
    legal_disclosure: str | None
    confirmation_prompt: str | None
    welcome_text: str | None
    keywords: list[str]
    double_opt_in: bool
    email_double_opt_in: bool
    allow_single_opt_in: bool
    welcome_on_single_opt_in: bool = True


@dataclass(frozen=True, kw_only=True)
class UnitRow(NewUnit):
    """A sign-up unit as stored."""

    id: int
    status: str
    created_at: datetime | None = None

    @property
    def locale(self) -> str:
        """The unit's locale tag, e.g. en-US."""
        return f"{self.language}-{self.country}"


def _list(row: Row) -> ListRow:
    return ListRow(
        id=row["id"],
        company_id=row["company_id"],
        name=row["name"],
        description=row["description"],
        type=row["type"],
        channel=row["channel"],
        is_default=bool(row["is_default"]),
    )


def _unit(row: Row) -> UnitRow:
    return UnitRow(
        id=row["id"],
        company_id=row["company_id"],
        name=row["name"],
        method=row["method"],
        subscription_type=row["subscription_type"],
        channels=list(as_json(row["channels"])),
        language=row["language"],
        country=row["country"],
        legal_disclosure=row["legal_disclosure"],
        confirmation_prompt=row["confirmation_prompt"],
        welcome_text=row["welcome_text"],
        keywords=list(as_json(row["keywords"]) or []),
        status=row["status"],
        double_opt_in=bool(row["double_opt_in"]),
        email_double_opt_in=bool(row["email_double_opt_in"]),
        allow_single_opt_in=bool(row["allow_single_opt_in"]),
        welcome_on_single_opt_in=bool(row["welcome_on_single_opt_in"]),
        created_at=as_time(row["created_at"]),
    )


async def lists_of_company(connection: Connection, company_id: int) -> list[ListRow]:
    """Every list of the company."""
    return [
        _list(row) for row in await connection.fetch(LISTS_OF_COMPANY, {"company_id": company_id})
    ]


async def insert_lists(
    connection: Connection,
    company_id: int,
    lists: Sequence[tuple[str, str, str, str]],
    now: datetime,
) -> None:
    """Create default lists: (name, description, type, channel) each."""
    await connection.executemany(
        INSERT_LIST,
        [
            {
                "company_id": company_id,
                "name": name,
                "description": description,
                "type": sub_type,
                "channel": channel,
                "is_default": True,
                "created_at": now,
            }
            for name, description, sub_type, channel in lists
        ],
    )


async def units_of_company(connection: Connection, company_id: int) -> list[UnitRow]:
    """Every unit of the company, archived ones included, oldest first."""
    return [
        _unit(row) for row in await connection.fetch(UNITS_OF_COMPANY, {"company_id": company_id})
    ]


async def insert_unit(connection: Connection, unit: NewUnit, now: datetime) -> int:
    """Create an active unit; returns its id."""
    params = {
        **unit.__dict__,
        "channels": Json(unit.channels),
        "keywords": Json(unit.keywords),
        "status": "active",
        "created_at": now,
    }
    return int(await connection.fetchval(INSERT_UNIT, params))


async def set_unit_status(
    connection: Connection, company_id: int, unit_id: int, status: str
) -> bool:
    """Change a unit's status; False if the company has no such unit."""
    changed = await connection.execute(
        SET_UNIT_STATUS, {"company_id": company_id, "id": unit_id, "status": status}
    )
    return changed > 0
