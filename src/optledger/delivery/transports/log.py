"""The default transport: messages are kept in the outbox and written to the log."""

from __future__ import annotations

import logging

from optledger.core.contact_points import mask_contact_points
from optledger.delivery.transports.base import Outgoing, SendResult

log = logging.getLogger("optledger.messages")


class LogTransport:
    """Prints each message, its recipient masked; nothing leaves the machine.

    The full message stays in the outbox, where an erasure reaches it; a log does not.
    """

    async def send(self, message: Outgoing) -> SendResult:
        log.info(
            "%s %s to %s [%s]: %s",
            message.channel,
            message.kind,
            mask_contact_points(message.to),
            message.locale,
            message.body,
        )
        return SendResult(provider_id=f"log-{message.idempotency_key}")
