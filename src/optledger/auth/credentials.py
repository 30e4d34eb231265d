"""Issuing and checking credentials. Secrets are kept only as SHA-256 hashes.

Secrets are 256-bit random (or derived with HMAC from the server key), so a fast
hash is enough: there is nothing to brute-force that a slow hash would protect.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.errors import Unauthorized
from optledger.storage.tables import Company, Credential


class CredentialKind(StrEnum):
    """Which dialects a credential opens."""

    API_KEY = "api_key"
    LEGACY_TOKEN = "legacy_token"
    BASIC = "basic"


_PREFIX = {
    CredentialKind.API_KEY: "olk_",
    CredentialKind.LEGACY_TOKEN: "oll_",
    CredentialKind.BASIC: "olb_",
}


@dataclass(frozen=True)
class IssuedCredential:
    """A credential as shown once to its owner: the only time the secret is known."""

    kind: CredentialKind
    lookup_id: str
    secret: str

    @property
    def token(self) -> str:
        """The bearer token for API keys and legacy tokens."""
        return f"{self.lookup_id}.{self.secret}"


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: a company, through one credential."""

    company: Company
    credential_id: int
    credential_name: str
    scopes: frozenset[str]


def hash_secret(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret_pair(kind: CredentialKind, seed: str | None = None) -> IssuedCredential:
    """A fresh lookup id and secret, or ones derived from `seed` (for bootstrap)."""
    if seed is None:
        lookup = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
    else:
        lookup = hmac.new(seed.encode(), b"lookup", hashlib.sha256).hexdigest()[:16]
        secret = hmac.new(seed.encode(), b"secret", hashlib.sha256).hexdigest()
    return IssuedCredential(kind=kind, lookup_id=_PREFIX[kind] + lookup, secret=secret)


async def store_credential(
    session: AsyncSession,
    company: Company,
    issued: IssuedCredential,
    *,
    name: str,
    scopes: list[str],
) -> Credential:
    """Keep `issued` for `company`, replacing a same-named credential of its kind."""
    existing = await session.scalar(
        select(Credential).where(
            Credential.company_id == company.id,
            Credential.kind == issued.kind,
            Credential.name == name,
            Credential.revoked_at.is_(None),
        )
    )
    if existing is not None:
        existing.lookup_id = issued.lookup_id
        existing.secret_hash = hash_secret(issued.secret)
        existing.scopes = scopes
        return existing
    credential = Credential(
        company_id=company.id,
        kind=issued.kind,
        name=name,
        lookup_id=issued.lookup_id,
        secret_hash=hash_secret(issued.secret),
        scopes=scopes,
    )
    session.add(credential)
    await session.flush()
    return credential


async def authenticate(
    session: AsyncSession, kind: CredentialKind, lookup_id: str, secret: str
) -> Principal:
    """The principal behind a presented credential of `kind`, or `Unauthorized`."""
    row = (
        await session.execute(
            select(Credential, Company)
            .join(Company, Company.id == Credential.company_id)
            .where(Credential.lookup_id == lookup_id, Credential.revoked_at.is_(None))
        )
    ).first()
    expected = row[0].secret_hash if row is not None else hash_secret("")
    matches = hmac.compare_digest(expected, hash_secret(secret))
    if row is None or not matches or row[0].kind != kind:
        raise Unauthorized("invalid or missing credentials")
    credential, company = row
    return Principal(
        company=company,
        credential_id=credential.id,
        credential_name=credential.name,
        scopes=frozenset(credential.scopes),
    )


def split_token(token: str) -> tuple[str, str]:
    """A bearer token's lookup id and secret; malformed tokens are `Unauthorized`."""
    lookup_id, dot, secret = token.partition(".")
    if not dot or not lookup_id or not secret:
        raise Unauthorized("invalid or missing credentials")
    return lookup_id, secret
