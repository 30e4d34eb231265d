"""Operators, the companies each may see, and their management API tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from optledger.storage.sql import Connection, Query, Row, as_time

_OPERATOR_COLUMNS = (
    "id, name, password_hash, all_companies, created_at, password_changed_at, session_epoch"
)

OPERATOR_NAMED = Query(f"SELECT {_OPERATOR_COLUMNS} FROM operators WHERE name = :name")
ALL_OPERATORS = Query(f"SELECT {_OPERATOR_COLUMNS} FROM operators ORDER BY name")
INSERT_OPERATOR = Query(
    """
    INSERT INTO operators
        (name, password_hash, all_companies, created_at, password_changed_at, session_epoch)
    VALUES (:name, :password_hash, :all_companies, :now, :now, :epoch)
    ON CONFLICT (name) DO NOTHING
    RETURNING id
    """
)
SET_PASSWORD = Query(
    """
    UPDATE operators SET password_hash = :password_hash, password_changed_at = :now,
        session_epoch = :epoch
    WHERE id = :id
    """
)
SET_SESSION_EPOCH = Query("UPDATE operators SET session_epoch = :epoch WHERE id = :id")
SET_ALL_COMPANIES = Query("UPDATE operators SET all_companies = :all_companies WHERE id = :id")
OPERATOR_COMPANY_KEYS = Query(
    """
    SELECT oc.operator_id, c.id, c.key FROM operator_companies oc
    JOIN companies c ON c.id = oc.company_id ORDER BY c.key
    """
)
COMPANY_IDS_OF = Query("SELECT company_id FROM operator_companies WHERE operator_id = :id")
CLEAR_COMPANIES = Query("DELETE FROM operator_companies WHERE operator_id = :id")
ADD_COMPANY = Query(
    "INSERT INTO operator_companies (operator_id, company_id) VALUES (:id, :company_id)"
)
DELETE_TOKENS = Query("DELETE FROM operator_tokens WHERE operator_id = :id")
DELETE_OPERATOR = Query("DELETE FROM operators WHERE id = :id")

TOKEN_WITH_OPERATOR = Query(
    """
    SELECT t.id AS token_id, t.secret_hash, o.id, o.name, o.password_hash, o.all_companies,
           o.created_at, o.password_changed_at, o.session_epoch
    FROM operator_tokens t JOIN operators o ON o.id = t.operator_id
    WHERE t.lookup_id = :lookup_id AND t.revoked_at IS NULL
    """
)
INSERT_TOKEN = Query(
    """
    INSERT INTO operator_tokens (operator_id, name, lookup_id, secret_hash, created_at)
    VALUES (:operator_id, :name, :lookup_id, :secret_hash, :now)
    RETURNING id
    """
)
TOKENS_OF = Query(
    """
    SELECT id, name, lookup_id, created_at, revoked_at FROM operator_tokens
    WHERE operator_id = :id ORDER BY id
    """
)
REVOKE_TOKEN = Query(
    """
    UPDATE operator_tokens SET revoked_at = :now
    WHERE (lookup_id = :token OR CAST(id AS TEXT) = :token) AND revoked_at IS NULL
    """
)


@dataclass(frozen=True)
class OperatorRow:
    """An operator as stored."""

    id: int
    name: str
    password_hash: str
    all_companies: bool
    created_at: datetime
    password_changed_at: datetime
    session_epoch: str


@dataclass(frozen=True)
class StoredToken:
    """A live token with its operator and the ids of the companies they may see."""

    id: int
    secret_hash: str
    operator: OperatorRow
    company_ids: frozenset[int]


@dataclass(frozen=True)
class TokenListing:
    """A token as its operator sees it: never the secret, nor its hash."""

    id: int
    name: str
    lookup_id: str
    created_at: datetime
    revoked_at: datetime | None


def _operator(row: Row) -> OperatorRow:
    return OperatorRow(
        id=row["id"],
        name=row["name"],
        password_hash=row["password_hash"],
        all_companies=bool(row["all_companies"]),
        created_at=as_time(row["created_at"]),  # type: ignore[arg-type]
        password_changed_at=as_time(row["password_changed_at"]),  # type: ignore[arg-type]
        session_epoch=row["session_epoch"],
    )


async def operator_named(connection: Connection, name: str) -> OperatorRow | None:
    """The operator called `name` (lower-cased), if any."""
    row = await connection.fetchrow(OPERATOR_NAMED, {"name": name})
    return None if row is None else _operator(row)


async def all_operators(connection: Connection) -> list[OperatorRow]:
    """Every operator, by name."""
    return [_operator(row) for row in await connection.fetch(ALL_OPERATORS)]


async def company_keys_by_operator(connection: Connection) -> dict[int, list[str]]:
    """{operator id: keys of the companies listed for them}."""
    found: dict[int, list[str]] = {}
    for row in await connection.fetch(OPERATOR_COMPANY_KEYS):
        found.setdefault(row["operator_id"], []).append(row["key"])
    return found


async def insert_operator(
    connection: Connection,
    name: str,
    password_hash: str,
    all_companies: bool,
    now: datetime,
    epoch: str,
) -> int | None:
    """Create an operator; None if the name is taken."""
    params = {
        "name": name,
        "password_hash": password_hash,
        "all_companies": all_companies,
        "now": now,
        "epoch": epoch,
    }
    created = await connection.fetchval(INSERT_OPERATOR, params)
    return None if created is None else int(created)


async def set_password_hash(
    connection: Connection, operator_id: int, password_hash: str, now: datetime, epoch: str
) -> None:
    """Replace an operator's password hash, and their session epoch with `epoch`."""
    params = {"id": operator_id, "password_hash": password_hash, "now": now, "epoch": epoch}
    await connection.execute(SET_PASSWORD, params)


async def set_session_epoch(connection: Connection, operator_id: int, epoch: str) -> None:
    """Replace an operator's session epoch (ending the sessions that name the old one)."""
    await connection.execute(SET_SESSION_EPOCH, {"id": operator_id, "epoch": epoch})


async def set_companies(
    connection: Connection, operator_id: int, all_companies: bool, company_ids: Sequence[int]
) -> None:
    """What the operator may see: every company, or exactly `company_ids`."""
    await connection.execute(SET_ALL_COMPANIES, {"id": operator_id, "all_companies": all_companies})
    await connection.execute(CLEAR_COMPANIES, {"id": operator_id})
    if company_ids:
        await connection.executemany(
            ADD_COMPANY, [{"id": operator_id, "company_id": one} for one in company_ids]
        )


async def delete_operator(connection: Connection, operator_id: int) -> None:
    """Remove an operator with their tokens and company list (nothing else points at them)."""
    for query in (DELETE_TOKENS, CLEAR_COMPANIES, DELETE_OPERATOR):
        await connection.execute(query, {"id": operator_id})


async def token_by_lookup(connection: Connection, lookup_id: str) -> StoredToken | None:
    """The live token with `lookup_id`, its operator and their companies."""
    row = await connection.fetchrow(TOKEN_WITH_OPERATOR, {"lookup_id": lookup_id})
    if row is None:
        return None
    operator = _operator(row)
    return StoredToken(
        id=row["token_id"],
        secret_hash=row["secret_hash"],
        operator=operator,
        company_ids=await company_ids_of(connection, operator),
    )


async def company_ids_of(connection: Connection, operator: OperatorRow) -> frozenset[int]:
    """The ids of the companies listed for an operator (none for one who sees every one)."""
    if operator.all_companies:
        return frozenset()
    rows = await connection.fetch(COMPANY_IDS_OF, {"id": operator.id})
    return frozenset(int(one["company_id"]) for one in rows)


async def insert_token(
    connection: Connection,
    operator_id: int,
    name: str,
    lookup_id: str,
    secret_hash: str,
    now: datetime,
) -> int:
    """Keep a new token's hash; returns its id."""
    params = {
        "operator_id": operator_id,
        "name": name,
        "lookup_id": lookup_id,
        "secret_hash": secret_hash,
        "now": now,
    }
    return int(await connection.fetchval(INSERT_TOKEN, params))


async def tokens_of(connection: Connection, operator_id: int) -> list[TokenListing]:
    """An operator's tokens, revoked ones included, oldest first."""
    return [
        TokenListing(
            id=row["id"],
            name=row["name"],
            lookup_id=row["lookup_id"],
            created_at=as_time(row["created_at"]),  # type: ignore[arg-type]
            revoked_at=as_time(row["revoked_at"]),
        )
        for row in await connection.fetch(TOKENS_OF, {"id": operator_id})
    ]


async def revoke_token(connection: Connection, token: str, now: datetime) -> bool:
    """Revoke the live token with `token` as its id or lookup id; False if none."""
    return await connection.execute(REVOKE_TOKEN, {"token": token, "now": now}) > 0
