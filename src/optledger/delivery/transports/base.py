"""The interface every transport implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import httpx


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
    # Header fields an email carries besides its own (List-Unsubscribe and its -Post).
    headers: Mapping[str, str] = field(default_factory=dict)


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


def error_from_response(provider: str, response: httpx.Response) -> TransportError:
    """A provider's HTTP refusal: 5xx, 408 and 429 may pass on retry, other 4xx never."""
    retryable = response.status_code >= 500 or response.status_code in (408, 429)
    return TransportError(
        f"{provider} answered {response.status_code}: {response.text[:200]}",
        retryable=retryable,
    )
