"""`/manage/v1/companies/{company_key}/templates`: the texts sent to people, per locale
and kind; a company's own text overrides the built-in one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from optledger.core.message_kinds import MessageKind
from optledger.core.use_cases import company_settings
from optledger.dialects.manage.dependencies import (
    COMPANY_RESPONSES,
    PREFIX,
    ActingOperator,
    ManagedCompany,
)
from optledger.dialects.manage.wire import TemplateBody, TemplateDto, TemplatesDto
from optledger.web.authentication import DatabaseDep

router = APIRouter(
    prefix=f"{PREFIX}/companies/{{company_key}}/templates",
    tags=["Manage templates"],
    responses=COMPANY_RESPONSES,
)
LocaleTag = Annotated[str, Path(pattern=r"^[a-z]{2,3}-[A-Z]{2}$", examples=["en-US"])]


@router.get("")
async def list_templates(company: ManagedCompany, database: DatabaseDep) -> TemplatesDto:
    """Every text of every locale the company has texts for, and whose each is."""
    found = await company_settings.list_templates(database, company.id)
    return TemplatesDto(templates=[TemplateDto.of(text) for text in found])


@router.put("/{locale}/{kind}")
async def set_template(
    locale: LocaleTag,
    kind: MessageKind,
    body: TemplateBody,
    company: ManagedCompany,
    actor: ActingOperator,
    database: DatabaseDep,
) -> TemplateDto:
    """Use the company's own text for a locale and kind."""
    changed = await company_settings.set_template(
        database, company.id, locale, kind, body.text, actor=actor
    )
    return TemplateDto.of(changed)


@router.delete("/{locale}/{kind}")
async def reset_template(
    locale: LocaleTag,
    kind: MessageKind,
    company: ManagedCompany,
    actor: ActingOperator,
    database: DatabaseDep,
) -> TemplateDto:
    """Go back to the built-in text (the company's override is removed)."""
    reset = await company_settings.set_template(
        database, company.id, locale, kind, None, actor=actor
    )
    return TemplateDto.of(reset)
