"""`/manage/v1/companies/{company_key}/unsubscribe-links`: one-click unsubscribe URLs
(RFC 8058) for a brand's own emails, signed by the installation (`core.consent_links`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, StringConstraints

from optledger.core.consent_links import MAX_ADDRESSES
from optledger.core.contact_points import MAX_EMAIL_LENGTH
from optledger.core.use_cases import links
from optledger.dialects.manage.dependencies import COMPANY_RESPONSES, PREFIX, ManagedCompany
from optledger.dialects.manage.wire import Body
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix=PREFIX, tags=["Manage unsubscribe links"], responses=COMPANY_RESPONSES)
Address = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=MAX_EMAIL_LENGTH)
]


class LinksBody(Body):
    addresses: Annotated[list[Address], Field(min_length=1, max_length=MAX_ADDRESSES)]
    list_id: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,18}$")] | None = Field(
        default=None, description="One of the company's email lists; default: MARKETING email."
    )
    mailto: Annotated[str, StringConstraints(min_length=3, max_length=320)] | None = Field(
        default=None, description="Also a mailto: target (default: OPTLEDGER_UNSUBSCRIBE_MAILTO)."
    )


class LinkDto(BaseModel):
    address: str = Field(description="As stored: trimmed, domain lower-cased.")
    url: str
    headers: dict[str, str] = Field(description="List-Unsubscribe and List-Unsubscribe-Post.")


class LinksDto(BaseModel):
    links: list[LinkDto]


@router.post("/companies/{company_key}/unsubscribe-links")
async def unsubscribe_links(
    body: LinksBody, request: Request, company: ManagedCompany, database: DatabaseDep
) -> LinksDto:
    """A one-click unsubscribe URL, and the headers to send it in, for each address."""
    base_url: str | None = request.app.state.settings.public_base_url
    minted = await links.mint_links(
        database,
        company,
        body.addresses,
        None if body.list_id is None else int(body.list_id),
        base_url=base_url,
        mailto=body.mailto,
    )
    return LinksDto(
        links=[LinkDto(address=m.address, url=m.url, headers=dict(m.headers)) for m in minted]
    )
