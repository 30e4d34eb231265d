"""A company's settings: the texts it sends and its Twilio token, the same from every door."""

from __future__ import annotations

from optledger.core.catalog import load_catalog
from optledger.core.companies import get_company
from optledger.core.company_settings import TWILIO_AUTH_TOKEN, set_company_setting
from optledger.core.template_listing import TemplateText as TemplateText
from optledger.core.template_listing import company_templates
from optledger.core.templates import MessageKind, set_company_template
from optledger.storage.database import Database
from optledger.storage.sql import Connection


async def list_templates(database: Database, company_id: int) -> list[TemplateText]:
    """Every text of every locale the company has texts for, each kind, and whose each is."""
    catalog = await database.read(
        lambda connection: load_catalog(connection, company_id), standby=True
    )
    return company_templates(catalog.company)


async def set_template(
    database: Database, company_id: int, locale: str, kind: MessageKind, text: str | None
) -> TemplateText:
    """Use the company's own text for a locale and kind; None goes back to the built-in one."""

    async def apply(connection: Connection) -> TemplateText:
        # Read in the unit of work: settings are rewritten whole.
        company = await get_company(connection, company_id)
        await set_company_template(connection, company, locale, kind, text)
        changed = await get_company(connection, company_id)
        return next(
            found
            for found in company_templates(changed)
            if found.locale == locale and found.kind == kind
        )

    return await database.run(apply)


async def set_twilio_auth_token(database: Database, company_id: int, token: str) -> None:
    """Keep the token inbound Twilio posts for the company are signed with; a blank one
    removes it."""

    async def apply(connection: Connection) -> None:
        # Read in the unit of work: settings are rewritten whole.
        company = await get_company(connection, company_id)
        await set_company_setting(
            connection, company.id, company.settings, TWILIO_AUTH_TOKEN, token.strip() or None
        )

    await database.run(apply)
