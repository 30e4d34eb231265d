"""The default transport: messages are kept in the outbox and written to the log."""

from __future__ import annotations

import logging

from optledger.delivery.transports.base import Outgoing, SendResult

log = logging.getLogger("optledger.messages")


class LogTransport:
    """Prints each message; nothing leaves the machine."""

    async def send(self, message: Outgoing) -> SendResult:
        log.info(
            "%s %s to %s [%s]: %s",
            message.channel,
            message.kind,
            message.to,
            message.locale,
            message.body,
        )
        return SendResult(provider_id=f"log-{message.idempotency_key}")
