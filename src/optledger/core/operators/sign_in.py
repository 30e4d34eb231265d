"""An operator's sign-in with name and password, throttled against guessing.

Failures are counted in the database per operator name and per client address, so
every server process sees the same counts. After a few free failures in a row each
further one doubles the wait before the next attempt is even checked (1 s, 2 s,
4 s, ... up to a cap); a run of failures is forgotten after an hour without one,
and a successful sign-in forgets the name's. Unknown names count like known ones
and take as long to refuse, so neither the answer nor its time tells which exist.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from optledger.core.audit import Actor, record_change
from optledger.core.auth.passwords import verify_password
from optledger.core.errors import RateLimited, Unauthorized
from optledger.storage.clock import utcnow
from optledger.storage.database import Database
from optledger.storage.repositories.operators import OperatorRow, operator_named
from optledger.storage.repositories.sign_in_failures import (
    FailureCount,
    count_failure,
    failures_of,
    forget_failures,
    forget_old_failures,
)
from optledger.storage.sql import Connection

NAME_KEY = "name:"
ADDRESS_KEY = "address:"


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures in a row are free, and how the wait grows after them."""

    # Per name: a person mistyping; per address: several people behind one NAT.
    free_per_name: int = 5
    free_per_address: int = 20
    first_wait: timedelta = timedelta(seconds=1)
    longest_wait: timedelta = timedelta(minutes=15)
    forget_after: timedelta = timedelta(hours=1)

    def wait_after(self, failures: int, free: int) -> timedelta:
        """How long after the last of `failures` failures the next attempt must wait."""
        if failures < free:
            return timedelta(0)
        doublings = failures - free
        # Past the cap the exponent no longer matters (and 2**big would overflow a timedelta).
        limit = math.log2(self.longest_wait / self.first_wait)
        if doublings >= limit:
            return self.longest_wait
        return min(self.first_wait * (1 << doublings), self.longest_wait)


DEFAULT_POLICY = ThrottlePolicy()


def throttle_keys(name: str, client_ip: str | None) -> list[str]:
    """The keys one attempt counts under: the name tried, and the client's address."""
    keys = [NAME_KEY + name.strip().lower()[:100]]
    if client_ip:
        keys.append(ADDRESS_KEY + client_ip[:64])
    return keys


def retry_after(
    counts: Sequence[FailureCount], now: datetime, policy: ThrottlePolicy = DEFAULT_POLICY
) -> float:
    """Seconds until an attempt may be checked again under these counts (0: now)."""
    waits = [0.0]
    for count in counts:
        if count.last_failed_at < now - policy.forget_after:
            continue
        free = policy.free_per_name if count.key.startswith(NAME_KEY) else policy.free_per_address
        until = count.last_failed_at + policy.wait_after(count.failures, free)
        waits.append((until - now).total_seconds())
    return max(waits)


async def check_not_throttled(
    connection: Connection,
    keys: Sequence[str],
    now: datetime,
    policy: ThrottlePolicy = DEFAULT_POLICY,
) -> None:
    """`RateLimited` while any key must still wait."""
    wait = retry_after(await failures_of(connection, keys), now, policy)
    if wait > 0:
        raise RateLimited(
            f"too many failed sign-ins; retry in {math.ceil(wait)} s", retry_after=wait
        )


async def count_failed_sign_in(
    connection: Connection,
    keys: Sequence[str],
    now: datetime,
    policy: ThrottlePolicy = DEFAULT_POLICY,
) -> None:
    """One more failure under each key."""
    for key in keys:
        await count_failure(connection, key, now, now - policy.forget_after)


async def _failed(
    connection: Connection,
    keys: Sequence[str],
    attempt: Actor,
    now: datetime,
    policy: ThrottlePolicy,
) -> None:
    """Count a failed attempt, and put it in the audit trail with the name typed (never
    the password)."""
    await count_failed_sign_in(connection, keys, now, policy)
    await record_change(connection, attempt, None, "sign_in_failed", "operator", attempt.name)


async def _succeeded(connection: Connection, keys: Sequence[str], operator: Actor) -> None:
    """Start the name's failures over, and put the sign-in in the audit trail."""
    await forget_failures(connection, keys[0])
    await record_change(connection, operator, None, "sign_in", "operator", operator.name)


async def sign_in(
    database: Database,
    name: str,
    password: str,
    client_ip: str | None,
    *,
    now: datetime | None = None,
    policy: ThrottlePolicy = DEFAULT_POLICY,
) -> OperatorRow:
    """The operator whose name and password these are, or `Unauthorized`; while
    failures under the name or the address must wait, `RateLimited` without
    checking the password at all."""
    now = now or utcnow()
    # A NUL names no operator, and PostgreSQL text cannot hold one.
    name = name.replace("\x00", "")
    keys = throttle_keys(name, client_ip)
    await database.read(lambda connection: check_not_throttled(connection, keys, now, policy))
    normalized = name.strip().lower()
    operator = await database.read(lambda connection: operator_named(connection, normalized))
    stored_hash = operator.password_hash if operator is not None else None
    # argon2 takes tens of milliseconds of CPU: off the event loop, outside any transaction.
    matches = await asyncio.to_thread(verify_password, stored_hash, password)
    if operator is None or not matches:
        attempt = Actor(normalized, client_ip)
        await database.run(lambda connection: _failed(connection, keys, attempt, now, policy))
        raise Unauthorized("wrong operator name or password")
    signed_in = Actor(operator.name, client_ip)
    await database.run(lambda connection: _succeeded(connection, keys, signed_in))
    return operator


async def forget_old_sign_in_failures(
    database: Database, policy: ThrottlePolicy = DEFAULT_POLICY
) -> int:
    """Drop counts nobody waits on any more (housekeeping: guessed names add rows)."""
    cutoff = utcnow() - policy.forget_after
    return await database.run(lambda connection: forget_old_failures(connection, cutoff))
