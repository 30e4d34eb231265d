"""The suppression list: contact points erased on request, kept only as keyed hashes.

An erased contact point has opted out, and that fact must survive the erasure:
otherwise a later subscribe would find no trace of it and treat it as new. So
each erased phone (TEXT) or email (EMAIL) leaves an HMAC-SHA256 of its normalised
value, keyed with a random per-company key, which matches the value again when it
comes back without revealing it to a reader of the suppression list alone.

What counts as new consent for a suppressed contact point: an explicit subscribe
that the person confirms (the normal double opt-in flow, or their own keyword).
A single opt-in request or an import unit cannot re-subscribe it (409, nothing
written); an allowed subscribe is recorded as a `consent_after_erasure` event.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.consent import Channel
from optledger.core.context import RequestContext
from optledger.core.errors import ContactPointSuppressed
from optledger.core.events import EventType, record_event
from optledger.storage.tables import PrivacyKey, SignUpUnit, Suppression

ERASURE_REASON = "privacy_erasure"
IMPORT_METHOD = "IMPORT"


class ChannelContacts(Protocol):
    """Anything that names the contact point of a channel (such as `ContactPoints`)."""

    def for_channel(self, channel: Channel) -> str | None:
        """The contact point for `channel`, if any."""
        ...


async def privacy_key(session: AsyncSession, company_id: int, *, create: bool) -> str | None:
    """The company's suppression key; made on first need when `create`."""
    key = await session.scalar(select(PrivacyKey.secret).where(PrivacyKey.company_id == company_id))
    if key is None and create:
        key = secrets.token_hex(32)
        session.add(PrivacyKey(company_id=company_id, secret=key))
        # Two first erasures racing: the unique company_id fails one, which replays.
        await session.flush()
    return key


def contact_hash(key: str, channel: Channel, contact: str) -> str:
    """The keyed hash of a normalised contact point on its channel."""
    message = f"{channel.value}:{contact}".encode()
    return hmac.new(bytes.fromhex(key), message, hashlib.sha256).hexdigest()


async def suppress(
    session: AsyncSession, company_id: int, channel: Channel, digest: str, request_id: int
) -> None:
    """Add a contact point, by its `contact_hash`, to the suppression list (once)."""
    known = await session.scalar(
        select(Suppression.id).where(
            Suppression.company_id == company_id,
            Suppression.channel == channel.value,
            Suppression.contact_hash == digest,
        )
    )
    if known is None:
        session.add(
            Suppression(
                company_id=company_id,
                channel=channel.value,
                contact_hash=digest,
                reason=ERASURE_REASON,
                privacy_request_id=request_id,
            )
        )


async def check_suppression(
    session: AsyncSession,
    company_id: int,
    unit: SignUpUnit,
    contacts: ChannelContacts,
    channels: Sequence[Channel],
    single_opt_in: bool,
    context: RequestContext,
) -> None:
    """Refuse to re-subscribe an erased contact point without confirmed consent.

    The one place the suppression list is consulted, by the subscribe flow before
    anything is written. Costs one indexed read for a company that never erased.
    """
    key = await privacy_key(session, company_id, create=False)
    if key is None:
        return
    wanted = {
        channel: (contact, contact_hash(key, channel, contact))
        for channel in channels
        if (contact := contacts.for_channel(channel)) is not None
    }
    rows = await session.execute(
        select(Suppression.channel, Suppression.contact_hash).where(
            Suppression.company_id == company_id,
            Suppression.contact_hash.in_([digest for _, digest in wanted.values()]),
        )
    )
    found = {(channel, digest) for channel, digest in rows}
    suppressed = [c for c, (_, digest) in wanted.items() if (c.value, digest) in found]
    for channel in suppressed:
        if single_opt_in or unit.method == IMPORT_METHOD:
            raise ContactPointSuppressed(
                f"the {channel} contact point was erased at its owner's request and opted "
                "out; it can only be subscribed again with confirmed consent (double opt-in)"
            )
    for channel in suppressed:
        record_event(
            session,
            company_id,
            EventType.CONSENT_AFTER_ERASURE,
            context,
            channel=channel.value,
            contact_value=wanted[channel][0],
            data={"unit_id": unit.id, "method": unit.method},
        )
