"""Deletion requests: erase a subject's personal data, keep the fact they opted out.

Processing is synchronous: the request is processed when the API answers. For
every person the subject's identifiers find, and for the subject's own phone and
email even if no person has them:

- open subscription records end (`api_opt_out`), as the subject asked to leave;
- every phone and email of theirs joins the suppression list (a keyed hash);
- the raw contact values on subscription records, events and messages are
  replaced by `erased:<hash>`, message bodies by a redaction, and queued messages
  are cancelled; events lose their personal content but keep their ledger leaves
  (see `event_redaction`);
- identifiers and attribute values are deleted. The person row stays (records
  and events point at it) with nothing left that names anyone.

The request itself keeps the subject masked (`+*****5555`, `a**@example.com`).
"""

from __future__ import annotations

from dataclasses import dataclass

from optledger.core.consent import Channel, OptOutReason, RecordStatus, is_open
from optledger.core.context import RequestContext
from optledger.core.errors import InvalidInput, NotFound
from optledger.core.events import EventType, event_on, record_event, record_events
from optledger.core.identity import Identity
from optledger.core.people import IdentifierKind, find_people
from optledger.core.privacy.event_redaction import redact_events
from optledger.core.privacy.suppression import ERASURE_REASON, contact_hash, ensure_privacy_key
from optledger.storage.clock import utcnow
from optledger.storage.repositories import privacy as stored
from optledger.storage.repositories import records
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.people import (
    delete_identifiers_of_people,
    identifiers_of_people,
)
from optledger.storage.repositories.privacy import PrivacyRequestRow
from optledger.storage.sql import Connection

DELETE_REQUEST = "DELETE"
REDACTED_BODY = "[erased]"


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
    connection: Connection,
    company: CompanyRow,
    command: DeleteRequestCommand,
    context: RequestContext,
) -> PrivacyRequestRow:
    """Record a deletion request and process it now."""
    contacts = command.subject.contacts
    if not command.subject.identifiers:
        raise InvalidInput("a deletion request needs subjectEmail, subjectPhone or clientUserId")
    request_id = await stored.insert_privacy_request(
        connection,
        company_id=company.id,
        type=DELETE_REQUEST,
        subject_email=mask_email(contacts.email) if contacts.email else None,
        subject_phone=mask_phone(contacts.phone) if contacts.phone else None,
        request_msg=command.request_msg,
        credential_id=context.credential_id,
        now=utcnow(),
    )
    await _erase(connection, company.id, command.subject, request_id, context)
    return await stored.finish_privacy_request(connection, request_id, utcnow())


async def get_privacy_request(
    connection: Connection, company_id: int, request_id: str
) -> PrivacyRequestRow:
    """One of the company's privacy requests, or `NotFound`."""
    found = None
    if request_id.isascii() and request_id.isdigit() and len(request_id) <= 18:
        found = await stored.privacy_request(connection, company_id, int(request_id))
    if found is None:
        raise NotFound(f"privacy request {request_id!r} does not exist")
    return found


async def _subject_contacts(
    connection: Connection, company_id: int, subject: Identity
) -> tuple[set[int], dict[str, Channel]]:
    """The people the subject's identifiers find, and all their contact points."""
    person_ids = set((await find_people(connection, company_id, subject.identifiers)).values())
    given = subject.contacts
    contacts = {value: c for c in Channel if (value := given.for_channel(c)) is not None}
    for identifier in await identifiers_of_people(connection, company_id, person_ids):
        if identifier.kind == IdentifierKind.PHONE:
            contacts[identifier.value] = Channel.TEXT
        elif identifier.kind == IdentifierKind.EMAIL:
            contacts[identifier.value] = Channel.EMAIL
    return person_ids, contacts


async def _erase(
    connection: Connection,
    company_id: int,
    subject: Identity,
    request_id: int,
    context: RequestContext,
) -> None:
    person_ids, contacts = await _subject_contacts(connection, company_id, subject)
    key = await ensure_privacy_key(connection, company_id)
    found = await stored.records_of_subject(connection, company_id, contacts, person_ids)
    for record in found:
        contacts.setdefault(record.contact_value, Channel(record.channel))
    open_ids = [r.id for r in found if is_open(RecordStatus(r.status))]
    if open_ids:
        # The subject asked to leave: their open records end before anything is scrubbed,
        # each ending event at the record's own opt-out time (the ledger replays them).
        now = utcnow()
        reason = OptOutReason.API_OPT_OUT.value
        ended = await records.records_by_ids(
            connection, await records.end_records(connection, open_ids, reason, now)
        )
        await record_events(
            connection,
            [event_on(r, EventType.SUBSCRIPTION_ENDED, context, now, reason=reason) for r in ended],
        )
    digests = {value: contact_hash(key, channel, value) for value, channel in contacts.items()}
    await stored.suppress(
        connection,
        company_id,
        [(contacts[value].value, digest) for value, digest in digests.items()],
        ERASURE_REASON,
        request_id,
        utcnow(),
    )
    redactions = {value: f"erased:{digest}" for value, digest in digests.items()}
    await stored.redact_contact_values(connection, company_id, redactions, REDACTED_BODY)
    await redact_events(connection, company_id, redactions, person_ids, request_id)
    await delete_identifiers_of_people(connection, company_id, person_ids)
    await stored.delete_attribute_values(connection, company_id, person_ids)
    await record_event(
        connection,
        company_id,
        EventType.PRIVACY_ERASURE,
        context,
        data={
            "privacy_request_id": request_id,
            "people": len(person_ids),
            "contact_points": len(contacts),
        },
    )
