"""`/manage/v1/companies/{company_key}/templates`: the texts sent to people, per locale
and kind; a company's own text overrides the built-in one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from optledger.core.companies import get_company_by_key
from optledger.core.template_listing import TemplateText, company_templates
from optledger.core.templates import MessageKind, set_company_template
from optledger.dialects.manage.dependencies import COMPANY_RESPONSES, PREFIX, ManagedCompany
from optledger.dialects.manage.wire import TemplateBody, TemplateDto, TemplatesDto
from optledger.storage.sql import Connection
from optledger.web.authentication import DatabaseDep

router = APIRouter(
    prefix=f"{PREFIX}/companies/{{company_key}}/templates",
    tags=["Manage templates"],
    responses=COMPANY_RESPONSES,
)
LocaleTag = Annotated[str, Path(pattern=r"^[a-z]{2,3}-[A-Z]{2}$", examples=["en-US"])]


async def _set(
    database: DatabaseDep, key: str, locale: str, kind: MessageKind, text: str | None
) -> TemplateDto:
    async def apply(connection: Connection) -> TemplateText:
        # Read again in the unit of work: settings are rewritten whole.
        company = await get_company_by_key(connection, key)
        await set_company_template(connection, company, locale, kind, text)
        changed = await get_company_by_key(connection, key)
        return next(
            found
            for found in company_templates(changed)
            if found.locale == locale and found.kind == kind
        )

    return TemplateDto.of(await database.run(apply))


@router.get("")
async def list_templates(company: ManagedCompany) -> TemplatesDto:
    """Every text of every locale the company has texts for, and whose each is."""
    return TemplatesDto(templates=[TemplateDto.of(found) for found in company_templates(company)])


@router.put("/{locale}/{kind}")
async def set_template(
    locale: LocaleTag,
    kind: MessageKind,
    body: TemplateBody,
    company: ManagedCompany,
    database: DatabaseDep,
) -> TemplateDto:
    """Use the company's own text for a locale and kind."""
    return await _set(database, company.key, locale, kind, body.text)


@router.delete("/{locale}/{kind}")
async def reset_template(
    locale: LocaleTag, kind: MessageKind, company: ManagedCompany, database: DatabaseDep
) -> TemplateDto:
    """Go back to the built-in text (the company's override is removed)."""
    return await _set(database, company.key, locale, kind, None)
