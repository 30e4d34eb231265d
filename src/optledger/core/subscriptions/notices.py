"""Texts that answer a phone about its own consent: opt-out confirmations and help."""

from __future__ import annotations

from collections.abc import Sequence

from optledger.core.consent import Channel
from optledger.core.context import RequestContext
from optledger.core.messages import queue_message
from optledger.core.templates import MessageKind
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.records import RecordRow, records_of_contacts
from optledger.storage.sql import Connection


async def send_text_notice(
    connection: Connection,
    company: CompanyRow,
    phone: str,
    kind: MessageKind,
    context: RequestContext,
    *,
    locale: str | None = None,
    records: Sequence[RecordRow] | None = None,
) -> None:
    """Queue one notice to `phone`.

    It speaks `locale` if the caller names one, else the locale the phone last
    subscribed in, else the company's. `records` are the phone's records when the
    caller has already read them.
    """
    if records is None:
        records = await records_of_contacts(connection, company.id, [phone])
    last = next((r for r in reversed(records) if r.channel == Channel.TEXT), None)
    if locale is None:
        locale = last.locale if last is not None else company.default_locale
    await queue_message(
        connection,
        company,
        context,
        channel=Channel.TEXT,
        to=phone,
        kind=kind,
        locale=locale,
        person_id=last.person_id if last is not None else None,
    )
