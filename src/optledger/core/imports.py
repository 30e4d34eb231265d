"""Importing subscriber lists whose consent was collected elsewhere, a batch at a time.

Each row becomes an ACTIVE record per channel of the unit it has a contact point
for, whatever the unit's double opt-in setting: the consent was given elsewhere,
and `opted_in_at` (the record's opt-in and consent time) and the file (named with
the row's line on the `subscription_created` event) are its evidence. Records are
written with source `import` and send no message. The events carry the
`subscribed` topic, so webhooks hear imported subscriptions like any other.

A row goes in whole or not at all. It is refused when one of its contact points
was erased on request (suppressed), or left the list (opted out, or answered NO)
at or after its `opted_in_at`: an opt-out always wins over older consent. A
contact point already open on the list is left as it is ("already present"),
which makes importing the same file twice change nothing.

A batch is one unit of work: the set-based statements of
`storage.repositories.imports` and `imported_records`, never the per-request flow.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from optledger.core.catalog import Catalog, StaleCatalog, catalog_is_current, load_catalog
from optledger.core.companies import get_company_by_key
from optledger.core.consent import Channel, RecordStatus, SubscriptionType
from optledger.core.context import RequestContext
from optledger.core.errors import InvalidInput, SignUpUnitNotResolved
from optledger.core.events import EventType, new_event
from optledger.core.ids import parse_stored_id
from optledger.core.import_attributes import check_attributes, store_attributes
from optledger.core.import_people import resolve_batch_people
from optledger.core.import_rows import ImportRow, Refusal
from optledger.core.ledger.disclosures import with_disclosure
from optledger.core.privacy.suppression import contact_hash
from optledger.core.sign_up_units import resolve_sign_up_unit
from optledger.storage.clock import utcnow
from optledger.storage.repositories import imports as stored
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.imported_records import ImportedRecords, open_imported_records
from optledger.storage.repositories.privacy import suppressed_among
from optledger.storage.repositories.units import ListRow, UnitRow
from optledger.storage.sql import Connection

IMPORT_SOURCE = "import"
SUPPRESSED = "suppressed"
OPTED_OUT = "opted out"


@dataclass(frozen=True)
class ImportTarget:
    """The company and sign-up unit rows are imported through, and the file's name."""

    company: CompanyRow
    unit: UnitRow
    file_name: str


@dataclass
class BatchOutcome:
    """What one batch did: rows with a new record, rows already open, rows refused."""

    rows: int = 0
    imported: int = 0
    present: int = 0
    records: int = 0
    people: int = 0
    refused: list[Refusal] = field(default_factory=list)


async def find_import_target(
    connection: Connection, unit_id: str, company_key: str | None, file_name: str
) -> ImportTarget:
    """The unit (any method, active) rows go in through; with `company_key`, it must be
    that company's. `SignUpUnitNotResolved` names what is wrong."""
    if company_key is not None:
        company_id = (await get_company_by_key(connection, company_key)).id
    else:
        parsed = parse_stored_id(unit_id)
        found = None if parsed is None else await stored.company_of_unit(connection, parsed)
        if found is None:
            raise SignUpUnitNotResolved(f"sign-up source {unit_id!r} does not exist")
        company_id = found
    catalog = await load_catalog(connection, company_id)
    unit = _unit(catalog, str(unit_id))
    return ImportTarget(company=catalog.company, unit=unit, file_name=file_name)


def _unit(catalog: Catalog, unit_id: str) -> UnitRow:
    unit = resolve_sign_up_unit(
        catalog, unit_id=unit_id, locale=None, subscription_type=None, method=None
    )
    for channel in unit.channels:
        if catalog.default_list(SubscriptionType(unit.subscription_type), Channel(channel)) is None:
            raise InvalidInput(f"the company has no {unit.subscription_type} {channel} list")
    return unit


def _lists(catalog: Catalog, unit: UnitRow) -> dict[Channel, ListRow]:
    sub_type = SubscriptionType(unit.subscription_type)
    found = {Channel(c): catalog.default_list(sub_type, Channel(c)) for c in unit.channels}
    return {channel: item for channel, item in found.items() if item is not None}


async def _suppressed(
    connection: Connection, catalog: Catalog, rows: Sequence[ImportRow]
) -> list[Refusal]:
    """Rows with a contact point erased on request: costs nothing before a first erasure."""
    key = catalog.privacy_key
    if key is None:
        return []
    hashes = {
        (row.line, contact): contact_hash(key, channel, contact)
        for row in rows
        for channel in Channel
        if (contact := row.contact(channel)) is not None
    }
    found = {digest for _, digest in await suppressed_among(
        connection, catalog.company.id, set(hashes.values())
    )}  # fmt: skip
    refused: dict[int, Refusal] = {}
    for (line, contact), digest in hashes.items():
        if digest in found and line not in refused:  # one refusal a row
            refused[line] = Refusal(
                line,
                contact,
                SUPPRESSED,
                "erased at its owner's request; only a confirmed subscribe may bring it back",
            )
    return list(refused.values())


async def _opted_out(
    connection: Connection,
    company_id: int,
    lists: dict[Channel, ListRow],
    rows: Sequence[ImportRow],
) -> list[Refusal]:
    """Rows whose consent is older than an opt-out (or a NO) of one of their contact
    points from the list's type, whether it ended a record or found none open."""
    contacts = {c for row in rows for channel in lists if (c := row.contact(channel))}
    opted_out = await stored.last_opt_outs(connection, company_id, contacts)
    refused = []
    for row in rows:
        for channel, target in lists.items():
            contact = row.contact(channel)
            if contact is None:
                continue
            times = [
                at
                for sub_type in (target.type, None)
                if (at := opted_out.get((contact, channel.value, sub_type))) is not None
            ]
            if times and max(times) >= row.opted_in_at:
                refused.append(
                    Refusal(
                        row.line,
                        contact,
                        OPTED_OUT,
                        f"opted out of {target.type} {channel} on "
                        f"{max(times):%Y-%m-%d %H:%M:%S} UTC, after opted_in_at: "
                        "the opt-out wins",
                    )
                )
                break
    return refused


def _without(rows: list[ImportRow], refused: Sequence[Refusal]) -> list[ImportRow]:
    lines = {refusal.line for refusal in refused}
    return [row for row in rows if row.line not in lines] if lines else rows


def _evidence(row: ImportRow) -> str:
    """What the row's `subscription_created` event adds to the batch's shared data, as
    JSON (written out directly: `json.dumps` of a dict a row is a tenth of a row's cost)."""
    evidence = f'{{"opted_in_at": "{row.opted_in_at.isoformat()}", "line": {row.line}'
    if row.source is not None:
        evidence += f', "consent_source": {json.dumps(row.source)}'
    return evidence + "}"


async def import_batch(
    connection: Connection, target: ImportTarget, batch: Sequence[ImportRow]
) -> BatchOutcome:
    """Import checked rows in the current unit of work (see the module's rules).

    Replayable: a replay after a lost race recomputes everything from `batch`.
    """
    outcome = BatchOutcome(rows=len(batch))
    catalog = await load_catalog(connection, target.company.id)
    company_id = catalog.company.id
    # The unit may have been archived since the last batch: the import stops.
    unit = _unit(catalog, str(target.unit.id))
    lists = _lists(catalog, unit)
    context = RequestContext(source=IMPORT_SOURCE)
    outcome.refused = [
        Refusal(row.line, "", "no channel", f"the unit collects {', '.join(unit.channels)} only")
        for row in batch
        if not any(row.contact(channel) for channel in lists)
    ]
    rows = _without(list(batch), outcome.refused)
    # Each check sees only the rows the earlier ones let through: one reason a row.
    attributes, refused = await check_attributes(connection, company_id, rows)
    rows = _without(rows, refused)
    outcome.refused += refused
    refused = await _suppressed(connection, catalog, rows)
    rows = _without(rows, refused)
    outcome.refused += refused
    refused = await _opted_out(connection, company_id, lists, rows)
    rows = _without(rows, refused)
    outcome.refused += refused
    people = await resolve_batch_people(connection, company_id, rows)
    outcome.refused += people.refused
    outcome.people = people.created
    rows = [row for row in rows if row.line in people.person_of]
    opened = await _open_records(connection, catalog, unit, lists, target, rows, people.person_of)
    outcome.records = len(opened)
    for row in rows:
        keys = [(item.id, contact) for c, item in lists.items() if (contact := row.contact(c))]
        if any(opened.get(key) == row.line for key in keys):
            outcome.imported += 1
        else:
            outcome.present += 1
    await store_attributes(
        connection,
        company_id,
        [
            (people.person_of[row.line], attributes[row.line])
            for row in rows
            if row.line in attributes
        ],
        context,
    )
    if not await catalog_is_current(connection, catalog):
        # Decided on a catalog that changed meanwhile (a first erasure, say): replay.
        raise StaleCatalog(f"company {company_id} changed its catalog")
    outcome.refused.sort(key=lambda refusal: refusal.line)
    return outcome


async def _open_records(
    connection: Connection,
    catalog: Catalog,
    unit: UnitRow,
    lists: dict[Channel, ListRow],
    target: ImportTarget,
    rows: Sequence[ImportRow],
    person_of: dict[int, int],
) -> dict[tuple[int, str], int]:
    """Open a record per (list, contact point) not yet open, through `unit`, with its
    `subscription_created` event; returns the line of the row that opened each one."""
    line_of: dict[tuple[int, str], int] = {}
    person_ids, list_ids, channels, contacts, consented, evidence = [], [], [], [], [], []
    for row in rows:
        row_evidence = None
        for channel, item in lists.items():
            contact = row.contact(channel)
            if contact is None or (item.id, contact) in line_of:
                continue  # the first row of a contact point in the batch speaks for it
            line_of[(item.id, contact)] = row.line
            row_evidence = row_evidence or _evidence(row)
            person_ids.append(person_of[row.line])
            list_ids.append(item.id)
            channels.append(channel.value)
            contacts.append(contact)
            consented.append(row.opted_in_at)
            evidence.append(row_evidence)
    now = utcnow()
    records = ImportedRecords(
        company_id=catalog.company.id,
        unit_id=unit.id,
        type=unit.subscription_type,
        status=RecordStatus.ACTIVE.value,
        # ACTIVE at once, with no confirmation asked here: the consent was given elsewhere.
        single_opt_in=True,
        disclosure_text=unit.legal_disclosure,
        language=unit.language,
        country=unit.country,
        source=IMPORT_SOURCE,
        now=now,
        person_ids=person_ids,
        list_ids=list_ids,
        channels=channels,
        contacts=contacts,
        consented_at=consented,
        evidence=evidence,
    )
    created = new_event(
        catalog.company.id,
        EventType.SUBSCRIPTION_CREATED,
        RequestContext(source=IMPORT_SOURCE),
        data=with_disclosure(
            {
                "type": unit.subscription_type,
                "unit_id": unit.id,
                "status": RecordStatus.ACTIVE.value,
                "file": target.file_name,
            },
            unit.legal_disclosure,
        ),
        at=now,
    )
    opened = await open_imported_records(connection, records, created)
    return {key: line_of[key] for key in opened}
