"""The Twilio transport: its Messages REST API, called with httpx."""

from __future__ import annotations

import httpx

from optledger.delivery.transports.base import (
    Outgoing,
    SendResult,
    TransportError,
    error_from_response,
)


class TwilioTransport:
    """Creates one Twilio Message per outgoing SMS, from the configured number."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str,
        api_base: str = "https://api.twilio.com",
    ) -> None:
        self.client = client
        self.auth = httpx.BasicAuth(account_sid, auth_token)
        self.from_number = from_number
        self.url = f"{api_base.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"

    async def send(self, message: Outgoing) -> SendResult:
        form = {"To": message.to, "From": self.from_number, "Body": message.body}
        try:
            # The Messages API takes no idempotency key: a retry after a lost answer
            # may send twice, which at-least-once delivery accepts.
            response = await self.client.post(self.url, data=form, auth=self.auth)
        except httpx.HTTPError as exc:
            raise TransportError(f"twilio unreachable: {exc!r}") from exc
        if not response.is_success:
            raise error_from_response("twilio", response)
        try:
            sid = response.json().get("sid")
        except (ValueError, AttributeError):
            sid = None
        return SendResult(provider_id=str(sid) if sid else None)
