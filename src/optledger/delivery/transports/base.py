"""The interface every transport implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    """A message as a transport sees it."""

    id: int
    idempotency_key: str
    channel: str
    to: str
    body: str
    kind: str
    company_key: str
    locale: str


@dataclass(frozen=True)
class SendResult:
    """What the provider said: its id for the message, if it gave one."""

    provider_id: str | None = None


class TransportError(Exception):
    """A send that failed; `retryable` says whether trying again can help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Transport(Protocol):
    """Sends one message; raises `TransportError` when it could not."""

    async def send(self, message: Outgoing) -> SendResult: ...
