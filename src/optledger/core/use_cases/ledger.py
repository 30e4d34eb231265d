"""The tamper-evident ledger's operations: seal, publish a checkpoint, show the public
key, verify, prove one contact point's consent. Sealing runs in the worker (and here
on demand or for a proof), never on a consent request."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from optledger.core.companies import every_company, get_company_by_key
from optledger.core.contact_points import ContactPoints
from optledger.core.errors import Conflict, InvalidInput
from optledger.core.ledger.consent_proof import consent_proof
from optledger.core.ledger.findings import Tally
from optledger.core.ledger.keys import installation_key, public_key_pem
from optledger.core.ledger.parts import PartWorkers, Splitting, verify_company
from optledger.core.ledger.sealing import (
    SEAL_BATCH,
    Sealed,
    latest_checkpoint,
    seal_company,
)
from optledger.core.ledger.verification import company_scope
from optledger.core.use_cases.companies import CompanyRow, find_company
from optledger.storage.clock import utcnow
from optledger.storage.database import Database
from optledger.storage.repositories.ledger import (
    WatermarkBusy,
    companies_to_seal,
    events_watermark,
    last_event_id,
)
from optledger.storage.repositories.ledger_verifications import (
    Verification,
    insert_verifications,
)
from optledger.storage.snapshots import export_snapshot, snapshot
from optledger.storage.sql import Connection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SealRound:
    """What one round of sealing did: its seals, or that writers kept it waiting."""

    seals: list[Sealed] = field(default_factory=list)
    busy: bool = False


async def seal_ledger(
    database: Database, company_key: str | None = None, stop: asyncio.Event | None = None
) -> SealRound:
    """Seal every company's events up to the watermark (or one company's).

    When writers hold `events` past the lock timeout, nothing is sealed this round.
    Once `stop` is set, a backlog waits for the next round (or process) after the
    batch in hand, so that a worker asked to stop does not seal a million events first."""
    key = await installation_key(database)
    try:
        watermark = await database.run(events_watermark)
    except WatermarkBusy:
        log.info("ledger seal skipped: writers held the events table; sealing next round")
        return SealRound(busy=True)
    if company_key is not None:
        found = await find_company(database, company_key)
        companies = [(found.id, found.key)]
    else:
        companies = await database.read(lambda connection: companies_to_seal(connection, watermark))
    seals: list[Sealed] = []
    for company_id, company in companies:
        seal = partial(
            seal_company, company_id=company_id, company_key=company, key=key, watermark=watermark
        )
        # A backlog is sealed a batch a transaction.
        while (sealed := await database.run(seal)) is not None:
            seals.append(sealed)
            if sealed.new_leaves < SEAL_BATCH or (stop is not None and stop.is_set()):
                break
        if stop is not None and stop.is_set():
            break
    return SealRound(seals)


async def ledger_public_key(database: Database) -> str:
    """The installation's ledger public key, as PEM."""
    return public_key_pem((await installation_key(database)).public)


async def ledger_checkpoints(
    database: Database, company_key: str | None = None
) -> list[dict[str, Any]]:
    """The latest signed tree head of the company (or of each sealed company), as
    published: its fields, the signature and the signed bytes."""

    async def read(connection: Connection) -> list[dict[str, Any]]:
        if company_key is not None:
            companies = [await get_company_by_key(connection, company_key)]
        else:
            companies = await every_company(connection)
        found = []
        for company in companies:
            checkpoint = await latest_checkpoint(connection, company.id)
            if checkpoint is not None:
                found.append(checkpoint)
        return found

    return await database.read(read)


async def verify_ledger(
    database: Database, company_key: str | None = None, splitting: Splitting | None = None
) -> Tally:
    """Check the ledger of the company (or of every company) in one snapshot: its
    seals and leaves, and that its events replay to its records' state. A large
    company is checked in parts, in worker processes (see `core.ledger.parts`). Each
    company's outcome is recorded (the dashboard shows the latest)."""
    splitting = splitting or Splitting()
    key = await installation_key(database)
    tally = Tally()
    outcomes: list[Verification] = []
    async with database.connection() as connection, snapshot(connection):
        workers = PartWorkers(database.url, await export_snapshot(connection), splitting.workers)
        try:
            if company_key is not None:
                companies = [await get_company_by_key(connection, company_key)]
            else:
                companies = await every_company(connection)
            through = await last_event_id(connection)
            for company in companies:
                findings, events, sealed = tally.findings_total, tally.events, tally.sealed
                scope = await company_scope(connection, company.id, company.key, through)
                await verify_company(connection, scope, key.public, tally, splitting, workers)
                found = tally.findings_total - findings
                outcomes.append(
                    Verification(
                        company_id=company.id,
                        verified_at=utcnow(),
                        ok=found == 0,
                        findings=found,
                        events=tally.events - events,
                        sealed=tally.sealed - sealed,
                    )
                )
        finally:
            workers.close()
    await database.run(partial(insert_verifications, verifications=outcomes))
    return tally


# Rounds of sealing a proof waits for before it gives up (writers kept the watermark
# below one of the contact point's events each time).
PROOF_SEAL_ATTEMPTS = 3


async def prove_consent(
    database: Database, company: CompanyRow, contacts: ContactPoints
) -> dict[str, Any]:
    """The proof of consent of one phone or email of the company, against one signed
    head; its events not yet sealed are sealed first. `NotFound` for an unknown one."""
    if len(contacts.values) != 1:
        raise InvalidInput("a proof is of one phone or one email")
    [contact] = contacts.values
    key = await installation_key(database)
    for _ in range(PROOF_SEAL_ATTEMPTS):
        async with database.connection() as connection, snapshot(connection):
            proof = await consent_proof(connection, company.id, company.key, contact, key)
        if proof is not None:
            return proof
        await seal_ledger(database, company.key)
    raise Conflict("the ledger is busy: the proof's events are not sealed yet, try again")
