"""Webhook deliveries as a kind of job: signed HTTP requests to the registered URL.

Every delivery carries the Standard Webhooks headers (`webhook-id` is the event's
id, the same on every retry; `webhook-timestamp` is the attempt's), and Attentive
style ones also `x-attentive-hmac-sha256`, the hex HMAC of the body. 2xx is
delivered; 3xx, 5xx, timeouts and connection errors are retried; any other 4xx
is not, and 410 Gone also disables the registration. A registration failing
`breaker_threshold` times in a row is paused for `breaker_pause` (its circuit
breaker), then tried again; one success closes it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook

from optledger.delivery.engine import Attempted, Outcome, Verdict
from optledger.delivery.payloads import (
    attentive_payload,
    message_id,
    outside_registration,
    vibes_payload,
)
from optledger.delivery.webhook_client import WebhookClient
from optledger.storage.clock import utcnow
from optledger.storage.repositories import webhook_deliveries as stored
from optledger.storage.repositories.people import StoredIdentifier, identifiers_of_people
from optledger.storage.repositories.webhook_deliveries import Attempt, ClaimedDelivery
from optledger.storage.sql import Connection

GONE = 410
_STATUS = {
    Verdict.DONE: "delivered",
    Verdict.RETRY: "pending",
    Verdict.DEAD: "dead",
    Verdict.SKIPPED: "skipped",
}


@dataclass(frozen=True)
class WebhookJob:
    """A claimed delivery with its subscriber's identifiers, read in the claim."""

    delivery: ClaimedDelivery
    identifiers: list[StoredIdentifier] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.delivery.id

    @property
    def attempts(self) -> int:
        return self.delivery.attempts


def signed_request(delivery: ClaimedDelivery, body: str, now: datetime) -> dict[str, str]:
    """The headers of one attempt: content type and signatures."""
    msg_id = message_id(delivery)
    key = delivery.signing_key.encode()
    headers = {
        "content-type": delivery.content_type,
        "user-agent": "optledger-webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(key).sign(msg_id, now, body),
    }
    if delivery.style == "attentive":
        digest = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
        headers["x-attentive-hmac-sha256"] = digest
    return headers


class WebhookJobs:
    """Sends deliveries through one client, which checks each destination as it connects."""

    in_order = True
    name = "webhooks"

    def __init__(
        self,
        client: WebhookClient,
        *,
        retry_window: timedelta = timedelta(days=3),
        breaker_threshold: int = 20,
        breaker_pause: timedelta = timedelta(seconds=30),
    ) -> None:
        self.client = client
        self.retry_window = retry_window
        self.breaker_threshold = breaker_threshold
        self.breaker_pause = breaker_pause

    async def claim(
        self, connection: Connection, now: datetime, lease_until: datetime, limit: int
    ) -> Sequence[WebhookJob]:
        claimed = await stored.claim_due(connection, now, lease_until, limit)
        people: dict[int, set[int]] = {}
        for delivery in claimed:
            if delivery.person_id is not None:
                people.setdefault(delivery.company_id, set()).add(delivery.person_id)
        identifiers: dict[int, list[StoredIdentifier]] = {}
        for company_id, person_ids in people.items():
            for found in await identifiers_of_people(connection, company_id, person_ids):
                identifiers.setdefault(found.person_id, []).append(found)
        return [
            WebhookJob(d, identifiers.get(d.person_id, []) if d.person_id else []) for d in claimed
        ]

    def line_of(self, job: WebhookJob) -> Hashable:
        # One subscriber's deliveries to one registration go out in order.
        delivery = job.delivery
        return (delivery.webhook_id, delivery.subscriber or f"delivery:{delivery.id}")

    async def perform(self, job: WebhookJob) -> Attempted:
        delivery = job.delivery
        if outside_registration(delivery):
            return Attempted(ok=False, skipped=True)
        payload = (
            attentive_payload(delivery, job.identifiers)
            if delivery.style == "attentive"
            else vibes_payload(delivery, job.identifiers)
        )
        body = json.dumps(payload, separators=(",", ":"))
        headers = signed_request(delivery, body, datetime.now(UTC))
        return await self.client.send(delivery.method, delivery.url, body.encode(), headers)

    def exhausted(self, job: WebhookJob, next_attempt_at: datetime) -> bool:
        return next_attempt_at > job.delivery.created_at + self.retry_window

    async def record(
        self,
        connection: Connection,
        outcomes: Sequence[Outcome[WebhookJob]],
        unsent: Sequence[int],
    ) -> None:
        await stored.release_claims(connection, unsent)
        pending = {
            p.id for p in await stored.pending_among(connection, [o.job.id for o in outcomes])
        }
        now = utcnow()
        attempts = []
        # Per registration: whether anything got through, and how many failed.
        health: dict[int, tuple[bool, int]] = {}
        gone = set()
        for outcome in outcomes:
            if outcome.job.id not in pending:
                continue
            attempted, webhook_id = outcome.attempted, outcome.job.delivery.webhook_id
            attempts.append(
                Attempt(
                    id=outcome.job.id,
                    status=_STATUS[outcome.verdict],
                    next_attempt_at=outcome.next_attempt_at or now,
                    status_code=attempted.status_code,
                    latency_ms=attempted.latency_ms,
                    error=attempted.error,
                    delivered_at=now if outcome.verdict == Verdict.DONE else None,
                )
            )
            if attempted.status_code == GONE:
                gone.add(webhook_id)
            if outcome.verdict in (Verdict.DONE, Verdict.RETRY):
                succeeded, failures = health.get(webhook_id, (False, 0))
                ok = outcome.verdict == Verdict.DONE
                health[webhook_id] = (succeeded or ok, failures + (not ok))
        await stored.mark_attempts(connection, attempts)
        for webhook_id in gone:
            await stored.disable(connection, webhook_id, "the receiver answered 410 Gone", now)
        for webhook_id, (succeeded, failures) in health.items():
            await stored.record_health(
                connection,
                webhook_id,
                succeeded=succeeded,
                failures=failures,
                threshold=self.breaker_threshold,
                paused_until=now + self.breaker_pause,
            )
