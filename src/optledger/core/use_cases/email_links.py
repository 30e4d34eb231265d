"""The links in consent emails: confirm a double opt-in, or unsubscribe in one click."""

from __future__ import annotations

from datetime import timedelta

from optledger.core.context import RequestContext
from optledger.core.subscriptions import email_links as links
from optledger.core.subscriptions.email_links import ConfirmView, UnsubscribeView
from optledger.storage.database import Database


async def view_confirm_link(database: Database, token: str, time_to_live: timedelta) -> ConfirmView:
    """What a confirmation link would confirm; looking changes nothing."""
    return await database.run(
        lambda connection: links.look_at_confirm_link(connection, token, time_to_live)
    )


async def confirm_by_link(
    database: Database, token: str, time_to_live: timedelta, context: RequestContext
) -> ConfirmView:
    """Confirm the PENDING record a confirmation link names."""
    return await database.run(
        lambda connection: links.confirm_from_link(connection, token, time_to_live, context)
    )


async def view_unsubscribe_link(database: Database, token: str) -> UnsubscribeView | None:
    """What an unsubscribe link would end (None for a link not recognised)."""
    return await database.run(lambda connection: links.look_at_unsubscribe_link(connection, token))


async def unsubscribe_by_link(
    database: Database, token: str, context: RequestContext
) -> UnsubscribeView | None:
    """End the subscription an unsubscribe link names (None for a link not recognised)."""
    return await database.run(
        lambda connection: links.unsubscribe_from_link(connection, token, context)
    )
