"""The transport of each channel, as the settings choose it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from optledger.core.consent import Channel
from optledger.delivery.transports.base import Transport
from optledger.delivery.transports.log import LogTransport
from optledger.delivery.transports.smtp import SmtpTransport
from optledger.delivery.transports.twilio import TwilioTransport
from optledger.delivery.transports.webhook import WebhookTransport
from optledger.settings import Settings


def _transport(
    name: str, channel: Channel, settings: Settings, client: httpx.AsyncClient
) -> Transport:
    if name == "webhook":
        url = settings.sms_webhook_url if channel == Channel.TEXT else settings.email_webhook_url
        assert url is not None  # the settings refuse a webhook transport without a URL
        return WebhookTransport(client, url)
    if name == "twilio":
        assert settings.twilio_account_sid
        assert settings.twilio_auth_token
        assert settings.twilio_from_number
        return TwilioTransport(
            client,
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            from_number=settings.twilio_from_number,
            api_base=settings.twilio_api_base,
        )
    if name == "smtp":
        assert settings.smtp_from is not None
        return SmtpTransport(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout=settings.webhook_timeout_seconds,
        )
    return LogTransport()


@asynccontextmanager
async def configured_transports(settings: Settings) -> AsyncIterator[dict[str, Transport]]:
    """`{channel: transport}` for the process, sharing one HTTP connection pool."""
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(timeout=settings.webhook_timeout_seconds, limits=limits) as client:
        yield {
            Channel.TEXT.value: _transport(settings.sms_transport, Channel.TEXT, settings, client),
            Channel.EMAIL.value: _transport(
                settings.email_transport, Channel.EMAIL, settings, client
            ),
        }
