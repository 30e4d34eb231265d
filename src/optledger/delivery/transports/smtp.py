"""The SMTP transport for email, with the standard library's client in a thread."""

from __future__ import annotations

import asyncio
import smtplib
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

from optledger.delivery.transports.base import Outgoing, SendResult, TransportError

# Lines up to RFC 5322's limit: a List-Unsubscribe URL is longer than 78 characters
# and must stay one word (folded at 78 it would become RFC 2047 encoded words, which
# mailbox providers do not read as URLs).
EMAIL_POLICY = policy.default.clone(max_line_length=998)


class SmtpTransport:
    """Sends each email over one SMTP session; the Message-ID carries the idempotency key."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    def _email(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage(policy=EMAIL_POLICY)
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.body.split(". ")[0][:78]
        # Receivers that deduplicate on Message-ID see every retry as the same email.
        email["Message-ID"] = make_msgid(idstring=message.idempotency_key, domain="optledger")
        email["Idempotency-Key"] = message.idempotency_key
        for name, value in message.headers.items():
            email[name] = value
        email.set_content(message.body)
        return email

    def _send_blocking(self, email: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
            if self.starttls:
                client.starttls()
            if self.username and self.password:
                client.login(self.username, self.password)
            client.send_message(email)

    async def send(self, message: Outgoing) -> SendResult:
        email = self._email(message)
        try:
            await asyncio.to_thread(self._send_blocking, email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise TransportError(f"smtp refused {message.to}: {codes}", retryable=False) from exc
        except smtplib.SMTPResponseException as exc:
            # 4xx is a temporary refusal, 5xx a permanent one.
            retryable = exc.smtp_code < 500
            raise TransportError(
                f"smtp {exc.smtp_code}: {exc.smtp_error!r}", retryable=retryable
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(f"smtp unreachable: {exc!r}") from exc
        return SendResult(provider_id=str(email["Message-ID"]))
