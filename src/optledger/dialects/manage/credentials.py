"""`/manage/v1/companies/{company_key}/credentials`: API keys, legacy tokens and Basic
logins, minted (the secret shown once), listed, revoked (never deleted: records keep
the credential that collected them). A revoked credential stops working within the
credential cache time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.use_cases import credentials
from optledger.dialects.manage.dependencies import (
    COMPANY_RESPONSES,
    PREFIX,
    ActingOperator,
    ManagedCompany,
)
from optledger.dialects.manage.wire import (
    CredentialDto,
    CredentialsDto,
    MintedCredentialDto,
    NewCredential,
)
from optledger.web.authentication import DatabaseDep

router = APIRouter(
    prefix=f"{PREFIX}/companies/{{company_key}}/credentials",
    tags=["Manage credentials"],
    responses=COMPANY_RESPONSES,
)
CredentialRef = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Its id, or its lookup id.")
]


def _default_limit(request: Request) -> int:
    limit: int = request.app.state.settings.default_rate_limit
    return limit


@router.get("")
async def read_credentials(
    request: Request,
    company: ManagedCompany,
    database: DatabaseDep,
    revoked: Annotated[bool, Query(description="Include revoked credentials.")] = False,
) -> CredentialsDto:
    """The company's credentials, oldest first (never a secret)."""
    found = await credentials.list_credentials(database, company.id, with_revoked=revoked)
    default = _default_limit(request)
    return CredentialsDto(credentials=[CredentialDto.of(one, default) for one in found])


@router.post("", status_code=201)
async def create_credential(
    body: NewCredential,
    request: Request,
    company: ManagedCompany,
    actor: ActingOperator,
    database: DatabaseDep,
) -> MintedCredentialDto:
    """Mint a credential; its secret is in this answer only."""
    minted, listing = await credentials.mint_credential(
        database,
        company.id,
        CredentialKind(body.kind),
        name=body.name,
        scopes=None if body.scopes is None else [scope.value for scope in body.scopes],
        rate_limit=body.rate_limit,
        actor=actor,
    )
    shown = CredentialDto.of(listing, _default_limit(request))
    return MintedCredentialDto.model_validate({**shown.model_dump(), **minted.shown})


@router.post("/{credential}/revoke")
async def revoke_credential(
    credential: CredentialRef,
    request: Request,
    company: ManagedCompany,
    actor: ActingOperator,
    database: DatabaseDep,
) -> CredentialDto:
    """Revoke a live credential of the company."""
    found = await credentials.revoke_credential(database, company.id, credential, actor=actor)
    return CredentialDto.of(found, _default_limit(request))
