"""Credentials: API keys, legacy tokens and Basic logins, stored as secret hashes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from optledger.storage.repositories.companies import CompanyRow, company_from_row
from optledger.storage.sql import Connection, Json, Query, as_json, as_time

CREDENTIAL_WITH_COMPANY = Query(
    """
    SELECT c.id AS credential_id, c.kind, c.name AS credential_name, c.secret_hash, c.scopes,
           c.rate_limit,
           co.id, co.key, co.name, co.contact_email, co.default_language, co.default_country,
           co.settings, co.version
    FROM credentials c JOIN companies co ON co.id = c.company_id
    WHERE c.lookup_id = :lookup_id AND c.revoked_at IS NULL
    """
)
ACTIVE_CREDENTIAL_NAMED = Query(
    """
    SELECT id FROM credentials
    WHERE company_id = :company_id AND kind = :kind AND name = :name AND revoked_at IS NULL
    """
)
UPDATE_SECRET = Query(
    """
    UPDATE credentials SET lookup_id = :lookup_id, secret_hash = :secret_hash, scopes = :scopes,
        rate_limit = :rate_limit
    WHERE id = :id
    """
)
INSERT_CREDENTIAL = Query(
    """
    INSERT INTO credentials (company_id, kind, name, lookup_id, secret_hash, scopes, rate_limit,
        created_at)
    VALUES (:company_id, :kind, :name, :lookup_id, :secret_hash, :scopes, :rate_limit,
        :created_at)
    RETURNING id
    """
)


@dataclass(frozen=True)
class StoredCredential:
    """A live credential with the company it acts for."""

    id: int
    kind: str
    name: str
    secret_hash: str
    scopes: frozenset[str]
    rate_limit: int | None
    company: CompanyRow


async def credential_by_lookup(connection: Connection, lookup_id: str) -> StoredCredential | None:
    """The unrevoked credential with `lookup_id`, and its company."""
    row = await connection.fetchrow(CREDENTIAL_WITH_COMPANY, {"lookup_id": lookup_id})
    if row is None:
        return None
    company = company_from_row(row)
    assert company is not None
    return StoredCredential(
        id=row["credential_id"],
        kind=row["kind"],
        name=row["credential_name"],
        secret_hash=row["secret_hash"],
        scopes=frozenset(as_json(row["scopes"]) or []),
        rate_limit=row["rate_limit"],
        company=company,
    )


async def save_credential(
    connection: Connection,
    *,
    company_id: int,
    kind: str,
    name: str,
    lookup_id: str,
    secret_hash: str,
    scopes: list[str],
    rate_limit: int | None = None,
    now: datetime,
) -> int:
    """Store a credential, replacing the secret of a live one of the same kind and name."""
    existing = await connection.fetchval(
        ACTIVE_CREDENTIAL_NAMED, {"company_id": company_id, "kind": kind, "name": name}
    )
    values = {
        "lookup_id": lookup_id,
        "secret_hash": secret_hash,
        "scopes": Json(scopes),
        "rate_limit": rate_limit,
    }
    if existing is not None:
        await connection.execute(UPDATE_SECRET, {"id": existing, **values})
        return int(existing)
    return int(
        await connection.fetchval(
            INSERT_CREDENTIAL,
            {"company_id": company_id, "kind": kind, "name": name, "created_at": now, **values},
        )
    )


REVOKE_CREDENTIAL = Query(
    """UPDATE credentials SET revoked_at = :now
    WHERE (lookup_id = :credential OR CAST(id AS TEXT) = :credential) AND revoked_at IS NULL
    RETURNING id, company_id, kind, name"""
)
REVOKE_COMPANY_CREDENTIAL = Query(
    """UPDATE credentials SET revoked_at = :now
    WHERE company_id = :company_id AND revoked_at IS NULL
      AND (lookup_id = :credential OR CAST(id AS TEXT) = :credential)
    RETURNING id, company_id, kind, name"""
)
COMPANY_CREDENTIALS = Query(
    """SELECT id, kind, name, lookup_id, scopes, rate_limit, created_at, revoked_at
    FROM credentials
    WHERE company_id = :company_id AND (revoked_at IS NULL OR CAST(:with_revoked AS BOOLEAN))
    ORDER BY id"""
)


@dataclass(frozen=True)
class RevokedCredential:
    """A credential just revoked: which, whose, and what it was called."""

    id: int
    company_id: int
    kind: str
    name: str


async def revoke_credential(
    connection: Connection, credential: str, now: datetime, company_id: int | None = None
) -> RevokedCredential | None:
    """Revoke the live credential with `credential` as its id or lookup id (of the company
    `company_id`, unless None); None if there is none."""
    if company_id is None:
        row = await connection.fetchrow(REVOKE_CREDENTIAL, {"credential": credential, "now": now})
    else:
        params = {"credential": credential, "now": now, "company_id": company_id}
        row = await connection.fetchrow(REVOKE_COMPANY_CREDENTIAL, params)
    if row is None:
        return None
    return RevokedCredential(row["id"], row["company_id"], row["kind"], row["name"])


@dataclass(frozen=True)
class CredentialListing:
    """A credential as an operator sees it: everything but the secret's hash."""

    id: int
    kind: str
    name: str
    lookup_id: str
    scopes: list[str]
    rate_limit: int | None
    created_at: datetime
    revoked_at: datetime | None


async def credentials_of_company(
    connection: Connection, company_id: int, *, with_revoked: bool
) -> list[CredentialListing]:
    """The company's credentials, oldest first; revoked ones only `with_revoked`."""
    rows = await connection.fetch(
        COMPANY_CREDENTIALS, {"company_id": company_id, "with_revoked": with_revoked}
    )
    return [
        CredentialListing(
            id=row["id"],
            kind=row["kind"],
            name=row["name"],
            lookup_id=row["lookup_id"],
            scopes=as_json(row["scopes"]) or [],
            rate_limit=row["rate_limit"],
            created_at=as_time(row["created_at"]),  # type: ignore[arg-type]
            revoked_at=as_time(row["revoked_at"]),
        )
        for row in rows
    ]
