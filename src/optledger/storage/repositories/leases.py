"""Leases on a work queue's due rows: the outbox's messages and webhook deliveries.

A worker leases a batch until `lease_until` and counts the attempt in the same
statement, so a worker that dies mid-send leaves a row any worker claims again
once the lease is over, one attempt spent. On PostgreSQL rows another worker holds
are skipped, not waited for, and the claim returns the claimed rows with what
sending them needs in one round trip; SQLite's UPDATE cannot join, so it reads
them by id in a second.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from optledger.storage.sql import Connection, Query, Row


@dataclass(frozen=True)
class LeaseQueries:
    """The statements that lease one queue's rows and hand unused leases back."""

    claim: Query
    # SQLite only: the claimed rows by id, with the columns the PostgreSQL claim returns.
    claimed: Query
    release: Query


def lease_queries(
    *,
    table: str,
    alias: str,
    waiting: str,
    columns: str,
    joins: str,
    due_joins: str = "",
    due_also: str = "",
) -> LeaseQueries:
    """A queue's lease statements, rows read as `alias`.

    `waiting` is the status of a row still to send; `due_joins` and `due_also` narrow
    the due rows further (the lock is taken on `alias`'s rows only), and `columns`
    with `joins` say what a claimed row carries.
    """
    due = f"""{alias}.status = '{waiting}' AND {alias}.next_attempt_at <= :now
        AND ({alias}.claimed_until IS NULL OR {alias}.claimed_until < :now)"""
    if due_also:
        due += f" AND {due_also}"
    due_ids = f"""SELECT {alias}.id FROM {table} {alias} {due_joins}
        WHERE {due} ORDER BY {alias}.id LIMIT :limit"""
    claim = Query(
        f"""
        UPDATE {table} SET claimed_until = :lease_until, attempts = attempts + 1
        WHERE id IN ({due_ids})
        RETURNING id
        """,
        postgresql=f"""
        WITH due AS (
            {due_ids} FOR UPDATE OF {alias} SKIP LOCKED
        ), claimed AS (
            UPDATE {table} {alias}
            SET claimed_until = :lease_until, attempts = {alias}.attempts + 1
            FROM due WHERE {alias}.id = due.id
            RETURNING {alias}.*
        )
        SELECT {columns} FROM claimed {alias} {joins} ORDER BY {alias}.id
        """,
    )
    claimed = Query(
        f"""SELECT {columns} FROM {table} {alias} {joins}
        WHERE {alias}.id IN (SELECT value FROM json_each(:ids)) ORDER BY {alias}.id"""
    )
    # The worker is stopping: the attempt counted at the claim was never made.
    release = Query(
        f"""UPDATE {table} SET claimed_until = NULL, attempts = attempts - 1
        WHERE id IN (SELECT value FROM json_each(:ids)) AND status = '{waiting}'
          AND claimed_until IS NOT NULL""",
        postgresql=f"""UPDATE {table} SET claimed_until = NULL, attempts = attempts - 1
        WHERE id = ANY(:ids::bigint[]) AND status = '{waiting}' AND claimed_until IS NOT NULL""",
    )
    return LeaseQueries(claim=claim, claimed=claimed, release=release)


async def claim_due(
    connection: Connection,
    queries: LeaseQueries,
    now: datetime,
    lease_until: datetime,
    limit: int,
) -> list[Row]:
    """Lease up to `limit` due rows, oldest first, counting the attempt."""
    params = {"now": now, "lease_until": lease_until, "limit": limit}
    rows = await connection.fetch(queries.claim, params)
    if connection.is_sqlite:
        if not rows:
            return []
        rows = await connection.fetch(queries.claimed, {"ids": sorted(row["id"] for row in rows)})
    return rows


async def release_claims(
    connection: Connection, queries: LeaseQueries, ids: Collection[int]
) -> int:
    """Give leased rows back untried, for any worker to claim now; returns how many."""
    if not ids:
        return 0
    return await connection.execute(queries.release, {"ids": sorted(ids)})
