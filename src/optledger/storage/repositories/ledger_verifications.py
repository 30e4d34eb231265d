"""The outcome of each verification of a company's ledger, appended as it ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from optledger.storage.sql import Connection, Query, as_time

INSERT_VERIFICATION = Query(
    """INSERT INTO ledger_verifications (company_id, verified_at, ok, findings, events, sealed)
    VALUES (:company_id, :verified_at, :ok, :findings, :events, :sealed)"""
)
LAST_VERIFICATION = Query(
    """SELECT company_id, verified_at, ok, findings, events, sealed FROM ledger_verifications
    WHERE company_id = :company_id ORDER BY id DESC LIMIT 1"""
)


@dataclass(frozen=True)
class Verification:
    """One verification of one company's ledger: when, whether everything held, how
    many findings, and how many events it read and found sealed."""

    company_id: int
    verified_at: datetime
    ok: bool
    findings: int
    events: int
    sealed: int


async def insert_verifications(connection: Connection, verifications: list[Verification]) -> None:
    """Append the outcomes of a verification, one per company it covered."""
    for verification in verifications:
        await connection.execute(
            INSERT_VERIFICATION,
            {
                "company_id": verification.company_id,
                "verified_at": verification.verified_at,
                "ok": verification.ok,
                "findings": verification.findings,
                "events": verification.events,
                "sealed": verification.sealed,
            },
        )


async def last_verification(connection: Connection, company_id: int) -> Verification | None:
    """The company's latest verification, if it was ever verified."""
    row = await connection.fetchrow(LAST_VERIFICATION, {"company_id": company_id})
    if row is None:
        return None
    return Verification(
        company_id=row["company_id"],
        verified_at=cast(datetime, as_time(row["verified_at"])),
        ok=bool(row["ok"]),
        findings=int(row["findings"]),
        events=int(row["events"]),
        sealed=int(row["sealed"]),
    )
