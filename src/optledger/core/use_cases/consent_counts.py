"""How much consent a company gained and lost, day by day (the console's dashboard)."""

from __future__ import annotations

from datetime import date

from optledger.core import subscriber_ledger
from optledger.core.subscriber_ledger import ConsentDay
from optledger.storage.database import Database


async def consent_by_day(
    database: Database, company_id: int, today: date, days: int = 30
) -> list[ConsentDay]:
    """Opt-ins and opt-outs of the last `days` UTC days up to `today`, oldest first."""
    return await database.read(
        lambda connection: subscriber_ledger.consent_by_day(connection, company_id, today, days),
        standby=True,
    )
