"""Issuing and checking credentials. Secrets are kept only as SHA-256 hashes.

Secrets are 256-bit random (or derived with HMAC from the server key), so a fast
hash is enough: there is nothing to brute-force that a slow hash would protect.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.errors import Unauthorized
from optledger.storage.clock import utcnow
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.credentials import credential_by_lookup, save_credential
from optledger.storage.sql import Connection

_PREFIX = {
    CredentialKind.API_KEY: "olk_",
    CredentialKind.LEGACY_TOKEN: "oll_",
    CredentialKind.BASIC: "olb_",
}


@dataclass(frozen=True)
class IssuedSecret:
    """A lookup id and its secret as shown once to their owner: the only time the
    secret is known. Company credentials and operators' tokens are both of this form."""

    lookup_id: str
    secret: str

    @property
    def token(self) -> str:
        """What goes after `Authorization: Bearer` (API keys, legacy tokens, operator tokens)."""
        return f"{self.lookup_id}.{self.secret}"


@dataclass(frozen=True)
class IssuedCredential(IssuedSecret):
    """A company's new credential, of one kind."""

    kind: CredentialKind


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: a company, through one credential."""

    company: CompanyRow
    credential_id: int
    credential_name: str
    scopes: frozenset[str]
    # Requests per second; None takes the server's default.
    rate_limit: int | None = None


def hash_secret(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret_pair(kind: CredentialKind, seed: str | None = None) -> IssuedCredential:
    """A fresh lookup id and secret, or ones derived from `seed` (for bootstrap)."""
    if seed is None:
        lookup_id, secret = new_lookup_and_secret(_PREFIX[kind])
    else:
        lookup = hmac.new(seed.encode(), b"lookup", hashlib.sha256).hexdigest()[:16]
        lookup_id = _PREFIX[kind] + lookup
        secret = hmac.new(seed.encode(), b"secret", hashlib.sha256).hexdigest()
    return IssuedCredential(kind=kind, lookup_id=lookup_id, secret=secret)


def new_lookup_and_secret(prefix: str) -> tuple[str, str]:
    """A fresh lookup id (`prefix` and 16 hex digits) and a 256-bit secret."""
    return prefix + secrets.token_hex(8), secrets.token_urlsafe(32)


def secret_matches(stored_hash: str | None, secret: str) -> bool:
    """Whether `secret` is the one hashed to `stored_hash` (None: no credential has the
    presented lookup id). The comparison is constant-time and made against a dummy hash
    when none is stored, so the timing tells nothing of which lookup ids exist."""
    expected = stored_hash if stored_hash is not None else hash_secret("")
    matches = hmac.compare_digest(expected, hash_secret(secret))
    return matches and stored_hash is not None


async def store_credential(
    connection: Connection,
    company_id: int,
    issued: IssuedCredential,
    *,
    name: str,
    scopes: list[str],
    rate_limit: int | None = None,
) -> int:
    """Keep `issued` for the company, replacing a same-named credential of its kind."""
    return await save_credential(
        connection,
        company_id=company_id,
        kind=issued.kind.value,
        name=name,
        lookup_id=issued.lookup_id,
        secret_hash=hash_secret(issued.secret),
        scopes=scopes,
        rate_limit=rate_limit,
        now=utcnow(),
    )


async def authenticate(
    connection: Connection, kind: CredentialKind, lookup_id: str, secret: str
) -> Principal:
    """The principal behind a presented credential of `kind`, or `Unauthorized`."""
    stored = await credential_by_lookup(connection, lookup_id)
    # Compared before `stored` is looked at: an unknown id takes as long as a known one.
    matches = secret_matches(None if stored is None else stored.secret_hash, secret)
    if stored is None or not matches or stored.kind != kind:
        raise Unauthorized("invalid or missing credentials")
    return Principal(
        company=stored.company,
        credential_id=stored.id,
        credential_name=stored.name,
        scopes=stored.scopes,
        rate_limit=stored.rate_limit,
    )


def split_token(token: str) -> tuple[str, str]:
    """A bearer token's lookup id and secret; malformed tokens are `Unauthorized`."""
    lookup_id, dot, secret = token.partition(".")
    if not dot or not lookup_id or not secret:
        raise Unauthorized("invalid or missing credentials")
    return lookup_id, secret
