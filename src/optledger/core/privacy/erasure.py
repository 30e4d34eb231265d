"""Deletion requests: erase a subject's personal data, keep the fact they opted out.

Processing is synchronous: the request is processed when the API answers. For
every person the subject's identifiers find, and for the subject's own phone and
email even if no person has them:

- open subscription records end (`api_opt_out`), as the subject asked to leave;
- every phone and email of theirs joins the suppression list (a keyed hash);
- the raw contact values on subscription records, events and messages are
  replaced by `erased:<hash>`, message bodies by a redaction, and queued messages
  are cancelled;
- identifiers and attribute values are deleted. The person row stays (records
  and events point at it) with nothing left that names anyone.

The request itself keeps the subject masked (`+*****5555`, `a**@example.com`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.consent import Channel, OptOutReason, RecordStatus, is_open
from optledger.core.context import RequestContext
from optledger.core.errors import InvalidInput, NotFound
from optledger.core.events import EventType, record_event
from optledger.core.identity import Identity
from optledger.core.people import IdentifierKind, find_people
from optledger.core.privacy.suppression import contact_hash, privacy_key, suppress
from optledger.core.subscriptions.records import end_record
from optledger.storage.tables import (
    Company,
    ConfirmationBlock,
    Event,
    InboundMessage,
    Message,
    PersonAttribute,
    PersonIdentifier,
    PrivacyRequest,
    SubscriptionRecord,
)
from optledger.storage.types import utcnow

DELETE_REQUEST = "DELETE"
REDACTED_BODY = "[erased]"

# Every (table, column) that keeps a raw contact value: erasure rewrites each.
CONTACT_COLUMNS: tuple[
    tuple[type[SubscriptionRecord | Event | Message | InboundMessage | ConfirmationBlock], str],
    ...,
] = (
    (SubscriptionRecord, "contact_value"),
    (Event, "contact_value"),
    (Message, "to_address"),
    (InboundMessage, "from_address"),
    (ConfirmationBlock, "contact_value"),
)


@dataclass(frozen=True)
class DeleteRequestCommand:
    """Who is to be erased, and the requester's note for the audit trail."""

    subject: Identity
    request_msg: str | None = None


def mask_phone(phone: str) -> str:
    """`+*****5555`: enough to recognise a request, not to reach anyone."""
    return f"+*****{phone[-4:]}"


def mask_email(email: str) -> str:
    """`a**@example.com`."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}**@{domain}"


async def request_deletion(
    session: AsyncSession, company: Company, command: DeleteRequestCommand, context: RequestContext
) -> PrivacyRequest:
    """Record a deletion request and process it now."""
    contacts = command.subject.contacts
    if not command.subject.identifiers:
        raise InvalidInput("a deletion request needs subjectEmail, subjectPhone or clientUserId")
    now = utcnow()
    request = PrivacyRequest(
        company_id=company.id,
        type=DELETE_REQUEST,
        subject_email=mask_email(contacts.email) if contacts.email else None,
        subject_phone=mask_phone(contacts.phone) if contacts.phone else None,
        request_msg=command.request_msg,
        processed=False,
        credential_id=context.credential_id,
        requested_at=now,
        processing_started_at=now,
    )
    session.add(request)
    await session.flush()
    await _erase(session, company.id, command.subject, request, context)
    request.processed = True
    request.processing_ended_at = utcnow()
    return request


async def get_privacy_request(
    session: AsyncSession, company_id: int, request_id: str
) -> PrivacyRequest:
    """One of the company's privacy requests, or `NotFound`."""
    found = None
    if request_id.isdigit() and len(request_id) <= 18:
        found = await session.scalar(
            select(PrivacyRequest).where(
                PrivacyRequest.company_id == company_id, PrivacyRequest.id == int(request_id)
            )
        )
    if found is None:
        raise NotFound(f"privacy request {request_id!r} does not exist")
    return found


async def _subject_contacts(
    session: AsyncSession, company_id: int, subject: Identity
) -> tuple[set[int], dict[str, Channel]]:
    """The people the subject's identifiers find, and all their contact points."""
    person_ids = set((await find_people(session, company_id, subject.identifiers)).values())
    given = subject.contacts
    contacts = {value: c for c in Channel if (value := given.for_channel(c)) is not None}
    if person_ids:
        rows = await session.execute(
            select(PersonIdentifier.kind, PersonIdentifier.value).where(
                PersonIdentifier.company_id == company_id,
                PersonIdentifier.person_id.in_(person_ids),
                PersonIdentifier.kind.in_([IdentifierKind.PHONE, IdentifierKind.EMAIL]),
            )
        )
        for kind, value in rows:
            contacts[value] = Channel.TEXT if kind == IdentifierKind.PHONE else Channel.EMAIL
    return person_ids, contacts


async def _erase(
    session: AsyncSession,
    company_id: int,
    subject: Identity,
    request: PrivacyRequest,
    context: RequestContext,
) -> None:
    person_ids, contacts = await _subject_contacts(session, company_id, subject)
    key = await privacy_key(session, company_id, create=True)
    assert key is not None
    records = await session.scalars(
        select(SubscriptionRecord).where(
            SubscriptionRecord.company_id == company_id,
            or_(
                SubscriptionRecord.contact_value.in_(contacts),
                SubscriptionRecord.person_id.in_(person_ids),
            ),
        )
    )
    for record in records:
        contacts.setdefault(record.contact_value, Channel(record.channel))
        if is_open(RecordStatus(record.status)):
            end_record(session, record, OptOutReason.API_OPT_OUT, context)
    await session.flush()
    for value, channel in contacts.items():
        digest = contact_hash(key, channel, value)
        await suppress(session, company_id, channel, digest, request.id)
        await _redact(session, company_id, value, f"erased:{digest}")
    for table in (PersonIdentifier, PersonAttribute):
        await session.execute(
            delete(table).where(table.company_id == company_id, table.person_id.in_(person_ids))
        )
    record_event(
        session,
        company_id,
        EventType.PRIVACY_ERASURE,
        context,
        data={
            "privacy_request_id": request.id,
            "people": len(person_ids),
            "contact_points": len(contacts),
        },
    )


async def _redact(session: AsyncSession, company_id: int, value: str, redacted: str) -> None:
    await session.execute(
        update(Message)
        .where(Message.company_id == company_id, Message.to_address == value)
        .values(
            body=REDACTED_BODY,
            # Nothing more may be sent to an erased contact point.
            status=case((Message.status == "queued", "cancelled"), else_=Message.status),
        )
    )
    await session.execute(
        update(InboundMessage)
        .where(InboundMessage.company_id == company_id, InboundMessage.from_address == value)
        .values(body=REDACTED_BODY)
    )
    for table, column in CONTACT_COLUMNS:
        await session.execute(
            update(table)
            .where(table.company_id == company_id, getattr(table, column) == value)
            .values({column: redacted})
            .execution_options(synchronize_session=False)
        )
