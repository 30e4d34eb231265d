"""Replaying a company's events to check its subscription records' state.

Each record's transition events, in id order, are run through the state machine
of `core.consent` from nothing: `subscription_created` opens it with the status
its data names (an ACTIVE one opted in at the event's time, or at the consent time
an import carried as `opted_in_at`); confirm, decline and expire answer a PENDING
record; `subscription_ended` ends an open one at its time. What comes out must be
the record as stored: its status (so whether it is open or ended), opt-in date and
opt-out date. A record its events do not explain, or with none, is a finding.

Records are read a page at a time with the events of that page's records, so one
page of records and their events is in memory however long the ledger is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import NamedTuple

from optledger.core.consent import (
    OPEN_STATUSES,
    ConsentAction,
    IllegalTransition,
    RecordStatus,
    is_open,
    next_status,
)
from optledger.core.events import EventType
from optledger.core.ledger.findings import Finding, Tally
from optledger.storage.repositories.ledger import NO_BOUND
from optledger.storage.repositories.record_histories import (
    RecordState,
    StoredTime,
    Transition,
    record_states_page,
    transitions_of_records,
)
from optledger.storage.sql import Connection, as_time

PAGE = 5000
UNEXPLAINED = "unexplained_record"

# Plain strings, looked up once: the replay runs these per event.
_CREATED = EventType.SUBSCRIPTION_CREATED.value
_OPENING = {status.value: status for status in OPEN_STATUSES}
_ACTIONS = {
    EventType.SUBSCRIPTION_CONFIRMED.value: ConsentAction.CONFIRM,
    EventType.SUBSCRIPTION_DECLINED.value: ConsentAction.DECLINE,
    EventType.SUBSCRIPTION_EXPIRED.value: ConsentAction.EXPIRE,
    EventType.SUBSCRIPTION_ENDED.value: ConsentAction.OPT_OUT,
}


class Replayed(NamedTuple):
    """A record's state as its events leave it (a tuple: one is built per event)."""

    status: RecordStatus
    opt_in_date: StoredTime | None = None
    opt_out_date: StoredTime | None = None


class UnexplainedEvent(Exception):
    """An event the record's history before it does not allow."""


def replay(transitions: Iterable[Transition]) -> Replayed | None:
    """The state one record's transition events (in id order) leave it in; None
    when there are none."""
    state: Replayed | None = None
    for event in transitions:
        if event.type == _CREATED:
            if state is not None:
                raise UnexplainedEvent(f"event {event.event_id} opens it a second time")
            state = _opened(event)
            continue
        if state is None:
            raise UnexplainedEvent(f"event {event.event_id} ({event.type}) comes before it opens")
        action = _ACTIONS[event.type]
        try:
            status = next_status(state.status, action)
        except IllegalTransition as exc:
            raise UnexplainedEvent(f"event {event.event_id}: {exc}") from None
        if action == ConsentAction.CONFIRM:
            state = Replayed(status, opt_in_date=event.created_at)
        elif action == ConsentAction.OPT_OUT:
            state = Replayed(status, state.opt_in_date, opt_out_date=event.created_at)
        else:
            state = Replayed(status, state.opt_in_date)
    return state


def _opened(event: Transition) -> Replayed:
    opened_as, opted_in_at = event.opened_as, event.opted_in_at
    if event.escaped_data is not None:
        opened_as, opted_in_at = _opening_in(event.escaped_data)
    status = _OPENING.get(opened_as or "")
    if status is None:
        raise UnexplainedEvent(
            f"event {event.event_id} opens it as {opened_as!r}, not an open status"
        )
    if status == RecordStatus.ACTIVE:
        return Replayed(status, opt_in_date=opted_in_at or event.created_at)
    return Replayed(status)


def _opening_in(data: str | bytes) -> tuple[str | None, str | None]:
    """The status and consent time an opening event's data names, as JSON reads them
    (whatever escapes spell its keys)."""
    try:
        document = json.loads(data)
    except ValueError:
        return None, None
    if not isinstance(document, dict):
        return None, None
    return _as_text(document.get("status")), _as_text(document.get("opted_in_at"))


def _as_text(value: object) -> str | None:
    # As the database's JSON functions give a value: a string as it is, else its JSON.
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def differences(stored: RecordState, replayed: Replayed) -> list[str]:
    """Each field where the stored record differs from its replay, named, stored
    first."""
    found = []
    if stored.status != replayed.status:
        found.append(
            f"status: stored {stored.status} ({_openness(stored.status)}), replayed "
            f"{replayed.status} ({_openness(replayed.status)})"
        )
    for name, kept, derived in (
        ("opt_in_date", stored.opt_in_date, replayed.opt_in_date),
        ("opt_out_date", stored.opt_out_date, replayed.opt_out_date),
    ):
        if not _same(kept, derived):
            found.append(f"{name}: stored {_moment(kept)}, replayed {_moment(derived)}")
    return found


def _openness(status: str) -> str:
    try:
        return "open" if is_open(RecordStatus(status)) else "ended"
    except ValueError:
        return "unknown"


def _same(kept: StoredTime | None, derived: StoredTime | None) -> bool:
    if kept == derived:
        return True
    return kept is not None and derived is not None and as_time(kept) == as_time(derived)


def _moment(value: StoredTime | None) -> str:
    moment = as_time(value)
    return "none" if moment is None else moment.isoformat()


def _check(stored: RecordState, history: list[Transition]) -> str | None:
    """What is wrong with one record, if anything."""
    if not history:
        return f"record {stored.id} has no event that opens it"
    try:
        replayed = replay(history)
    except UnexplainedEvent as exc:
        return f"record {stored.id}: {exc}"
    assert replayed is not None
    if (stored.status, stored.opt_in_date, stored.opt_out_date) == replayed:
        return None
    found = differences(stored, replayed)
    return f"record {stored.id}: " + "; ".join(found) if found else None


async def replay_records(
    connection: Connection,
    company_id: int,
    company_key: str,
    tally: Tally,
    records: tuple[int, int] = (0, NO_BOUND),
) -> None:
    """Check every record of the company against its events (those with ids in
    (`records[0]`, `records[1]`], if given), adding what does not hold to `tally` as
    `unexplained_record` findings."""
    after, through = records
    while page := await record_states_page(connection, company_id, after, through, PAGE):
        last = page[-1].id if len(page) == PAGE else through
        histories: dict[int, list[Transition]] = {record.id: [] for record in page}
        for transition in await transitions_of_records(connection, company_id, after, last):
            # A record deleted under its events has no history to check here.
            if (history := histories.get(transition.record_id)) is not None:
                history.append(transition)
        for record in page:
            detail = _check(record, histories[record.id])
            if detail is not None:
                tally.add(Finding(UNEXPLAINED, company_key, detail, record_id=record.id))
        if last == through:
            return
        after = last
