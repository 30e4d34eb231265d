"""`optledger webhooks`: the operator's view of webhook registrations and deliveries.

Registrations are made through the APIs and the console; here an operator sees every
company's, reads a registration's delivery log, sends a registration a test event, and
queues an event's finished deliveries again (after a receiver's outage, say). A
registration's signing key is never shown.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from optledger.cli.support import (
    JsonListOption,
    command_line_actor,
    console,
    print_json,
    run_operation,
)

if TYPE_CHECKING:
    from optledger.core.use_cases.webhook_deliveries import LoggedDelivery
    from optledger.core.use_cases.webhooks import WebhookRow

webhooks_app = typer.Typer(
    help="Webhook registrations, their delivery logs, test events and redelivery.",
    no_args_is_help=True,
)

# Receivers deduplicate by this id (`delivery.payloads.message_id`); operators copy it
# from a receiver's log, so it is shown and accepted in the same form.
EVENT_PREFIX = "evt_"
# Receivers' error texts can be long; the table shows their start, --json all of it.
ERROR_WIDTH = 60


def _time(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def webhook_state(webhook: WebhookRow, now: datetime) -> str:
    """active, disabled (with its reason), or paused by the circuit breaker until a time."""
    if webhook.disabled_at is not None:
        return f"disabled: {webhook.disabled_reason}" if webhook.disabled_reason else "disabled"
    # The worker delivers again once the pause is over, so a past pause is no pause.
    if webhook.paused_until is not None and webhook.paused_until > now:
        return f"paused until {_time(webhook.paused_until)}"
    return "active"


def event_id_of(text: str) -> int:
    """An event id as `evt_123` or `123`."""
    digits = text.strip().removeprefix(EVENT_PREFIX)
    if not digits.isascii() or not digits.isdigit():
        raise typer.BadParameter(f"{text!r} is no event id (evt_123 or 123)")
    return int(digits)


@webhooks_app.command("list")
def list_webhooks(
    company: Annotated[str | None, typer.Option(help="Only this company's (its key).")] = None,
    as_json: JsonListOption = False,
) -> None:
    """Every registration, with its state and failures in a row (never its signing key)."""
    from optledger.core.use_cases import webhooks
    from optledger.storage.clock import utcnow

    listed = run_operation(lambda database: webhooks.registrations_of_companies(database, company))
    now = utcnow()
    if as_json:
        print_json([_webhook_json(company_key, webhook, now) for company_key, webhook in listed])
        return
    if not listed:
        console.print("no webhooks are registered" + (f" for {company}" if company else ""))
        return
    table = Table("id", "company", "style", "url", "events", "state", "failures in a row")
    for company_key, webhook in listed:
        # URLs and reasons come from API callers and receivers: no rich markup in them.
        table.add_row(
            str(webhook.id),
            company_key,
            webhook.style,
            escape(webhook.url),
            ", ".join(webhook.events),
            escape(webhook_state(webhook, now)),
            str(webhook.failures_in_a_row),
        )
    console.print(table)


def _webhook_json(company_key: str, webhook: WebhookRow, now: datetime) -> dict[str, Any]:
    fields = asdict(webhook)
    del fields["signing_key"]
    return fields | {"company": company_key, "state": webhook_state(webhook, now)}


def _delivery_json(delivery: LoggedDelivery) -> dict[str, Any]:
    return asdict(delivery) | {"event_id": f"{EVENT_PREFIX}{delivery.event_id}"}


def _when(delivery: LoggedDelivery) -> str:
    """When it was delivered, or when it is tried next; nothing for dead and skipped."""
    if delivery.status == "delivered":
        return _time(delivery.delivered_at)
    if delivery.status == "pending":
        return f"next {_time(delivery.next_attempt_at)}"
    return ""


def _short(text: str | None) -> str:
    if not text:
        return ""
    return text if len(text) <= ERROR_WIDTH else text[: ERROR_WIDTH - 1] + "…"


@webhooks_app.command("deliveries")
def list_deliveries(
    webhook_id: Annotated[int, typer.Argument(help="The registration's id.")],
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 50,
    as_json: JsonListOption = False,
) -> None:
    """A registration's delivery log, newest first."""
    from optledger.core.use_cases import webhook_deliveries

    company_key, webhook, found = run_operation(
        lambda database: webhook_deliveries.deliveries_by_registration_id(
            database, webhook_id, limit
        )
    )
    if as_json:
        print_json([_delivery_json(delivery) for delivery in found])
        return
    console.print(f"webhook {webhook.id} of {company_key} ({webhook.style}): {escape(webhook.url)}")
    if not found:
        console.print("no deliveries yet")
        return
    table = Table(
        "id",
        "event id",
        "event",
        "status",
        "attempts",
        "last status",
        "latency ms",
        "last error",
        "delivered / next attempt",
    )
    for delivery in found:
        table.add_row(
            str(delivery.id),
            f"{EVENT_PREFIX}{delivery.event_id}",
            delivery.name,
            delivery.status,
            str(delivery.attempts),
            "" if delivery.last_status_code is None else str(delivery.last_status_code),
            "" if delivery.last_latency_ms is None else str(delivery.last_latency_ms),
            escape(_short(delivery.last_error)),
            _when(delivery),
        )
    console.print(table)


@webhooks_app.command("redeliver")
def redeliver_event(
    event_id: Annotated[str, typer.Argument(help="The event's id: evt_123 or 123.")],
    webhook: Annotated[
        int | None, typer.Option(help="Only to this registration (default: every one).")
    ] = None,
) -> None:
    """Queue an event's finished deliveries (delivered, dead or skipped) again."""
    from optledger.core.use_cases import webhook_deliveries

    event = event_id_of(event_id)
    shown = f"{EVENT_PREFIX}{event}"
    queued = run_operation(
        lambda database: webhook_deliveries.redeliver_event(
            database, event, webhook, actor=command_line_actor()
        )
    )
    if not queued:
        # One count answers both cases; an operator needs only to know that nothing
        # was queued, and where to look.
        to = f" to webhook {webhook}" if webhook is not None else ""
        console.print(
            f"[red]nothing to redeliver: {shown} has no finished deliveries{to} "
            "(unknown event, or its deliveries are still pending)[/red]"
        )
        raise typer.Exit(1)
    plural = "delivery" if queued == 1 else "deliveries"
    console.print(f"[green]{shown}: {queued} {plural} queued again[/green]")


@webhooks_app.command("test")
def send_test_event(
    webhook_id: Annotated[int, typer.Argument(help="The registration's id.")],
) -> None:
    """Queue a test event for one registration, delivered (signed, retried, logged) like
    any other, even when it is outside its time window."""
    from optledger.core.context import RequestContext
    from optledger.core.use_cases import webhook_deliveries

    context = RequestContext(source="cli")
    company_key, event_id = run_operation(
        lambda database: webhook_deliveries.send_test_event_by_id(
            database, webhook_id, context, actor=command_line_actor()
        )
    )
    console.print(
        f"[green]{EVENT_PREFIX}{event_id} queued for webhook {webhook_id} of {company_key}[/green]"
    )
