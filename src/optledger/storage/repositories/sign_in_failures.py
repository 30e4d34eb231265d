"""Failed sign-ins in a row, per key (an operator's name or a client address)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from optledger.storage.sql import Connection, Query, as_time

FAILURES_OF = Query(
    "SELECT key, failures, last_failed_at FROM sign_in_failures WHERE key IN "
    "(SELECT value FROM json_each(:keys))",
    postgresql="SELECT key, failures, last_failed_at FROM sign_in_failures "
    "WHERE key = ANY(:keys::text[])",
)
# One statement: two processes failing at once both count (the row is locked by the
# upsert), and a run of failures older than `forget_before` starts over.
COUNT_FAILURE = Query(
    """
    INSERT INTO sign_in_failures (key, failures, last_failed_at) VALUES (:key, 1, :now)
    ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN sign_in_failures.last_failed_at < :forget_before THEN 1
                        ELSE sign_in_failures.failures + 1 END,
        last_failed_at = :now
    """
)
FORGET = Query("DELETE FROM sign_in_failures WHERE key = :key")
FORGET_OLD = Query("DELETE FROM sign_in_failures WHERE last_failed_at < :forget_before")


@dataclass(frozen=True)
class FailureCount:
    """How many sign-ins failed in a row for a key, and when the last one did."""

    key: str
    failures: int
    last_failed_at: datetime


async def failures_of(connection: Connection, keys: Sequence[str]) -> list[FailureCount]:
    """The counts kept for `keys` (keys with no failure have none)."""
    rows = await connection.fetch(FAILURES_OF, {"keys": list(keys)})
    return [
        FailureCount(
            key=row["key"],
            failures=row["failures"],
            last_failed_at=as_time(row["last_failed_at"]),  # type: ignore[arg-type]
        )
        for row in rows
    ]


async def count_failure(
    connection: Connection, key: str, now: datetime, forget_before: datetime
) -> None:
    """One more failure for `key`."""
    await connection.execute(
        COUNT_FAILURE, {"key": key, "now": now, "forget_before": forget_before}
    )


async def forget_failures(connection: Connection, key: str) -> None:
    """Start `key` over (after a successful sign-in)."""
    await connection.execute(FORGET, {"key": key})


async def forget_old_failures(connection: Connection, forget_before: datetime) -> int:
    """Drop counts whose last failure is older than `forget_before`; returns how many."""
    return await connection.execute(FORGET_OLD, {"forget_before": forget_before})
