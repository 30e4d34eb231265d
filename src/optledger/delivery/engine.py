"""The delivery engine: claims due jobs of one kind, performs them, records outcomes.

At least once: a job is claimed with a lease (the attempt counted as it is
claimed, so a job that kills its worker still reaches the dead letter), performed,
then recorded. A worker that dies between performing and recording leaves the
lease to lapse, and another worker performs the job again. On PostgreSQL claims
take rows with `FOR UPDATE SKIP LOCKED`, so any number of workers share the work;
on SQLite the single write lock serialises claims.

Jobs in one line (one recipient, one subscriber of one webhook) are performed one
after another in the order they were queued; lines run in parallel. The engine
keeps claiming while jobs are in flight, up to `max_in_flight`, so one slow
receiver holds its own slots and not everyone else's; it claims once half its
slots are free, so that a busy worker claims and records in batches.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from optledger.observability.metrics import count_deliveries
from optledger.storage.clock import utcnow
from optledger.storage.database import Database, DatabaseUnavailable
from optledger.storage.sql import Connection

log = logging.getLogger(__name__)


class Job(Protocol):
    """What the engine needs of a claimed job."""

    @property
    def id(self) -> int: ...

    @property
    def attempts(self) -> int: ...


JobT = TypeVar("JobT", bound=Job)


@dataclass(frozen=True)
class Attempted:
    """How performing a job went."""

    ok: bool
    error: str | None = None
    # Whether trying again can help: 4xx answers say it cannot.
    retryable: bool = True
    status_code: int | None = None
    latency_ms: int | None = None
    provider_id: str | None = None
    # Not performed at all, on purpose (outside a registration's list or window).
    skipped: bool = False


class Verdict(StrEnum):
    """What becomes of a job after an attempt (the words metrics count it by)."""

    DONE = "sent"
    RETRY = "retried"
    DEAD = "dead"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Outcome(Generic[JobT]):
    """An attempt and its verdict; `next_attempt_at` is set for a retry."""

    job: JobT
    attempted: Attempted
    verdict: Verdict
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class EnginePolicy:
    """How a worker claims and paces one kind of job."""

    batch_size: int = 100
    lease: timedelta = timedelta(seconds=60)
    poll_seconds: float = 0.2
    max_in_flight: int = 32
    backoff_base_seconds: float = 2
    max_backoff_seconds: float = 3600

    def backoff(self, attempts: int) -> timedelta:
        """Exponential, capped, with jitter so that failed batches spread out."""
        seconds = min(self.backoff_base_seconds * 2 ** (attempts - 1), self.max_backoff_seconds)
        return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


class JobKind(Protocol[JobT]):
    """One kind of job: how it is claimed, performed and recorded."""

    # A failure holds back the rest of its line until it is retried.
    in_order: bool
    # Counted in metrics as `optledger_deliveries_total{kind=...}`.
    name: str

    async def claim(
        self, connection: Connection, now: datetime, lease_until: datetime, limit: int
    ) -> Sequence[JobT]:
        """Lease up to `limit` due jobs, oldest first, counting the attempt."""
        ...

    def line_of(self, job: JobT) -> Hashable:
        """Jobs with the same line go out one after another."""
        ...

    async def perform(self, job: JobT) -> Attempted:
        """Send it; never raises."""
        ...

    def exhausted(self, job: JobT, next_attempt_at: datetime) -> bool:
        """Whether a failed job is out of attempts or time (the dead letter)."""
        ...

    async def record(
        self, connection: Connection, outcomes: Sequence[Outcome[JobT]], unsent: Sequence[int]
    ) -> None:
        """Write outcomes (of jobs still pending) and release the `unsent` leases."""
        ...


def judge(
    kind: JobKind[JobT], policy: EnginePolicy, job: JobT, attempted: Attempted, now: datetime
) -> Outcome[JobT]:
    """Done, skipped, retried later with backoff, or dead."""
    if attempted.skipped:
        return Outcome(job, attempted, Verdict.SKIPPED)
    if attempted.ok:
        return Outcome(job, attempted, Verdict.DONE)
    next_attempt_at = now + policy.backoff(job.attempts)
    if attempted.retryable and not kind.exhausted(job, next_attempt_at):
        return Outcome(job, attempted, Verdict.RETRY, next_attempt_at)
    return Outcome(job, attempted, Verdict.DEAD)


async def _perform(kind: JobKind[JobT], job: JobT) -> Attempted:
    try:
        return await kind.perform(job)
    except Exception as exc:  # a handler bug must not lose the other outcomes
        log.exception("%s job %d failed unexpectedly", kind.name, job.id)
        return Attempted(ok=False, error=f"unexpected {exc!r}")


async def _perform_batch(
    kind: JobKind[JobT],
    claimed: Sequence[JobT],
    stop: asyncio.Event | None,
    done_one: Callable[[], None],
) -> dict[int, Attempted]:
    lines: dict[Hashable, list[JobT]] = {}
    for job in claimed:
        lines.setdefault(kind.line_of(job), []).append(job)
    attempts: dict[int, Attempted] = {}

    async def in_order(jobs: list[JobT]) -> None:
        for job in jobs:
            if stop is not None and stop.is_set():
                return
            attempted = attempts[job.id] = await _perform(kind, job)
            done_one()
            if kind.in_order and not attempted.ok and not attempted.skipped:
                return

    await asyncio.gather(*(in_order(jobs) for jobs in lines.values()))
    return attempts


async def deliver_claimed(
    database: Database,
    kind: JobKind[JobT],
    policy: EnginePolicy,
    claimed: Sequence[JobT],
    stop: asyncio.Event | None = None,
    done_one: Callable[[], None] = lambda: None,
) -> Counter[str]:
    """Perform a claimed batch and record it in one transaction.

    Once `stop` is set, jobs in flight finish and the rest go back untried (their
    leases cleared, the attempt not counted), as do the jobs behind a failure in
    an ordered line.
    """
    attempts = await _perform_batch(kind, claimed, stop, done_one)
    now = utcnow()
    outcomes = [
        judge(kind, policy, job, attempts[job.id], now) for job in claimed if job.id in attempts
    ]
    unsent = [job.id for job in claimed if job.id not in attempts]
    await database.run(lambda connection: kind.record(connection, outcomes, unsent))
    # Counted once committed: a replayed transaction would count twice.
    results = Counter(outcome.verdict.value for outcome in outcomes)
    for verdict, count in results.items():
        count_deliveries(kind.name, verdict, count)
    return results


async def deliver_batch(
    database: Database,
    kind: JobKind[JobT],
    policy: EnginePolicy,
    stop: asyncio.Event | None = None,
) -> int:
    """Claim one batch, perform and record it; returns how many were claimed."""
    claimed = await claim(database, kind, policy, policy.batch_size)
    if claimed:
        await deliver_claimed(database, kind, policy, claimed, stop)
    return len(claimed)


async def claim(
    database: Database, kind: JobKind[JobT], policy: EnginePolicy, limit: int
) -> Sequence[JobT]:
    """Lease up to `limit` due jobs of `kind`."""
    now = utcnow()
    return await database.run(
        lambda connection: kind.claim(connection, now, now + policy.lease, limit)
    )


class _Slots:
    """Jobs in flight, against a ceiling."""

    def __init__(self, size: int) -> None:
        self.free = size
        self.changed = asyncio.Event()

    def take(self, count: int) -> None:
        self.free -= count

    def give(self, count: int = 1) -> None:
        self.free += count
        self.changed.set()


async def pump(
    database: Database,
    kind: JobKind[JobT],
    policy: EnginePolicy,
    stop: asyncio.Event,
    written: asyncio.Event,
) -> None:
    """Deliver `kind` until `stop`: claim while there is room, sleep while nothing is due.

    `written` is set when new jobs are committed; the poll is the fallback.
    """
    slots = _Slots(policy.max_in_flight)
    # Claim when half the room is free, not at each finished job: claims and
    # records then come in batches, and a busy worker spends no transaction per job.
    enough_room = max(1, min(policy.batch_size, policy.max_in_flight) // 2)
    batches: set[asyncio.Task[None]] = set()

    async def run_batch(claimed: Sequence[JobT]) -> None:
        performed = 0

        def done_one() -> None:
            nonlocal performed
            performed += 1
            slots.give()

        try:
            await deliver_claimed(database, kind, policy, claimed, stop, done_one)
        except Exception:
            log.exception("%s delivery failed; the leases lapse and the jobs return", kind.name)
        finally:
            slots.give(len(claimed) - performed)

    # While the database is away (a restart, a failover) claims fail every poll: say so
    # once, and once again when they succeed, not with a traceback each time.
    unavailable = False
    while not stop.is_set():
        if slots.free < enough_room:
            slots.changed.clear()
            await _first_of(stop, slots.changed, seconds=policy.poll_seconds)
            continue
        try:
            claimed = await claim(database, kind, policy, min(policy.batch_size, slots.free))
        except DatabaseUnavailable as exc:
            if not unavailable:
                log.warning(
                    "claiming %s: the database is unavailable (%s); retrying", kind.name, exc
                )
            unavailable = True
            claimed = []
        except Exception:
            log.exception("claiming %s failed; retrying", kind.name)
            claimed = []
        else:
            if unavailable:
                log.warning("claiming %s again: the database is back", kind.name)
            unavailable = False
        if not claimed:
            await _first_of(stop, written, seconds=policy.poll_seconds)
            written.clear()
            continue
        slots.take(len(claimed))
        task = asyncio.create_task(run_batch(claimed))
        batches.add(task)
        task.add_done_callback(batches.discard)
    if batches:
        await asyncio.gather(*batches)


async def _first_of(*events: asyncio.Event, seconds: float) -> None:
    """Wait until any of `events` is set, or `seconds`."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
