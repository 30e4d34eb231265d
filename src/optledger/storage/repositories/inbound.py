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

ACTION_OF_PROVIDER_MESSAGE = Query(
    """SELECT action FROM inbound_messages
    WHERE company_id = :company_id AND provider = :provider
      AND provider_message_id = :provider_message_id"""
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


async def action_of_provider_message(
    connection: Connection, company_id: int, provider: str, provider_message_id: str
) -> str | None:
    """What a message the provider already delivered did, if it was received before."""
    params = {
        "company_id": company_id,
        "provider": provider,
        "provider_message_id": provider_message_id,
    }
    value = await connection.fetchval(ACTION_OF_PROVIDER_MESSAGE, params)
    return None if value is None else str(value)
