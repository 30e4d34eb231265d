"""`POST /inbound/twilio/{company_key}`: Twilio's form post, checked against its signature.

The signature (`X-Twilio-Signature`) is an HMAC of the URL and form fields keyed with
the company's Twilio auth token, kept in its settings (`optledger twilio set-token`).
Replies go through the outbox, so the TwiML answer is always empty.
"""

from __future__ import annotations

from functools import partial
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from starlette.responses import Response
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from optledger.core.company_settings import TWILIO_AUTH_TOKEN, company_setting
from optledger.core.errors import InvalidInput
from optledger.core.inbound import InboundSms
from optledger.core.use_cases.inbound import CompanyRow, receive_twilio_text
from optledger.dialects.inbound.dependencies import CompanyKey, inbound_context
from optledger.settings import Settings
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/inbound", tags=["Inbound SMS"])
_TEXT = {"type": "string"}
# What the route reads of Twilio's form; Twilio sends more fields, all signed.
_FORM = {
    "type": "object",
    "properties": {"From": _TEXT, "To": _TEXT, "Body": _TEXT, "MessageSid": _TEXT, "SmsSid": _TEXT},
    "required": ["From"],
    "examples": [
        {
            "From": "+14155550123",
            "To": "+14155550100",
            "Body": "HELP",
            "MessageSid": "SM0123456789abcdef0123456789abcdef",
        }
    ],
}
# Read from the raw request, not by FastAPI: the signature covers the form as sent.
_OPENAPI_EXTRA = {
    "requestBody": {
        "required": True,
        "content": {"application/x-www-form-urlencoded": {"schema": _FORM}},
    },
    "parameters": [
        {
            "name": "X-Twilio-Signature",
            "in": "header",
            "required": True,
            "description": "Twilio's signature of the URL and form.",
            "schema": _TEXT,
        }
    ],
}


class TwimlResponse(Response):
    """A TwiML document."""

    media_type = "application/xml"


def _signed_url(request: Request) -> str:
    """The URL Twilio posted to; behind a proxy, the configured public base URL."""
    settings: Settings = request.app.state.settings
    base = settings.public_base_url
    if not base:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{base.rstrip('/')}{request.url.path}{query}"


def _verified(url: str, form: dict[str, str], signature: str, company: CompanyRow) -> bool:
    token = company_setting(company.settings, TWILIO_AUTH_TOKEN)
    if not isinstance(token, str) or not token or not signature:
        return False
    return bool(RequestValidator(token).validate(url, form, signature))


def _text(form: dict[str, str]) -> InboundSms:
    if not form.get("From"):
        raise InvalidInput("From is required")
    return InboundSms(
        from_number=form["From"],
        body=form.get("Body", ""),
        to_number=form.get("To"),
        provider="twilio",
        provider_message_id=form.get("MessageSid") or form.get("SmsSid"),
    )


@router.post(
    "/twilio/{company_key}",
    response_class=TwimlResponse,
    responses={
        200: {"description": "An empty TwiML `<Response/>`: replies leave through the outbox."},
        403: {
            "description": "The post is not signed with the company's Twilio auth token "
            "(an unknown company answers the same)."
        },
        409: {
            "description": "The keyword would subscribe, without confirmation, a number "
            "erased on request."
        },
    },
    openapi_extra=_OPENAPI_EXTRA,
)
async def inbound_twilio(
    company_key: CompanyKey, request: Request, database: DatabaseDep
) -> Response:
    """Apply one text Twilio forwards; an unsigned or mis-signed post changes nothing."""
    raw = (await request.body()).decode("utf-8", errors="replace")
    form = dict(parse_qsl(raw, keep_blank_values=True))
    url = _signed_url(request)
    signature = request.headers.get("x-twilio-signature", "")
    context = inbound_context(request)
    # Called once the company is read: a post that is not the company's is refused
    # before its form is looked at.
    signed = partial(_verified, url, form, signature)
    await receive_twilio_text(database, company_key, signed, partial(_text, form), context)
    return TwimlResponse(str(MessagingResponse()))
