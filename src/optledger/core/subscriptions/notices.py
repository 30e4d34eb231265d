"""Texts that answer a phone about its own consent: opt-out confirmations and help."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.consent import Channel
from optledger.core.context import RequestContext
from optledger.core.messages import queue_message
from optledger.core.subscriptions.records import record_locale, records_for_contacts
from optledger.core.templates import MessageKind
from optledger.storage.tables import Company, SubscriptionRecord


async def send_text_notice(
    session: AsyncSession,
    company: Company,
    phone: str,
    kind: MessageKind,
    context: RequestContext,
    *,
    locale: str | None = None,
    records: Sequence[SubscriptionRecord] | None = None,
) -> None:
    """Queue one notice to `phone`.

    It speaks `locale` if the caller names one, else the locale the phone last
    subscribed in, else the company's. `records` are the phone's records when the
    caller has already read them.
    """
    if records is None:
        records = await records_for_contacts(session, company.id, [phone])
    last = next((r for r in reversed(records) if r.channel == Channel.TEXT), None)
    if locale is None:
        default = f"{company.default_language}-{company.default_country}"
        locale = record_locale(last) if last is not None else default
    queue_message(
        session,
        company,
        context,
        channel=Channel.TEXT,
        to=phone,
        kind=kind,
        locale=locale,
        person_id=last.person_id if last is not None else None,
    )
