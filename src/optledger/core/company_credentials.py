"""A company's credentials as operators manage them: mint, list, revoke.

The CLI (`optledger credentials`) and the management API both come here. A secret
is known once, when it is minted; only its hash is stored. A revoked credential
stops working at once in new processes and within the credential cache's time
(`OPTLEDGER_CREDENTIAL_CACHE_SECONDS`) in running ones. Records keep the id of the
credential that collected them, so credentials are revoked, never deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.auth.credentials import IssuedCredential, new_secret_pair, store_credential
from optledger.core.auth.scopes import ALL_SCOPES
from optledger.core.errors import InvalidInput, NotFound
from optledger.core.text import checked_name
from optledger.storage.clock import utcnow
from optledger.storage.repositories.credentials import (
    CredentialListing,
    RevokedCredential,
    credentials_of_company,
    revoke_credential,
)
from optledger.storage.sql import Connection

MAX_NAME_LENGTH = 100
MAX_RATE_LIMIT = 1_000_000


@dataclass(frozen=True)
class MintedCredential:
    """A new credential, with the secret shown this once."""

    id: int
    name: str
    issued: IssuedCredential
    scopes: list[str]
    rate_limit: int | None

    @property
    def shown(self) -> dict[str, str]:
        """What its owner copies: a token, or a Basic username and password."""
        if self.issued.kind == CredentialKind.BASIC:
            return {"username": self.issued.lookup_id, "password": self.issued.secret}
        return {"token": self.issued.token, "lookup_id": self.issued.lookup_id}


def granted_scopes(kind: CredentialKind, scopes: Sequence[str] | None) -> list[str]:
    """The scopes a new credential holds: API keys the given ones (default: every
    scope); legacy tokens and Basic logins have none."""
    unknown = sorted(set(scopes or []) - set(ALL_SCOPES))
    if unknown:
        raise InvalidInput(f"unknown scopes {unknown}; known: {', '.join(ALL_SCOPES)}")
    if kind != CredentialKind.API_KEY:
        if scopes:
            raise InvalidInput(f"only API keys hold scopes, not a {kind.value}")
        return []
    return list(dict.fromkeys(scopes)) if scopes is not None else list(ALL_SCOPES)


async def mint_credential(
    connection: Connection,
    company_id: int,
    kind: CredentialKind,
    *,
    name: str | None = None,
    scopes: Sequence[str] | None = None,
    rate_limit: int | None = None,
) -> MintedCredential:
    """A new credential for the company; a live one of its kind with the same name
    gets this secret instead (a rotation)."""
    granted = granted_scopes(kind, scopes)
    named = None if name is None else checked_name(name, "a credential", MAX_NAME_LENGTH)
    if rate_limit is not None and not 1 <= rate_limit <= MAX_RATE_LIMIT:
        raise InvalidInput(f"a rate limit is 1 to {MAX_RATE_LIMIT} requests a second")
    issued = new_secret_pair(kind)
    named = named or issued.lookup_id
    credential_id = await store_credential(
        connection, company_id, issued, name=named, scopes=granted, rate_limit=rate_limit
    )
    return MintedCredential(credential_id, named, issued, granted, rate_limit)


async def list_credentials(
    connection: Connection, company_id: int, *, with_revoked: bool = False
) -> list[CredentialListing]:
    """The company's credentials, oldest first (never a secret or its hash)."""
    return await credentials_of_company(connection, company_id, with_revoked=with_revoked)


async def live_company_credential(
    connection: Connection, company_id: int, credential_id: int
) -> CredentialListing:
    """The company's live credential with the id; `NotFound` otherwise (for another
    company's too)."""
    listed = await credentials_of_company(connection, company_id, with_revoked=False)
    found = next((item for item in listed if item.id == credential_id), None)
    if found is None:
        raise NotFound(f"the company has no live credential {credential_id}")
    return found


async def revoke_company_credential(
    connection: Connection, company_id: int, credential: str
) -> CredentialListing:
    """Revoke the company's live credential with `credential` as its id or lookup id."""
    revoked = await revoke_credential(connection, credential, utcnow(), company_id=company_id)
    if revoked is None:
        raise NotFound(f"the company has no live credential {credential!r}")
    listed = await credentials_of_company(connection, company_id, with_revoked=True)
    return next(item for item in listed if item.id == revoked.id)


async def revoke_any_credential(connection: Connection, credential: str) -> RevokedCredential:
    """Revoke the live credential, of whichever company, with `credential` as its id or
    lookup id (the installation's administrator's way, naming no company)."""
    revoked = await revoke_credential(connection, credential, utcnow())
    if revoked is None:
        raise NotFound(f"no live credential has the id or lookup id {credential!r}")
    return revoked
