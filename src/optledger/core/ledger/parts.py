"""Verifying a large company's ledger in parts, in worker processes, over one snapshot.

Checking events against their leaves and replaying records take nearly all of a
verification's time, and both split cleanly: by ranges of event ids, and by ranges
of record ids (a record's transition events are replayed with it). Each part is one
range of each, verified in a worker process of its own with its own
connection. The process that plans the parts keeps its snapshot open, takes the
parts' outcomes in their order, and folds their leaves into the tree and checks the
seals (`TreeCheck`), which must go in order.

Every part reads the state the planning snapshot saw:
- On PostgreSQL the planner exports its snapshot and each part reads in it.
- SQLite cannot share a snapshot. Each part's own read transaction starts later and
  may see more: events and leaves added since, and records changed since. So the
  planner bounds the parts by what its snapshot saw. Events go up to its last event
  id: SQLite commits one writer at a time, so no event below that id appears later.
  Leaves stop at its last leaf index, so a seal made meanwhile is not half seen. A
  record and its events are read in one part's transaction, so they agree with each
  other, as of that part's start.

A company with fewer than two parts' worth of events (`min_part_events` each) is
verified in this process: starting workers would cost more than it saves.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import sys
from collections import deque
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from optledger.core.ledger.findings import Tally
from optledger.core.ledger.replay import replay_records
from optledger.core.ledger.verification import (
    EventRange,
    FoldedLeaves,
    TreeCheck,
    check_events,
    fold_leaves,
    verify_events,
)
from optledger.storage.database import Database
from optledger.storage.repositories import ledger as stored
from optledger.storage.repositories.leaf_columns import Leaves
from optledger.storage.repositories.record_histories import record_boundaries
from optledger.storage.snapshots import snapshot
from optledger.storage.sql import Connection

MIN_PART_EVENTS = 100_000
# Parts this size keep a part's leaves (what it hands back) to tens of megabytes.
MAX_PART_EVENTS = 300_000


# Each worker holds a database connection while it runs.
MAX_DEFAULT_WORKERS = 8


def default_workers() -> int:
    """One worker per processor this process may run on, at most `MAX_DEFAULT_WORKERS`."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cpus or 1, MAX_DEFAULT_WORKERS)


@dataclass(frozen=True)
class Splitting:
    """How a verification splits companies into parts."""

    workers: int = field(default_factory=default_workers)
    min_part_events: int = MIN_PART_EVENTS
    max_part_events: int = MAX_PART_EVENTS

    def parts(self, events: int) -> int:
        """How many parts a company of `events` events is verified in (1: in this
        process): a multiple of the workers, so that none waits for the last."""
        if self.workers < 2 or events < 2 * self.min_part_events:
            return 1
        rounds = -(-events // (self.workers * self.max_part_events))
        return self.workers * rounds


@dataclass(frozen=True)
class Part:
    """One part of a company's verification: a range of its events, and its records with
    ids in (`records[0]`, `records[1]`]."""

    events: EventRange
    records: tuple[int, int]


@dataclass
class PartOutcome:
    """What a part found, and its leaves for the tree, folded when they could be."""

    tally: Tally
    leaves: Leaves
    folded: FoldedLeaves | None = None


def verify_part(database_url: str, shared_snapshot: str | None, part: Part) -> PartOutcome:
    """Verify one part, in a worker process."""
    # A part reads millions of rows, each a fresh object, and the cycle collector that
    # their allocation sets off walked them all for a fifth of the part's time. A
    # part makes no cycles worth collecting before it ends.
    gc.disable()
    try:
        return asyncio.run(_verify_part(database_url, shared_snapshot, part))
    finally:
        gc.enable()


async def _verify_part(database_url: str, shared_snapshot: str | None, part: Part) -> PartOutcome:
    outcome = PartOutcome(Tally(), Leaves())
    scope = part.events
    database = Database(database_url, pool_size=1)
    try:
        async with database.connection() as connection, snapshot(connection, shared_snapshot):
            async for leaves in check_events(connection, scope, outcome.tally):
                outcome.leaves.extend(leaves)
            outcome.folded = await _fold(connection, scope.company_id, outcome.leaves)
            await replay_records(
                connection,
                scope.company_id,
                scope.company_key,
                outcome.tally,
                part.records,
            )
    finally:
        await database.dispose()
    return outcome


async def _fold(connection: Connection, company_id: int, leaves: Leaves) -> FoldedLeaves | None:
    """The part's leaves folded, cut where the seals among them end: hashed here, in
    parallel with the other parts, rather than one part after another in the process
    that takes them in order."""
    if not leaves.indexes:
        return None
    first, end = leaves.indexes[0], leaves.indexes[-1] + 1
    return fold_leaves(leaves, await stored.seal_sizes(connection, company_id, first, end))


def _loaded() -> None:
    """Nothing: a worker that runs it has loaded this module, and so the product."""


def _worker_context() -> multiprocessing.context.BaseContext:
    """How workers start: forked from a fork server that has loaded the product once,
    where there is one; else spawned, each loading it (about a second of imports).
    Never forked from this process, whose event loop and open connections a fork
    would copy.

    The fork server starts with this process's environment at its first verification
    and keeps it: workers do not see later changes to it (the database URL comes
    with each part)."""
    # Before 3.11.1 any local user could reach the fork server's socket (CVE-2022-42919).
    if "forkserver" not in multiprocessing.get_all_start_methods() or sys.version_info < (3, 11, 1):
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


class PartWorkers:
    """The worker processes of one verification, started when a company first needs
    them."""

    def __init__(self, database_url: str, shared_snapshot: str | None, workers: int) -> None:
        self.database_url = database_url
        self.shared_snapshot = shared_snapshot
        self.workers = workers
        self._pool: Executor | None = None

    def start(self) -> None:
        """Start the workers, if not yet: they load the product while parts are planned."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=_worker_context())
            for _ in range(self.workers):
                self._pool.submit(_loaded)

    def submit(self, part: Part) -> Future[PartOutcome]:
        """Start verifying a part."""
        self.start()
        assert self._pool is not None
        return self._pool.submit(verify_part, self.database_url, self.shared_snapshot, part)

    def close(self) -> None:
        """Stop the workers."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


async def verify_company(
    connection: Connection,
    scope: EventRange,
    public: Ed25519PublicKey,
    tally: Tally,
    splitting: Splitting,
    workers: PartWorkers,
) -> None:
    """Check one company's ledger (`scope`, in the connection's snapshot), adding what
    it finds to `tally`: in this process, or in parts when it is large enough."""
    count = await stored.count_events(connection, scope.company_id, scope.through)
    parts = splitting.parts(count)
    if parts == 1:
        await verify_events(connection, scope, public, tally)
        await replay_records(connection, scope.company_id, scope.company_key, tally)
        return
    workers.start()
    planned = await plan_parts(connection, scope, count, parts)
    tree = TreeCheck(scope.company_key, public, tally)
    # At most two parts per worker are out at once, so few finished ones wait here.
    running: deque[Future[PartOutcome]] = deque()
    for part in planned:
        running.append(workers.submit(part))
        if len(running) > 2 * splitting.workers:
            await _take(connection, scope, tree, tally, running.popleft())
    while running:
        await _take(connection, scope, tree, tally, running.popleft())
    await tree.check_seals(connection, scope.company_id, stored.NO_BOUND)
    tree.finish()


async def _take(
    connection: Connection,
    scope: EventRange,
    tree: TreeCheck,
    tally: Tally,
    running: Future[PartOutcome],
) -> None:
    outcome = await asyncio.wrap_future(running)
    tally.absorb(outcome.tally)
    tree.take_folded(outcome.leaves, outcome.folded)
    await tree.check_seals(connection, scope.company_id, tree.next_index)


async def plan_parts(
    connection: Connection, scope: EventRange, count: int, parts: int
) -> list[Part]:
    """Cut the company's `count` events and its records into `parts` parts of about
    as many of each."""
    event_cuts = await stored.event_boundaries(
        connection, scope.company_id, scope.through, count, parts
    )
    record_cuts = await record_boundaries(connection, scope.company_id, parts)
    return [
        Part(
            EventRange(
                scope.company_id,
                scope.company_key,
                scope.last_through,
                scope.leaf_bound,
                after=after,
                through=through,
                last=part == parts - 1,
            ),
            records,
        )
        for part, ((after, through), records) in enumerate(
            zip(
                pairwise([scope.after, *event_cuts, scope.through]),
                pairwise([0, *record_cuts, stored.NO_BOUND]),
                strict=True,
            )
        )
    ]
