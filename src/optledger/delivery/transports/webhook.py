"""The webhook transport: POSTs each message as JSON to a URL, for any provider."""

from __future__ import annotations

import httpx

from optledger.delivery.transports.base import (
    Outgoing,
    SendResult,
    TransportError,
    error_from_response,
)


class WebhookTransport:
    """POSTs `{id, channel, to, body, kind, company_key, locale}`, and an email's header
    fields as `headers` (List-Unsubscribe...); `id` is the idempotency key."""

    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self.client = client
        self.url = url

    async def send(self, message: Outgoing) -> SendResult:
        payload: dict[str, object] = {
            "id": message.idempotency_key,
            "channel": message.channel,
            "to": message.to,
            "body": message.body,
            "kind": message.kind,
            "company_key": message.company_key,
            "locale": message.locale,
        }
        if message.channel == "EMAIL":
            payload["headers"] = dict(message.headers)
        try:
            response = await self.client.post(
                self.url, json=payload, headers={"Idempotency-Key": message.idempotency_key}
            )
        except httpx.HTTPError as exc:
            raise TransportError(f"webhook unreachable: {exc!r}") from exc
        if response.is_success:
            return SendResult(provider_id=_provider_id(response))
        raise error_from_response("webhook", response)


def _provider_id(response: httpx.Response) -> str | None:
    """The receiver's id for the message, if its JSON answer names one."""
    try:
        data = response.json()
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return str(value)[:128] if value is not None else None
