"""Company credentials: authenticated, listed, minted and revoked, the same from every door."""

from __future__ import annotations

from collections.abc import Sequence

from optledger.core import company_credentials
from optledger.core.audit import Actor, record_change
from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.auth.credentials import Principal, authenticate
from optledger.core.company_credentials import MintedCredential
from optledger.storage.database import Database
from optledger.storage.repositories.credentials import CredentialListing as CredentialListing
from optledger.storage.sql import Connection


async def authenticate_credential(
    database: Database, kind: CredentialKind, lookup_id: str, secret: str
) -> Principal:
    """The principal behind a presented credential of `kind`, or `Unauthorized`."""
    return await database.read(lambda connection: authenticate(connection, kind, lookup_id, secret))


async def list_credentials(
    database: Database, company_id: int, *, with_revoked: bool = False
) -> list[CredentialListing]:
    """The company's credentials, oldest first (never a secret or its hash)."""
    return await database.read(
        lambda connection: company_credentials.list_credentials(
            connection, company_id, with_revoked=with_revoked
        ),
        standby=True,
    )


async def get_live_credential(
    database: Database, company_id: int, credential_id: int
) -> CredentialListing:
    """One of the company's live credentials (never its secret), or `NotFound`."""
    return await database.read(
        lambda connection: company_credentials.live_company_credential(
            connection, company_id, credential_id
        )
    )


async def mint_credential(
    database: Database,
    company_id: int,
    kind: CredentialKind,
    *,
    name: str | None = None,
    scopes: Sequence[str] | None = None,
    rate_limit: int | None = None,
    actor: Actor | None,
) -> tuple[MintedCredential, CredentialListing]:
    """A new credential for the company (a live one of its kind with the same name gets
    this secret instead), and the new credential as it is listed."""

    async def mint(connection: Connection) -> tuple[MintedCredential, CredentialListing]:
        minted = await company_credentials.mint_credential(
            connection, company_id, kind, name=name, scopes=scopes, rate_limit=rate_limit
        )
        listed = await company_credentials.list_credentials(connection, company_id)
        listing = next(one for one in listed if one.id == minted.id)
        # What it is called and may do; its secret never.
        await record_change(
            connection,
            actor,
            company_id,
            "credential.created",
            "credential",
            minted.id,
            {
                "kind": {"before": None, "after": listing.kind},
                "name": {"before": None, "after": listing.name},
                "scopes": {"before": None, "after": listing.scopes},
                "rate_limit": {"before": None, "after": listing.rate_limit},
            },
        )
        return minted, listing

    return await database.run(mint)


def _revoked(kind: str, name: str) -> dict[str, dict[str, str | None]]:
    """What the audit trail says of a revoked credential: which it was, not its secret."""
    return {
        "kind": {"before": kind, "after": kind},
        "name": {"before": name, "after": name},
        "state": {"before": "live", "after": "revoked"},
    }


async def revoke_credential(
    database: Database, company_id: int, credential: str, *, actor: Actor | None
) -> CredentialListing:
    """Revoke the company's live credential with `credential` as its id or lookup id."""

    async def revoke(connection: Connection) -> CredentialListing:
        found = await company_credentials.revoke_company_credential(
            connection, company_id, credential
        )
        changes = _revoked(found.kind, found.name)
        await record_change(
            connection, actor, company_id, "credential.revoked", "credential", found.id, changes
        )
        return found

    return await database.run(revoke)


async def revoke_any_credential(database: Database, credential: str, *, actor: Actor) -> None:
    """Revoke the live credential, of whichever company, with `credential` as its id or
    lookup id."""

    async def revoke(connection: Connection) -> None:
        found = await company_credentials.revoke_any_credential(connection, credential)
        await record_change(
            connection,
            actor,
            found.company_id,
            "credential.revoked",
            "credential",
            found.id,
            _revoked(found.kind, found.name),
        )

    await database.run(revoke)
