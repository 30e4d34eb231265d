"""The console's subscriber lookup, and one subscriber's consent timeline."""

from __future__ import annotations

from optledger.core import subscriber_ledger as ledgers
from optledger.core.subscriber_ledger import SubscriberLedger
from optledger.storage.database import Database
from optledger.storage.repositories.people import PersonRow as PersonRow


async def find_subscribers(database: Database, company_id: int, query: str) -> list[PersonRow]:
    """The people of the company a phone, email or identifier names."""
    return await database.read(
        lambda connection: ledgers.find_subscribers(connection, company_id, query), standby=True
    )


async def get_ledger(database: Database, company_id: int, person_key: str) -> SubscriberLedger:
    """Everything the ledger holds on one person of the company, or `NotFound`."""
    return await database.read(
        lambda connection: ledgers.subscriber_ledger(connection, company_id, person_key),
        standby=True,
    )
