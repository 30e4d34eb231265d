"""Inbound messages: every text a number sent, kept whatever it did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from optledger.storage.sql import Connection, Query

INSERT_INBOUND_MESSAGE = Query(
    """
    INSERT INTO inbound_messages (company_id, from_address, to_address, body, action, provider,
                                  provider_message_id, received_at)
    VALUES (:company_id, :from_address, :to_address, :body, :action, :provider,
            :provider_message_id, :received_at)
    """
)


@dataclass(frozen=True)
class NewInboundMessage:
    """One received text and what it did."""

    company_id: int
    from_address: str
    to_address: str | None
    body: str
    action: str
    provider: str
    provider_message_id: str | None
    received_at: datetime


async def insert_inbound_message(connection: Connection, message: NewInboundMessage) -> None:
    """Keep one received text."""
    await connection.execute(INSERT_INBOUND_MESSAGE, message.__dict__)
