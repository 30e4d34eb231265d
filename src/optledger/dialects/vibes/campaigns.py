"""Acquisition campaigns (`/campaigns/acquisition`): the company's sign-up units, and
their participants."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from optledger.core.consent import RecordStatus
from optledger.core.sign_up_units import ACTIVE
from optledger.core.use_cases import campaigns
from optledger.core.use_cases.campaigns import UnitRow
from optledger.dialects.vibes.dependencies import (
    PREFIX,
    CompanyKey,
    VibesPrincipal,
    vibes_context,
    vibes_time,
)
from optledger.dialects.vibes.persons import FIELD_TEXT, MobilePhoneIn, mdn
from optledger.storage.clock import utcnow
from optledger.web.authentication import DatabaseDep

router = APIRouter(
    prefix=f"{PREFIX}/{{company_key}}/campaigns/acquisition", tags=["Vibes campaigns"]
)

CampaignId = Annotated[int, Path(ge=1, le=2**62)]


class KeywordsDto(BaseModel):
    keywords: list[str]


class CampaignDto(BaseModel):
    acquisition_id: str
    description: str
    status: Literal["active", "past"]
    start_date: str | None
    end_date: str | None
    created_date: str | None
    updated_date: str | None
    acquisition_campaign: KeywordsDto
    url: str


class ParticipantIn(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        strict=True,
        json_schema_extra={"examples": [{"mobile_phone": {"mdn": "14155550125"}}]},
    )

    person_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    external_person_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    mobile_phone: MobilePhoneIn | None = None
    custom_fields: dict[str, Annotated[str, Field(max_length=FIELD_TEXT)]] | None = Field(
        default=None, max_length=100
    )


class PersonReference(BaseModel):
    person_id: str
    person_key: str
    url: str


class ParticipantDto(BaseModel):
    person: PersonReference
    participation_date: str | None
    expire_date: str | None
    status: Literal["PENDING", "SUBSCRIBED"]


def _campaign(company_key: str, unit: UnitRow) -> CampaignDto:
    return CampaignDto(
        acquisition_id=str(unit.id),
        description=unit.name,
        status="active" if unit.status == ACTIVE else "past",
        start_date=vibes_time(unit.created_at),
        end_date=None,
        created_date=vibes_time(unit.created_at),
        updated_date=vibes_time(unit.created_at),
        acquisition_campaign=KeywordsDto(keywords=unit.keywords),
        url=f"{PREFIX}/{company_key}/campaigns/acquisition/{unit.id}",
    )


def _reference(company_key: str, person_key: str) -> PersonReference:
    return PersonReference(
        person_id=person_key,
        person_key=person_key,
        url=f"{PREFIX}/{company_key}/mobiledb/persons/{person_key}",
    )


@router.get("")
async def list_campaigns(
    company_key: CompanyKey, principal: VibesPrincipal, database: DatabaseDep
) -> list[CampaignDto]:
    """The company's acquisition campaigns (its sign-up units)."""
    units = await campaigns.list_campaigns(database, principal.company.id)
    return [_campaign(company_key, unit) for unit in units]


@router.get("/{campaign_id}")
async def get_campaign(
    company_key: CompanyKey,
    campaign_id: CampaignId,
    principal: VibesPrincipal,
    database: DatabaseDep,
) -> CampaignDto:
    """One acquisition campaign."""
    unit = await campaigns.get_campaign(database, principal.company.id, campaign_id)
    return _campaign(company_key, unit)


@router.post(
    "/{campaign_id}/participants",
    status_code=201,
    responses={
        409: {
            "description": "ALREADYSUBSCRIBED: the number is subscribed already; or an "
            "identifier belongs to another person."
        },
        422: {"description": "MDNHASCONFIRMATIONBLOCK: the number answered NO to the prompt."},
    },
)
async def add_participant(
    company_key: CompanyKey,
    campaign_id: CampaignId,
    body: ParticipantIn,
    request: Request,
    principal: VibesPrincipal,
    database: DatabaseDep,
) -> ParticipantDto:
    """Subscribe a number to the campaign: PENDING with the "Reply Y" prompt when it is
    double opt-in, SUBSCRIBED otherwise; 409 ALREADYSUBSCRIBED, 422
    MDNHASCONFIRMATIONBLOCK after the number answered NO."""
    joined = await campaigns.join_campaign(
        database,
        principal.company,
        campaign_id,
        vibes_context(request, principal),
        phone=mdn(body.mobile_phone.mdn) if body.mobile_phone else None,
        person_key=body.person_id,
        external_id=body.external_person_id.strip() if body.external_person_id else None,
        custom=body.custom_fields,
    )
    now = utcnow()
    ttl = timedelta(hours=request.app.state.settings.confirmation_ttl_hours)
    pending = joined.status == RecordStatus.PENDING
    return ParticipantDto(
        person=_reference(company_key, joined.person.person_key),
        participation_date=vibes_time(now),
        expire_date=vibes_time(now + ttl) if pending else None,
        status="PENDING" if pending else "SUBSCRIBED",
    )


@router.get("/{campaign_id}/participants")
async def list_participants(
    company_key: CompanyKey,
    campaign_id: CampaignId,
    principal: VibesPrincipal,
    database: DatabaseDep,
    status: Annotated[Literal["PENDING", "SUBSCRIBED"] | None, Query()] = None,
) -> list[ParticipantDto]:
    """The campaign's participants, of one status if asked."""
    wanted = {None: None, "PENDING": RecordStatus.PENDING, "SUBSCRIBED": RecordStatus.ACTIVE}
    found = await campaigns.list_participants(
        database, principal.company.id, campaign_id, wanted[status]
    )
    return [
        ParticipantDto(
            person=_reference(company_key, person_key),
            participation_date=vibes_time(record.created_at),
            expire_date=None,
            status="PENDING" if record.status == RecordStatus.PENDING else "SUBSCRIBED",
        )
        for record, person_key in found
        if record.status in (RecordStatus.PENDING, RecordStatus.ACTIVE)
    ]
