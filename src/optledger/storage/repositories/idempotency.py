"""Answers kept by idempotency key: reserve a key, then keep its answer or let it go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from optledger.storage.database import LostRace
from optledger.storage.sql import Connection, Query

# How long an answer is kept for retries of its request.
ANSWER_LIFETIME = timedelta(hours=24)

FORGET_STALE = Query(
    """DELETE FROM idempotent_answers
    WHERE caller = :caller AND key = :key
      AND (created_at < :expired_before OR (status IS NULL AND created_at < :abandoned_before))"""
)
RESERVE = Query(
    """INSERT INTO idempotent_answers (caller, key, request_hash, created_at)
    VALUES (:caller, :key, :request_hash, :now)
    ON CONFLICT (caller, key) DO NOTHING RETURNING id"""
)
KEPT = Query(
    """SELECT id, request_hash, status, content_type, body FROM idempotent_answers
    WHERE caller = :caller AND key = :key"""
)
KEEP_ANSWER = Query(
    """UPDATE idempotent_answers SET status = :status, content_type = :content_type, body = :body
    WHERE id = :id"""
)
RELEASE = Query("DELETE FROM idempotent_answers WHERE id = :id")
PURGE_EXPIRED = Query("DELETE FROM idempotent_answers WHERE created_at < :expired_before")


@dataclass(frozen=True)
class KeptAnswer:
    """What a key holds: the request it was first used with and, once run, its answer."""

    id: int
    request_hash: str
    status: int | None
    content_type: str | None
    body: bytes | None


async def reserve_key(
    connection: Connection,
    *,
    caller: str,
    key: str,
    request_hash: str,
    now: datetime,
    expired_before: datetime,
    abandoned_before: datetime,
) -> int | KeptAnswer:
    """The id of a new reservation of `key`, or what the key already holds.

    A key past its lifetime, or reserved by a request that never answered (its
    process died), is free again.
    """
    names = {"caller": caller, "key": key}
    await connection.execute(
        FORGET_STALE,
        {**names, "expired_before": expired_before, "abandoned_before": abandoned_before},
    )
    reserved = await connection.fetchval(
        RESERVE, {**names, "request_hash": request_hash, "now": now}
    )
    if reserved is not None:
        return int(reserved)
    found = await kept_answer(connection, caller=caller, key=key)
    if found is None:
        raise LostRace("the key was freed while it was reserved")
    return found


async def kept_answer(connection: Connection, *, caller: str, key: str) -> KeptAnswer | None:
    """What `key` holds for `caller`, if anything."""
    row = await connection.fetchrow(KEPT, {"caller": caller, "key": key})
    if row is None:
        return None
    body = row["body"]
    return KeptAnswer(
        id=row["id"],
        request_hash=row["request_hash"],
        status=row["status"],
        content_type=row["content_type"],
        body=bytes(body) if body is not None else None,
    )


async def keep_answer(
    connection: Connection, reservation: int, status: int, content_type: str | None, body: bytes
) -> None:
    """Keep the answer of the request that reserved the key."""
    await connection.execute(
        KEEP_ANSWER,
        {"id": reservation, "status": status, "content_type": content_type, "body": body},
    )


async def release_key(connection: Connection, reservation: int) -> None:
    """Free a reserved key: its request ended in a way a retry should run again."""
    await connection.execute(RELEASE, {"id": reservation})


async def purge_expired_answers(connection: Connection, expired_before: datetime) -> int:
    """Forget answers kept longer than their lifetime; returns how many."""
    return await connection.execute(PURGE_EXPIRED, {"expired_before": expired_before})
