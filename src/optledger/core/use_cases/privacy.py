"""Privacy requests: a subject erased on request, and the request looked up again."""

from __future__ import annotations

from optledger.core.context import RequestContext
from optledger.core.privacy import erasure
from optledger.core.privacy.erasure import DeleteRequestCommand
from optledger.storage.database import Database
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.privacy import PrivacyRequestRow as PrivacyRequestRow


async def request_deletion(
    database: Database,
    company: CompanyRow,
    command: DeleteRequestCommand,
    context: RequestContext,
) -> PrivacyRequestRow:
    """Record a deletion request and erase its subject now, in one unit of work."""
    return await database.run(
        lambda connection: erasure.request_deletion(connection, company, command, context)
    )


async def get_deletion_request(
    database: Database, company_id: int, request_id: str
) -> PrivacyRequestRow:
    """One of the company's privacy requests, or `NotFound`."""
    return await database.read(
        lambda connection: erasure.get_privacy_request(connection, company_id, request_id)
    )
