"""Inbound texts: stored, and their keyword applied, whichever way they arrive."""

from __future__ import annotations

from collections.abc import Callable

from optledger.core.companies import get_company_by_key
from optledger.core.context import RequestContext
from optledger.core.errors import Forbidden, NotFound
from optledger.core.inbound import InboundOutcome, InboundSms, receive_sms
from optledger.storage.database import Database
from optledger.storage.repositories.companies import CompanyRow as CompanyRow
from optledger.storage.sql import Connection


async def receive_text(
    database: Database, company: CompanyRow, sms: InboundSms, context: RequestContext
) -> InboundOutcome:
    """Store one text of the company and apply its keyword, in one unit of work."""
    return await database.run(lambda connection: receive_sms(connection, company, sms, context))


async def receive_twilio_text(
    database: Database,
    company_key: str,
    signed: Callable[[CompanyRow], bool],
    read_text: Callable[[], InboundSms],
    context: RequestContext,
) -> InboundOutcome:
    """A text Twilio posted for the company `company_key`: once `signed` accepts the post
    as that company's, `read_text` gives the text, applied in the same unit of work."""

    async def apply(connection: Connection) -> InboundOutcome:
        try:
            company: CompanyRow | None = await get_company_by_key(connection, company_key)
        except NotFound:
            company = None
        # An unknown company and a bad signature look the same from outside.
        if company is None or not signed(company):
            raise Forbidden("the request is not signed with this company's Twilio auth token")
        return await receive_sms(connection, company, read_text(), context)

    return await database.run(apply)
