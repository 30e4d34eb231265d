"""What the links in emails do: confirm a double opt-in, unsubscribe in one click.

Each goes through the rules every other door uses: a confirmation answers the
PENDING record as a "Y" to a text prompt does (`confirmations.confirm_pending`:
ACTIVE, its event, the welcome message), and an unsubscribe is the one opt-out flow
(`unsubscribe.unsubscribe`, reason `user_opt_out`). Looking at a link (a GET, which
mail scanners also make) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from optledger.core.catalog import load_catalog
from optledger.core.consent import Channel, OptOutReason, RecordStatus, SubscriptionType
from optledger.core.consent_links import link_signer
from optledger.core.contact_points import ContactPoints
from optledger.core.context import RequestContext
from optledger.core.subscriptions.confirmations import confirm_pending
from optledger.core.subscriptions.unsubscribe import UnsubscribeCommand, unsubscribe
from optledger.storage.clock import utcnow
from optledger.storage.repositories.companies import CompanyRow, company_by_id
from optledger.storage.repositories.records import RecordRow, records_by_ids
from optledger.storage.repositories.units import ListRow
from optledger.storage.sql import Connection

SOURCE = "email_link"


class ConfirmState(StrEnum):
    """Where a confirm link stands."""

    # Valid, and its record waits for the answer.
    READY = "ready"
    # Confirmed by this request.
    CONFIRMED = "confirmed"
    # Used: its record was confirmed before.
    ALREADY_CONFIRMED = "already_confirmed"
    # Past the confirmation time to live, or its record expired.
    EXPIRED = "expired"
    # Its record was declined or ended: there is nothing left to confirm.
    CLOSED = "closed"
    # Not a link this installation made, or its record is gone.
    INVALID = "invalid"


@dataclass(frozen=True)
class ConfirmView:
    """A confirm link's state, and what a page about it may name."""

    state: ConfirmState
    company_name: str | None = None
    address: str | None = None


_STATE_OF_STATUS = {
    RecordStatus.ACTIVE: ConfirmState.ALREADY_CONFIRMED,
    RecordStatus.EXPIRED: ConfirmState.EXPIRED,
    RecordStatus.DECLINED: ConfirmState.CLOSED,
    RecordStatus.ENDED: ConfirmState.CLOSED,
}


async def _confirm_target(
    connection: Connection, token: str, time_to_live: timedelta
) -> tuple[ConfirmView, RecordRow | None]:
    link = (await link_signer(connection)).read_confirm(token)
    if link is None:
        return ConfirmView(ConfirmState.INVALID), None
    company = await company_by_id(connection, link.company_id)
    found = await records_by_ids(connection, [link.record_id])
    record = found[0] if found else None
    if (
        company is None
        or record is None
        or record.company_id != company.id
        or record.channel != Channel.EMAIL
    ):
        return ConfirmView(ConfirmState.INVALID), None
    status = RecordStatus(record.status)
    if status == RecordStatus.PENDING:
        expired = utcnow() - link.issued_at > time_to_live
        state = ConfirmState.EXPIRED if expired else ConfirmState.READY
    else:
        state = _STATE_OF_STATUS[status]
    return ConfirmView(state, company.name, record.contact_value), record


async def look_at_confirm_link(
    connection: Connection, token: str, time_to_live: timedelta
) -> ConfirmView:
    """What a confirm link would do; nothing is changed."""
    view, _ = await _confirm_target(connection, token, time_to_live)
    return view


async def confirm_from_link(
    connection: Connection, token: str, time_to_live: timedelta, context: RequestContext
) -> ConfirmView:
    """Confirm the record a link names, if it still waits and the link is in time."""
    view, record = await _confirm_target(connection, token, time_to_live)
    if view.state != ConfirmState.READY or record is None:
        return view
    catalog = await load_catalog(connection, record.company_id)
    confirmed = await confirm_pending(connection, catalog, [record], context)
    if not confirmed:
        # Answered by a concurrent request in between: say what it became.
        view, _ = await _confirm_target(connection, token, time_to_live)
        return view
    return ConfirmView(ConfirmState.CONFIRMED, view.company_name, view.address)


@dataclass(frozen=True)
class UnsubscribeView:
    """A valid unsubscribe link: who it names, and (once used) whether it ended a
    subscription just now."""

    company: CompanyRow
    subscription_list: ListRow
    address: str
    ended_now: bool = False


async def _unsubscribe_target(connection: Connection, token: str) -> UnsubscribeView | None:
    link = (await link_signer(connection)).read_unsubscribe(token)
    if link is None:
        return None
    company = await company_by_id(connection, link.company_id)
    if company is None:
        return None
    catalog = await load_catalog(connection, company.id)
    target = next((item for item in catalog.lists if item.id == link.list_id), None)
    if target is None or target.channel != Channel.EMAIL:
        return None
    return UnsubscribeView(catalog.company, target, link.address)


async def look_at_unsubscribe_link(connection: Connection, token: str) -> UnsubscribeView | None:
    """Whom an unsubscribe link names (None: not a link of this installation)."""
    return await _unsubscribe_target(connection, token)


async def unsubscribe_from_link(
    connection: Connection, token: str, context: RequestContext
) -> UnsubscribeView | None:
    """End the address's subscription to the link's list (`user_opt_out`).

    Answered the same whether it was subscribed or not (a repeat is recorded as an
    event, as at every door); None for a link this installation did not make.
    """
    view = await _unsubscribe_target(connection, token)
    if view is None:
        return None
    command = UnsubscribeCommand(
        contacts=ContactPoints(email=view.address),
        subscriptions=[(SubscriptionType(view.subscription_list.type), Channel.EMAIL)],
        notify=False,
        reason=OptOutReason.USER_OPT_OUT,
        # A link is the proof that it was sent: no need to know the address again.
        must_be_known=False,
    )
    result = await unsubscribe(connection, view.company, command, context)
    return UnsubscribeView(
        view.company, view.subscription_list, view.address, bool(result.ended_ids)
    )
