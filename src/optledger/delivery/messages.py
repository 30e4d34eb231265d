"""Messages to people as a kind of job: claimed from the outbox, sent by the
channel's transport, recorded with a consent event."""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping, Sequence
from datetime import datetime

from optledger.core.consent import Channel
from optledger.core.consent_links import (
    LinkSigner,
    configured_mailto,
    link_signer,
    list_unsubscribe_headers,
)
from optledger.core.contact_points import mask_contact_points
from optledger.core.context import RequestContext
from optledger.core.events import EventType, new_event, record_events
from optledger.delivery.engine import Attempted, Outcome, Verdict
from optledger.delivery.transports.base import Outgoing, Transport, TransportError
from optledger.storage.clock import utcnow
from optledger.storage.repositories import message_deliveries as deliveries
from optledger.storage.repositories.message_deliveries import ClaimedMessage
from optledger.storage.sql import Connection

log = logging.getLogger(__name__)

WORKER_CONTEXT = RequestContext(source="worker")


class MessageJobs:
    """Sends each message with its channel's transport; at most `max_attempts` tries."""

    in_order = False
    name = "messages"

    def __init__(self, transports: Mapping[str, Transport], max_attempts: int) -> None:
        self.transports = transports
        self.max_attempts = max_attempts
        # Signs the one-click unsubscribe link every email carries (read with a claim).
        self.links: LinkSigner | None = None
        self.mailto = configured_mailto()

    async def claim(
        self, connection: Connection, now: datetime, lease_until: datetime, limit: int
    ) -> Sequence[ClaimedMessage]:
        claimed = await deliveries.claim_due_messages(connection, now, lease_until, limit)
        if any(job.channel == Channel.EMAIL for job in claimed):
            # Per claim: a secret this claim made is its own until it commits.
            self.links = await link_signer(connection)
        return claimed

    def headers_of(self, job: ClaimedMessage) -> dict[str, str]:
        """An email's List-Unsubscribe and List-Unsubscribe-Post (RFC 8058)."""
        if job.channel != Channel.EMAIL or job.list_id is None or self.links is None:
            return {}
        return list_unsubscribe_headers(
            self.links, job.company_id, job.list_id, job.to_address, self.mailto
        )

    def line_of(self, job: ClaimedMessage) -> Hashable:
        # A prompt goes out before its welcome.
        return (job.channel, job.to_address)

    async def perform(self, job: ClaimedMessage) -> Attempted:
        outgoing = Outgoing(
            id=job.id,
            idempotency_key=job.idempotency_key,
            channel=job.channel,
            to=job.to_address,
            body=job.body,
            kind=job.kind,
            company_key=job.company_key,
            locale=job.locale,
            headers=self.headers_of(job),
        )
        try:
            result = await self.transports[job.channel].send(outgoing)
        except TransportError as exc:
            return Attempted(ok=False, error=str(exc)[:2000], retryable=exc.retryable)
        return Attempted(ok=True, provider_id=result.provider_id)

    def exhausted(self, job: ClaimedMessage, next_attempt_at: datetime) -> bool:
        return job.attempts >= self.max_attempts

    async def record(
        self,
        connection: Connection,
        outcomes: Sequence[Outcome[ClaimedMessage]],
        unsent: Sequence[int],
    ) -> None:
        await deliveries.release_claims(connection, unsent)
        # Those no longer queued were finished by another worker after our lease ran out.
        queued = {
            m.id for m in await deliveries.queued_among(connection, [o.job.id for o in outcomes])
        }
        now = utcnow()
        sent: list[tuple[int, str | None]] = []
        events = []
        for outcome in outcomes:
            message, attempted = outcome.job, outcome.attempted
            if message.id not in queued:
                continue
            if outcome.verdict == Verdict.RETRY:
                assert outcome.next_attempt_at is not None
                await deliveries.mark_retry(
                    connection, message.id, attempted.error or "", outcome.next_attempt_at
                )
                continue
            if outcome.verdict == Verdict.DONE:
                sent.append((message.id, attempted.provider_id))
                event = EventType.MESSAGE_SENT
            else:
                await deliveries.mark_dead(connection, message.id, attempted.error or "")
                event = EventType.MESSAGE_DEAD
                log.warning(
                    "message %d is dead after %d attempts: %s",
                    message.id,
                    message.attempts,
                    # An SMTP server's refusal names the recipient.
                    mask_contact_points(attempted.error or ""),
                )
            events.append(
                new_event(
                    message.company_id,
                    event,
                    WORKER_CONTEXT,
                    person_id=message.person_id,
                    channel=message.channel,
                    contact_value=message.to_address,
                    data={
                        "message_id": message.id,
                        "kind": message.kind,
                        "idempotency_key": message.idempotency_key,
                        "attempts": message.attempts,
                    },
                )
            )
        await deliveries.mark_sent(connection, sent, now)
        await record_events(connection, events)
