"""`GET /v1/messages?to=`: what was sent to a number or address, for the key's company."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from optledger.core.use_cases import messages as message_log
from optledger.core.use_cases.messages import LoggedMessage
from optledger.dialects.attentive.dependencies import MessageReader
from optledger.dialects.attentive.wire import WireModel
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/v1/messages", tags=["Messages"])


class MessageDto(WireModel):
    id: int
    channel: str
    to: str
    kind: str
    body: str
    locale: str
    status: str
    attempts: int
    last_error: str | None
    provider_id: str | None
    idempotency_key: str
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, message: LoggedMessage) -> MessageDto:
        """The row's fields under their wire names: `to` is the row's `to_address`."""
        fields = {name: getattr(message, name) for name in cls.model_fields if name != "to"}
        return cls(to=message.to_address, **fields)


class MessagesResponse(WireModel):
    messages: list[MessageDto]


@router.get("", response_model_by_alias=True)
async def list_messages(
    principal: MessageReader,
    database: DatabaseDep,
    to: Annotated[str, Query(min_length=3, max_length=320, examples=["+14155550123"])],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> MessagesResponse:
    """The newest messages queued for `to` (a phone in E.164 or an email), with their log."""
    # An unencoded "+" in a query string arrives as a space.
    digits = to.strip()
    address = "+" + digits if to.startswith(" ") and digits.isascii() and digits.isdigit() else to
    found = await message_log.list_messages_to(database, principal.company.id, address, limit=limit)
    return MessagesResponse(messages=[MessageDto.of(message) for message in found])
