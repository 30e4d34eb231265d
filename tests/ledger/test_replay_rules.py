"""The replay's rules on their own: what each transition event does to a record, and
which histories no record can have."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from optledger.core.consent import RecordStatus
from optledger.core.ledger.replay import Replayed, UnexplainedEvent, differences, replay
from optledger.storage.repositories.record_histories import RecordState, Transition

OPENED = datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)
LATER = datetime(2026, 3, 2, 9, 0, 0, 654321, tzinfo=UTC)


def event(
    event_id: int,
    kind: str,
    at: datetime,
    opened_as: str | None = None,
    opted: str | None = None,
    escaped: str | None = None,
) -> Transition:
    return Transition(7, event_id, f"subscription_{kind}", at, opened_as, opted, escaped)


def test_data_with_an_escape_is_read_as_json_reads_it() -> None:
    # What the database's JSON function read from it (here: nothing, as SQLite's
    # misses a key spelt with an escape) gives way to Python's JSON decoder.
    data = '{"opted_\\u0069n_at":"2025-06-01T12:34:56.789012+00:00","st\\u0061tus":"ACTIVE"}'
    imported = replay([event(1, "created", LATER, escaped=data)])
    assert imported == Replayed(RecordStatus.ACTIVE, "2025-06-01T12:34:56.789012+00:00", None)
    with pytest.raises(UnexplainedEvent, match="opens it as None"):
        replay([event(1, "created", LATER, "ACTIVE", escaped="not json \\")])


def test_a_prompt_confirmed_then_ended_carries_both_dates() -> None:
    history = [
        event(1, "created", OPENED, "PENDING"),
        event(2, "confirmed", LATER),
        event(3, "ended", LATER),
    ]
    assert replay(history) == Replayed(RecordStatus.ENDED, LATER, LATER)


def test_an_import_opts_in_at_its_consent_time_and_a_prompt_ends_unanswered() -> None:
    imported = replay([event(1, "created", LATER, "ACTIVE", "2025-06-01T12:34:56.789012+00:00")])
    assert imported == Replayed(RecordStatus.ACTIVE, "2025-06-01T12:34:56.789012+00:00", None)
    # SQLite's stored text and the ISO time from the event's data are the same moment.
    stored = RecordState(7, "ACTIVE", "2025-06-01 12:34:56.789012", None)
    assert differences(stored, imported) == []
    for answer, status in (("declined", "DECLINED"), ("expired", "EXPIRED"), ("ended", "ENDED")):
        prompt = [event(1, "created", OPENED, "PENDING"), event(2, answer, LATER)]
        replayed = replay(prompt)
        assert replayed is not None
        assert (replayed.status, replayed.opt_in_date) == (status, None)


@pytest.mark.parametrize(
    ("history", "said"),
    [
        ([event(1, "confirmed", OPENED)], "comes before it opens"),
        ([event(1, "created", OPENED, "ACTIVE"), event(2, "created", LATER, "ACTIVE")], "second"),
        ([event(1, "created", OPENED, "ACTIVE"), event(2, "confirmed", LATER)], "not allowed"),
        ([event(1, "created", OPENED, "ENDED")], "not an open status"),
        (
            [
                event(1, "created", OPENED, "ACTIVE"),
                event(2, "ended", LATER),
                event(3, "ended", LATER),
            ],
            "not allowed",
        ),
    ],
)
def test_histories_no_record_can_have_are_unexplained(history: list[Transition], said: str) -> None:
    with pytest.raises(UnexplainedEvent, match=said):
        replay(history)


def test_each_differing_field_is_named_stored_first() -> None:
    stored = RecordState(7, "ACTIVE", OPENED, LATER)
    assert differences(stored, Replayed(RecordStatus.PENDING)) == [
        "status: stored ACTIVE (open), replayed PENDING (open)",
        f"opt_in_date: stored {OPENED.isoformat()}, replayed none",
        f"opt_out_date: stored {LATER.isoformat()}, replayed none",
    ]
