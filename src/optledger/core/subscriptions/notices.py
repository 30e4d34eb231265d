"""Texts that answer a phone about its own consent: opt-out confirmations and help."""

from __future__ import annotations

from collections.abc import Sequence

from optledger.core.consent import Channel
from optledger.core.context import RequestContext
from optledger.core.message_kinds import MessageKind
from optledger.core.messages import render_message
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.outbox import QueuedMessage
from optledger.storage.repositories.outbox import queue_message as insert_queued_message
from optledger.storage.repositories.records import RecordRow, records_of_contacts
from optledger.storage.sql import Connection


async def send_text_notice(
    connection: Connection,
    company: CompanyRow,
    phone: str,
    kind: MessageKind,
    context: RequestContext,
) -> None:
    """Queue one notice to `phone`, in the locale it last subscribed in (see `text_notice`)."""
    records = await records_of_contacts(connection, company.id, [phone])
    await insert_queued_message(connection, text_notice(company, phone, kind, context, records))


def text_notice(
    company: CompanyRow,
    phone: str,
    kind: MessageKind,
    context: RequestContext,
    records: Sequence[RecordRow],
    *,
    locale: str | None = None,
) -> QueuedMessage:
    """One notice to `phone`, rendered, not yet queued.

    It speaks `locale` if the caller names one, else the locale the phone last
    subscribed in (by its `records`), else the company's.
    """
    last = next((r for r in reversed(records) if r.channel == Channel.TEXT), None)
    if locale is None:
        locale = last.locale if last is not None else company.default_locale
    return render_message(
        company,
        context,
        channel=Channel.TEXT,
        to=phone,
        kind=kind,
        locale=locale,
        person_id=last.person_id if last is not None else None,
    )
