"""A company's settings: the texts it sends and its Twilio token, the same from every door."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from optledger.core.audit import Actor, changed_fields, record_change
from optledger.core.catalog import load_catalog
from optledger.core.companies import get_company
from optledger.core.company_settings import TWILIO_AUTH_TOKEN, set_company_setting
from optledger.core.message_kinds import MessageKind
from optledger.core.sms_segments import SmsCount, sms_count
from optledger.core.template_listing import TemplateText as TemplateText
from optledger.core.template_listing import company_templates, preview_unit, template_of
from optledger.core.templates import checked_locale, checked_template, fill, set_company_template
from optledger.storage.database import Database
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.sql import Connection


async def list_templates(database: Database, company_id: int) -> list[TemplateText]:
    """Every text of every locale the company has texts for, each kind, and whose each is."""
    catalog = await database.read(
        lambda connection: load_catalog(connection, company_id), standby=True
    )
    return company_templates(catalog.company)


@dataclass(frozen=True)
class TemplatePreview:
    """A text as it would be sent, next to what the company sends now."""

    current: TemplateText
    # The text previewed: the one typed, or the current one.
    text: str
    message: str
    sms: SmsCount
    # The unit whose disclosure fills {disclosure}, if the company has one.
    disclosure_from: str | None


async def preview_template(
    database: Database, company_id: int, locale: str, kind: MessageKind, text: str | None
) -> TemplatePreview:
    """`text` (None: the company's current text) filled in with the company's name and
    a unit's disclosure, the way it is sent, and the SMS it takes; a text the company
    could not save is refused the same way (`InvalidInput`)."""
    catalog = await database.read(
        lambda connection: load_catalog(connection, company_id), standby=True
    )
    current = template_of(catalog.company, checked_locale(locale), kind)
    previewed = current.text if text is None else checked_template(text)
    unit = preview_unit(catalog.units, locale)
    disclosure = unit.legal_disclosure if unit is not None else None
    message = fill(previewed, catalog.company.name, disclosure)
    return TemplatePreview(
        current, previewed, message, sms_count(message), unit.name if unit else None
    )


def _matching(company: CompanyRow, locale: str, kind: MessageKind) -> Iterator[TemplateText]:
    """The text the company sends for a locale and kind (none for a locale it has none of)."""
    wanted = (locale, kind)
    return (found for found in company_templates(company) if (found.locale, found.kind) == wanted)


def _audited(template: TemplateText | None) -> dict[str, str | None]:
    """A template as the audit trail compares it: its text and whose it is."""
    if template is None:
        return {}
    return {"text": template.text, "source": template.source}


async def set_template(
    database: Database,
    company_id: int,
    locale: str,
    kind: MessageKind,
    text: str | None,
    *,
    actor: Actor | None,
) -> TemplateText:
    """Use the company's own text for a locale and kind; None goes back to the built-in one."""

    async def apply(connection: Connection) -> TemplateText:
        # Read in the unit of work: settings are rewritten whole.
        company = await get_company(connection, company_id)
        before = next(_matching(company, locale, kind), None)
        await set_company_template(connection, company, locale, kind, text)
        after = next(_matching(await get_company(connection, company_id), locale, kind))
        action = "template.reset" if text is None else "template.set"
        changes = changed_fields(_audited(before), _audited(after))
        await record_change(
            connection, actor, company_id, action, "template", f"{locale}/{kind.value}", changes
        )
        return after

    return await database.run(apply)


async def set_twilio_auth_token(
    database: Database, company_id: int, token: str, *, actor: Actor | None
) -> None:
    """Keep the token inbound Twilio posts for the company are signed with; a blank one
    removes it."""

    async def apply(connection: Connection) -> None:
        # Read in the unit of work: settings are rewritten whole.
        company = await get_company(connection, company_id)
        kept = token.strip() or None
        await set_company_setting(connection, company.id, company.settings, TWILIO_AUTH_TOKEN, kept)
        # Whether a token is kept, never the token.
        changes = {"token": {"before": None, "after": "set" if kept else "removed"}}
        await record_change(
            connection, actor, company_id, "twilio.token_set", "twilio", None, changes
        )

    await database.run(apply)
