"""The console dashboard's figures for one company."""

from __future__ import annotations

from datetime import date, datetime

from optledger.core.dashboard import DashboardFigures, dashboard_figures_of
from optledger.storage.clock import utcnow
from optledger.storage.database import Database


async def dashboard_figures(
    database: Database, company_id: int, today: date, now: datetime | None = None
) -> DashboardFigures:
    """Subscribers, consent changes, messages, webhooks and the ledger's state of the
    company, over the 30 UTC days ending `today` (`now` for ages: the clock's)."""
    moment = now or utcnow()
    return await database.read(
        lambda connection: dashboard_figures_of(connection, company_id, today, moment),
        standby=True,
    )
