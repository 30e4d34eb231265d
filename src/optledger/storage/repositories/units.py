"""Subscription lists and sign-up units: rarely changing rows, cached per process."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from optledger.storage.sql import Connection, Json, Query, Row, as_json, as_time

LISTS_OF_COMPANY = Query(
    """
    SELECT id, company_id, name, description, type, channel, is_default, status
    FROM subscription_lists WHERE company_id = :company_id ORDER BY id
    """
)
INSERT_ONE_LIST = Query(
    """
    INSERT INTO subscription_lists (company_id, name, description, type, channel, is_default,
                                    status, created_at)
    VALUES (:company_id, :name, :description, :type, :channel, FALSE, 'active', :created_at)
    RETURNING id
    """
)
UPDATE_LIST = Query(
    """
    UPDATE subscription_lists SET name = :name, description = :description
    WHERE company_id = :company_id AND id = :id
    """
)
SET_LIST_STATUS = Query(
    "UPDATE subscription_lists SET status = :status WHERE company_id = :company_id AND id = :id"
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
UPDATE_UNIT = Query(
    """
    UPDATE sign_up_units SET name = :name, channels = :channels, language = :language,
        country = :country, legal_disclosure = :legal_disclosure,
        confirmation_prompt = :confirmation_prompt, welcome_text = :welcome_text,
        keywords = :keywords, double_opt_in = :double_opt_in,
        email_double_opt_in = :email_double_opt_in, allow_single_opt_in = :allow_single_opt_in,
        welcome_on_single_opt_in = :welcome_on_single_opt_in
    WHERE company_id = :company_id AND id = :id
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
    # active or archived (an archived list is kept: records point at it).
    status: str = "active"


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
        status=row["status"],
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


async def insert_list(
    connection: Connection,
    company_id: int,
    *,
    name: str,
    description: str,
    sub_type: str,
    channel: str,
    now: datetime,
) -> int:
    """Create an active list that is no (type, channel) default; returns its id."""
    params = {
        "company_id": company_id,
        "name": name,
        "description": description,
        "type": sub_type,
        "channel": channel,
        "created_at": now,
    }
    return int(await connection.fetchval(INSERT_ONE_LIST, params))


async def update_list(
    connection: Connection, company_id: int, list_id: int, name: str, description: str
) -> bool:
    """Rename or describe a list; False if the company has no such list."""
    params = {"company_id": company_id, "id": list_id, "name": name, "description": description}
    return await connection.execute(UPDATE_LIST, params) > 0


async def set_list_status(
    connection: Connection, company_id: int, list_id: int, status: str
) -> bool:
    """Change a list's status; False if the company has no such list."""
    params = {"company_id": company_id, "id": list_id, "status": status}
    return await connection.execute(SET_LIST_STATUS, params) > 0


async def update_unit(connection: Connection, unit: UnitRow) -> bool:
    """Store a unit's changeable fields (the core checked them); False if it is gone."""
    params = {
        "company_id": unit.company_id,
        "id": unit.id,
        "name": unit.name,
        "channels": Json(unit.channels),
        "language": unit.language,
        "country": unit.country,
        "legal_disclosure": unit.legal_disclosure,
        "confirmation_prompt": unit.confirmation_prompt,
        "welcome_text": unit.welcome_text,
        "keywords": Json(unit.keywords),
        "double_opt_in": unit.double_opt_in,
        "email_double_opt_in": unit.email_double_opt_in,
        "allow_single_opt_in": unit.allow_single_opt_in,
        "welcome_on_single_opt_in": unit.welcome_on_single_opt_in,
    }
    return await connection.execute(UPDATE_UNIT, params) > 0
