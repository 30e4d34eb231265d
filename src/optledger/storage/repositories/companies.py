"""Companies (tenants): their settings, and the version that invalidates cached catalogs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from optledger.storage.sql import Connection, Json, Query, Row, as_json

_COLUMNS = "id, key, name, contact_email, default_language, default_country, settings, version"

COMPANY_BY_KEY = Query(f"SELECT {_COLUMNS} FROM companies WHERE key = :key")
COMPANY_BY_ID = Query(f"SELECT {_COLUMNS} FROM companies WHERE id = :id")
COMPANY_VERSION = Query("SELECT version FROM companies WHERE id = :id")
INSERT_COMPANY = Query(
    """
    INSERT INTO companies (key, name, contact_email, default_language, default_country,
                           settings, version, created_at)
    VALUES (:key, :name, NULL, 'en', 'US', :settings, 0, :created_at)
    ON CONFLICT (key) DO NOTHING
    """
)
COMPANIES_AFTER = Query(
    f"SELECT {_COLUMNS} FROM companies WHERE key > :after ORDER BY key LIMIT :limit"
)
OPERATORS_COMPANIES_AFTER = Query(
    f"""SELECT {", ".join("c." + column for column in _COLUMNS.split(", "))}
    FROM companies c JOIN operator_companies oc ON oc.company_id = c.id
    WHERE oc.operator_id = :operator_id AND c.key > :after ORDER BY c.key LIMIT :limit"""
)
# A key or name containing the pattern (lower-cased, LIKE's wildcards escaped by `\`).
_MATCHES = "(lower(c.key) LIKE :pattern ESCAPE '\\' OR lower(c.name) LIKE :pattern ESCAPE '\\')"
_PREFIXED = ", ".join("c." + column for column in _COLUMNS.split(", "))
COMPANIES_MATCHING = Query(
    f"SELECT {_PREFIXED} FROM companies c WHERE {_MATCHES} ORDER BY c.key LIMIT :limit"
)
OPERATORS_COMPANIES_MATCHING = Query(
    f"""SELECT {_PREFIXED}
    FROM companies c JOIN operator_companies oc ON oc.company_id = c.id
    WHERE oc.operator_id = :operator_id AND {_MATCHES} ORDER BY c.key LIMIT :limit"""
)
# Every change to what a company's catalog caches goes through here.
BUMP_VERSION = Query("UPDATE companies SET version = version + 1 WHERE id = :id")
SET_SETTINGS = Query(
    "UPDATE companies SET settings = :settings, version = version + 1 WHERE id = :id"
)


@dataclass(frozen=True)
class CompanyRow:
    """A tenant as stored."""

    id: int
    key: str
    name: str
    contact_email: str | None
    default_language: str
    default_country: str
    settings: dict[str, Any]
    version: int

    @property
    def default_locale(self) -> str:
        """The company's locale tag, e.g. en-US."""
        return f"{self.default_language}-{self.default_country}"


def company_from_row(row: Row | None) -> CompanyRow | None:
    if row is None:
        return None
    return CompanyRow(
        id=row["id"],
        key=row["key"],
        name=row["name"],
        contact_email=row["contact_email"],
        default_language=row["default_language"],
        default_country=row["default_country"],
        settings=as_json(row["settings"]) or {},
        version=row["version"],
    )


async def company_by_key(connection: Connection, key: str) -> CompanyRow | None:
    """The company with `key`, if any."""
    return company_from_row(await connection.fetchrow(COMPANY_BY_KEY, {"key": key}))


async def company_by_id(connection: Connection, company_id: int) -> CompanyRow | None:
    """The company with `company_id`, if any."""
    return company_from_row(await connection.fetchrow(COMPANY_BY_ID, {"id": company_id}))


async def company_version(connection: Connection, company_id: int) -> int:
    """The version of the company's catalog (units, lists, settings, suppressions)."""
    return int(await connection.fetchval(COMPANY_VERSION, {"id": company_id}) or 0)


async def insert_company(connection: Connection, key: str, name: str, now: datetime) -> None:
    """Create a company unless one with `key` exists."""
    await connection.execute(
        INSERT_COMPANY, {"key": key, "name": name, "settings": Json({}), "created_at": now}
    )


async def bump_version(connection: Connection, company_id: int) -> None:
    """Note that the company's catalog changed: every process reloads it."""
    await connection.execute(BUMP_VERSION, {"id": company_id})


async def save_settings(connection: Connection, company_id: int, settings: dict[str, Any]) -> None:
    """Replace the company's settings (templates, provider credentials)."""
    await connection.execute(SET_SETTINGS, {"id": company_id, "settings": Json(settings)})


async def companies_page(
    connection: Connection, *, after: str, limit: int, operator_id: int | None = None
) -> list[CompanyRow]:
    """Companies by key after `after`: all of them, or those listed for an operator."""
    if operator_id is None:
        rows = await connection.fetch(COMPANIES_AFTER, {"after": after, "limit": limit})
    else:
        params = {"after": after, "limit": limit, "operator_id": operator_id}
        rows = await connection.fetch(OPERATORS_COMPANIES_AFTER, params)
    return [company for company in map(company_from_row, rows) if company is not None]


async def companies_matching(
    connection: Connection, pattern: str, *, limit: int, operator_id: int | None = None
) -> list[CompanyRow]:
    """Companies by key whose lower-cased key or name is LIKE `pattern`: all of them, or
    those listed for an operator."""
    params: dict[str, object] = {"pattern": pattern, "limit": limit}
    if operator_id is None:
        rows = await connection.fetch(COMPANIES_MATCHING, params)
    else:
        rows = await connection.fetch(
            OPERATORS_COMPANIES_MATCHING, params | {"operator_id": operator_id}
        )
    return [company for company in map(company_from_row, rows) if company is not None]
