"""Webhook registrations (Attentive webhooks, Vibes callbacks), the same from every
door: the two APIs, the console and the CLI. Their deliveries are `webhook_deliveries`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from optledger.core.audit import Actor, changed_fields, record_change
from optledger.core.webhooks import across_companies, registrations
from optledger.core.webhooks.registrations import (
    WebhookSpec,
    WebhookStyle,
    checked_spec,
    spec_of,
)
from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.repositories.webhooks import WebhookRow as WebhookRow
from optledger.storage.sql import Connection


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _audited(found: WebhookRow | None) -> dict[str, Any]:
    """A registration as the audit trail compares it: its settings, its URL without
    what may be a secret (user and password, query), never its signing key."""
    if found is None:
        return {}
    spec = spec_of(found)
    url = urlsplit(spec.url)
    return {
        "url": f"{url.scheme}://{url.hostname or ''}{f':{url.port}' if url.port else ''}{url.path}",
        "events": sorted(spec.events),
        "disabled": spec.disabled,
        "method": spec.method,
        "content_type": spec.content_type,
        "list_id": spec.list_id,
        "starts_at": _iso(spec.starts_at),
        "ends_at": _iso(spec.ends_at),
    }


async def _record(
    connection: Connection,
    actor: Actor | None,
    action: str,
    before: WebhookRow | None,
    after: WebhookRow | None,
) -> None:
    """Append what changed from `before` to `after` (None: none before, or none left)."""
    for found in (after, before):
        if found is not None:
            changes = changed_fields(_audited(before), _audited(after))
            await record_change(
                connection, actor, found.company_id, action, "webhook", found.id, changes
            )
            return


async def list_webhooks(
    database: Database, company_id: int, style: WebhookStyle
) -> list[WebhookRow]:
    """The company's registrations of one style, oldest first."""
    return await database.read(
        lambda connection: registrations.list_webhooks(connection, company_id, style)
    )


async def list_webhooks_of_every_style(database: Database, company_id: int) -> list[WebhookRow]:
    """The company's registrations, Attentive webhooks then Vibes callbacks, oldest first."""

    async def read(connection: Connection) -> list[WebhookRow]:
        found: list[WebhookRow] = []
        for style in WebhookStyle:
            found += await registrations.list_webhooks(connection, company_id, style)
        return found

    return await database.read(read, standby=True)


async def get_webhook(
    database: Database, company_id: int, style: WebhookStyle, webhook_id: int
) -> WebhookRow:
    """One registration of the company, or `NotFound`."""
    return await database.read(
        lambda connection: registrations.get_webhook(connection, company_id, style, webhook_id)
    )


async def register_webhook(
    database: Database,
    company_id: int,
    style: WebhookStyle,
    spec: WebhookSpec,
    *,
    settings: Settings,
    actor: Actor | None,
) -> WebhookRow:
    """A new registration with a new signing key; nothing is sent to its URL now.

    A bad one is refused before any transaction (this resolves the URL's host).
    """
    await checked_spec(spec, style, settings)

    async def register(connection: Connection) -> WebhookRow:
        found = await registrations.register_webhook(connection, company_id, style, spec)
        await _record(connection, actor, "webhook.created", None, found)
        return found

    return await database.run(register)


async def update_webhook(
    database: Database,
    company_id: int,
    style: WebhookStyle,
    webhook_id: int,
    spec: WebhookSpec,
    *,
    settings: Settings,
    actor: Actor | None,
) -> WebhookRow:
    """Replace a registration's settings; its signing key stays, and enabling it
    resumes its deliveries (the caller says the receiver is back)."""
    await checked_spec(spec, style, settings)

    async def update(connection: Connection) -> WebhookRow:
        before = await registrations.get_webhook(connection, company_id, style, webhook_id)
        after = await registrations.update_webhook(connection, company_id, style, webhook_id, spec)
        await _record(connection, actor, "webhook.updated", before, after)
        return after

    return await database.run(update)


async def amend_webhook(
    database: Database,
    company_id: int,
    style: WebhookStyle,
    webhook_id: int,
    changes: Mapping[str, Any],
    *,
    settings: Settings,
    actor: Actor | None,
) -> WebhookRow:
    """Change the `WebhookSpec` fields in `changes` and keep the others."""
    found = await get_webhook(database, company_id, style, webhook_id)
    spec = replace(spec_of(found), **changes)
    return await update_webhook(
        database, company_id, style, webhook_id, spec, settings=settings, actor=actor
    )


async def remove_webhook(
    database: Database,
    company_id: int,
    style: WebhookStyle,
    webhook_id: int,
    *,
    actor: Actor | None,
) -> None:
    """Delete a registration with its delivery log; nothing more is sent to it."""

    async def remove(connection: Connection) -> None:
        before = await registrations.get_webhook(connection, company_id, style, webhook_id)
        await registrations.remove_webhook(connection, company_id, style, webhook_id)
        await _record(connection, actor, "webhook.deleted", before, None)

    await database.run(remove)


async def registrations_of_companies(
    database: Database, company_key: str | None = None
) -> list[tuple[str, WebhookRow]]:
    """Every company's registrations with its key, or those of the company `company_key`."""
    return await database.read(
        lambda connection: across_companies.registrations_of_companies(connection, company_key),
        standby=True,
    )
