"""Persons (`/mobiledb/persons`): add, get, update, find by MDN."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from optledger.core.contact_points import normalize_phone
from optledger.core.errors import InvalidContactPoint
from optledger.core.person_profiles import PersonChanges, PersonProfile
from optledger.core.use_cases import people
from optledger.dialects.vibes.dependencies import (
    PREFIX,
    CompanyKey,
    ExternalId,
    PersonKey,
    VibesPrincipal,
    vibes_context,
    vibes_time,
)
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix=f"{PREFIX}/{{company_key}}/mobiledb/persons", tags=["Vibes persons"])

FIELD_TEXT = 1000
HELD_ELSEWHERE: dict[int | str, dict[str, Any]] = {
    409: {"description": "The MDN or external id belongs to another person."}
}


class MobilePhoneIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    mdn: Annotated[str, Field(min_length=1, max_length=32)]


class PersonIn(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "external_person_id": "crm-2",
                    "mobile_phone": {"mdn": "14155550124"},
                    "custom_fields": {"plan": "gold"},
                }
            ]
        },
    )

    external_person_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    mobile_phone: MobilePhoneIn | None = None
    custom_fields: dict[str, Annotated[str, Field(max_length=FIELD_TEXT)]] | None = Field(
        default=None, max_length=100
    )


class MobilePhoneOut(BaseModel):
    mdn: str
    carrier_code: str | None = None


class PersonOut(BaseModel):
    person_key: str
    external_person_id: str | None
    mobile_phone: MobilePhoneOut | None
    custom_fields: dict[str, str]
    created_at: str | None
    updated_at: str | None
    url: str


def mdn(raw: str) -> str:
    """An MDN, E.164 with or without its `+`; a bad one is `INVALID_MDN`."""
    text = raw.strip()
    try:
        return normalize_phone(text if text.startswith("+") else f"+{text}")
    except InvalidContactPoint as exc:
        raise InvalidContactPoint(exc.message, code="INVALID_MDN") from None


def _changes(body: PersonIn) -> PersonChanges:
    return PersonChanges(
        phone=mdn(body.mobile_phone.mdn) if body.mobile_phone else None,
        external_id=body.external_person_id.strip() if body.external_person_id else None,
        custom=body.custom_fields or {},
    )


def _out(company_key: str, profile: PersonProfile) -> dict[str, Any]:
    return PersonOut(
        person_key=profile.person.person_key,
        external_person_id=profile.external_id,
        mobile_phone=MobilePhoneOut(mdn=profile.phone) if profile.phone else None,
        custom_fields={name: str(value) for name, value in profile.attributes.items()},
        created_at=vibes_time(profile.created_at),
        updated_at=vibes_time(profile.updated_at),
        url=f"{PREFIX}/{company_key}/mobiledb/persons/{profile.person.person_key}",
    ).model_dump()


@router.post(
    "",
    response_model=PersonOut,
    status_code=201,
    responses={
        200: {
            "model": PersonOut,
            "description": "The person the MDN or external id names, updated.",
        },
        **HELD_ELSEWHERE,
    },
)
async def add(
    company_key: CompanyKey,
    body: PersonIn,
    request: Request,
    principal: VibesPrincipal,
    database: DatabaseDep,
) -> JSONResponse:
    """A new person (201), or the one the MDN or external_person_id names, updated (200)."""
    changes = _changes(body)
    profile, created = await people.add_person(
        database, principal.company.id, changes, vibes_context(request, principal)
    )
    return JSONResponse(_out(company_key, profile), status_code=201 if created else 200)


@router.get(
    "", response_model=PersonOut, responses={404: {"description": "No person holds this MDN."}}
)
async def find_by_mdn(
    company_key: CompanyKey,
    principal: VibesPrincipal,
    database: DatabaseDep,
    mdn_query: Annotated[
        str, Query(alias="mdn", min_length=1, max_length=32, examples=["14155550124"])
    ],
) -> dict[str, Any]:
    """The person holding a mobile number."""
    profile = await people.get_profile(database, principal.company.id, phone=mdn(mdn_query))
    return _out(company_key, profile)


async def _get(
    database: DatabaseDep,
    principal: VibesPrincipal,
    company_key: str,
    person_key: str | None = None,
    external_id: str | None = None,
) -> dict[str, Any]:
    profile = await people.get_profile(
        database, principal.company.id, person_key=person_key, external_id=external_id
    )
    return _out(company_key, profile)


async def _update(
    database: DatabaseDep,
    request: Request,
    principal: VibesPrincipal,
    company_key: str,
    body: PersonIn,
    person_key: str | None = None,
    external_id: str | None = None,
) -> dict[str, Any]:
    profile = await people.update_person(
        database,
        principal.company.id,
        _changes(body),
        vibes_context(request, principal),
        person_key=person_key,
        external_id=external_id,
    )
    return _out(company_key, profile)


@router.get("/external/{external_person_id}", response_model=PersonOut)
async def get_by_external_id(
    company_key: CompanyKey,
    external_person_id: ExternalId,
    principal: VibesPrincipal,
    database: DatabaseDep,
) -> dict[str, Any]:
    """The person with this external id."""
    return await _get(database, principal, company_key, external_id=external_person_id)


@router.put("/external/{external_person_id}", response_model=PersonOut, responses=HELD_ELSEWHERE)
async def update_by_external_id(
    company_key: CompanyKey,
    external_person_id: ExternalId,
    body: PersonIn,
    request: Request,
    principal: VibesPrincipal,
    database: DatabaseDep,
) -> dict[str, Any]:
    """Change the person with this external id (409 for an MDN another person holds)."""
    return await _update(
        database, request, principal, company_key, body, external_id=external_person_id
    )


@router.get("/{person_key}", response_model=PersonOut)
async def get_by_person_key(
    company_key: CompanyKey, person_key: PersonKey, principal: VibesPrincipal, database: DatabaseDep
) -> dict[str, Any]:
    """One person."""
    return await _get(database, principal, company_key, person_key=person_key)


@router.put("/{person_key}", response_model=PersonOut, responses=HELD_ELSEWHERE)
async def update_by_person_key(
    company_key: CompanyKey,
    person_key: PersonKey,
    body: PersonIn,
    request: Request,
    principal: VibesPrincipal,
    database: DatabaseDep,
) -> dict[str, Any]:
    """Change a person (409 for an MDN another person holds)."""
    return await _update(database, request, principal, company_key, body, person_key=person_key)
