"""The suppression list: contact points erased on request, kept only as keyed hashes.

An erased contact point has opted out, and that fact must survive the erasure:
otherwise a later subscribe would find no trace of it and treat it as new. So
each erased phone (TEXT) or email (EMAIL) leaves an HMAC-SHA256 of its normalised
value, keyed with a random per-company key, which matches the value again when it
comes back without revealing it to a reader of the suppression list alone.

What counts as new consent for a suppressed contact point: an explicit subscribe
that the person confirms (the normal double opt-in flow, or their own keyword).
Whatever would start ACTIVE without the person confirming cannot re-subscribe
it: a single opt-in request, a unit that does not ask on that channel (email
double opt-in is off by default), an import unit (409, nothing written). An
allowed subscribe is recorded as a `consent_after_erasure` event.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection, Sequence
from typing import Protocol

from optledger.core.catalog import Catalog
from optledger.core.consent import Channel
from optledger.core.context import RequestContext
from optledger.core.errors import ContactPointSuppressed
from optledger.core.events import EventType, new_event, record_events
from optledger.storage.clock import utcnow
from optledger.storage.repositories import privacy_keys
from optledger.storage.repositories.companies import bump_version
from optledger.storage.repositories.privacy import suppressed_among
from optledger.storage.repositories.units import UnitRow
from optledger.storage.sql import Connection

ERASURE_REASON = "privacy_erasure"
IMPORT_METHOD = "IMPORT"


class ChannelContacts(Protocol):
    """Anything that names the contact point of a channel (such as `ContactPoints`)."""

    def for_channel(self, channel: Channel) -> str | None:
        """The contact point for `channel`, if any."""
        ...


async def ensure_privacy_key(connection: Connection, company_id: int) -> str:
    """The company's suppression key, made on first need.

    Making it bumps the company's version: every process's cached catalog learns
    that this company now has suppressions to check. Two first erasures racing: the
    unique company_id fails one, which replays.
    """
    key = await privacy_keys.privacy_key(connection, company_id)
    if key is None:
        key = secrets.token_hex(32)
        await privacy_keys.insert_privacy_key(connection, company_id, key, utcnow())
        await bump_version(connection, company_id)
    return key


def contact_hash(key: str, channel: Channel, contact: str) -> str:
    """The keyed hash of a normalised contact point on its channel."""
    message = f"{channel.value}:{contact}".encode()
    return hmac.new(bytes.fromhex(key), message, hashlib.sha256).hexdigest()


async def check_suppression(
    connection: Connection,
    catalog: Catalog,
    unit: UnitRow,
    contacts: ChannelContacts,
    channels: Sequence[Channel],
    unconfirmed: Collection[Channel],
    context: RequestContext,
) -> None:
    """Refuse to re-subscribe an erased contact point without confirmed consent.

    `unconfirmed` are the channels whose new record would start ACTIVE with no
    confirmation from the person (a single opt-in request, or a unit that does not
    ask on that channel).

    The one place the suppression list is consulted, by the subscribe flow before
    anything is written. Costs nothing for a company that never erased anyone (the
    cached catalog knows), one indexed read otherwise.
    """
    key = catalog.privacy_key
    if key is None:
        return
    company_id = catalog.company.id
    wanted = {
        channel: (contact, contact_hash(key, channel, contact))
        for channel in channels
        if (contact := contacts.for_channel(channel)) is not None
    }
    found = await suppressed_among(connection, company_id, [d for _, d in wanted.values()])
    suppressed = [c for c, (_, digest) in wanted.items() if (c.value, digest) in found]
    for channel in suppressed:
        if channel in unconfirmed or unit.method == IMPORT_METHOD:
            raise ContactPointSuppressed(
                f"the {channel} contact point was erased at its owner's request and opted "
                "out; it can only be subscribed again with confirmed consent (double opt-in)"
            )
    await record_events(
        connection,
        [
            new_event(
                company_id,
                EventType.CONSENT_AFTER_ERASURE,
                context,
                channel=channel.value,
                contact_value=wanted[channel][0],
                data={"unit_id": unit.id, "method": unit.method},
            )
            for channel in suppressed
        ],
    )
