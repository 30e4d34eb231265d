"""Property tests of the consent state machine, alone and through the core flows."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import func, select

from optledger.bootstrap import bootstrap_company
from optledger.core.consent import (
    Channel,
    ConsentAction,
    CreationStatus,
    IllegalTransition,
    RecordStatus,
    SubscriptionType,
    UnsubscribeStatus,
    is_open,
    next_status,
)
from optledger.core.contact_points import ContactPoints
from optledger.core.context import RequestContext
from optledger.core.errors import NotFound
from optledger.core.sign_up_units import Locale
from optledger.core.subscriptions import (
    SubscribeCommand,
    UnsubscribeCommand,
    check_eligibility,
    subscribe,
    unsubscribe,
)
from optledger.storage.database import Database
from optledger.storage.migrate import upgrade_database
from optledger.storage.tables import SubscriptionRecord

actions = st.sampled_from(list(ConsentAction))


@given(st.lists(actions, max_size=12))
def test_records_only_move_forward(sequence: list[ConsentAction]) -> None:
    """From PENDING, any sequence of actions: closed records never move again, only a
    confirmation makes a record ACTIVE, and an opt-out always ends an open record."""
    status = RecordStatus.PENDING
    for action in sequence:
        try:
            moved = next_status(status, action)
        except IllegalTransition:
            assert not is_open(status) or status == RecordStatus.ACTIVE
            assert action != ConsentAction.OPT_OUT or not is_open(status)
            continue
        assert is_open(status), "a closed record moved"
        if moved == RecordStatus.ACTIVE:
            assert (status, action) == (RecordStatus.PENDING, ConsentAction.CONFIRM)
        if action == ConsentAction.OPT_OUT:
            assert moved == RecordStatus.ENDED
        status = moved


PHONES = ["+19148440001", "+442071838750"]
EMAILS = ["a@example.com", "b@example.com"]
TYPES = list(SubscriptionType)
CONTEXT = RequestContext(source="property-test")


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("props") / "ledger.db"
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(upgrade_database(url))
    return url


class ConsentLedger(RuleBasedStateMachine):
    """Random subscribes and unsubscribes against the core, checked against a model.

    The model is the rule itself: a contact point holds at most one open record per
    (type, channel); an opt-out ends it; a new subscribe after that opens a new one.
    """

    url: str = ""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.database = Database(self.url)
        self.company = self.run(
            self.database.run(
                lambda s: bootstrap_company(s, f"p-{uuid.uuid4().hex[:10]}", server_secret="x")
            )
        ).company
        self.people: dict[str | None, int] = {}
        self.open: set[tuple[str, SubscriptionType]] = set()
        self.seen: set[tuple[str, SubscriptionType]] = set()
        self.records = 0

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.run(self.database.dispose())
        self.loop.close()

    @rule(
        phone=st.sampled_from([None, *PHONES]),
        email=st.sampled_from([None, *EMAILS]),
        sub_type=st.sampled_from(TYPES),
    )
    def subscribe(self, phone: str | None, email: str | None, sub_type: SubscriptionType) -> None:
        if phone is None and email is None:
            return
        if phone and email and self._owned_by_different_people(phone, email):
            return
        command = SubscribeCommand(
            contacts=ContactPoints.parse(phone, email),
            locale=Locale("en", "US"),
            subscription_type=sub_type,
            single_opt_in=True,
        )
        result = self.run(self.database.run(lambda s: subscribe(s, self.company, command, CONTEXT)))
        for outcome in result.outcomes:
            contact = phone if outcome.channel == "TEXT" else email
            assert contact is not None
            key = (contact, sub_type)
            expected = (
                CreationStatus.PREVIOUSLY_CREATED
                if key in self.open
                else CreationStatus.NEWLY_CREATED
            )
            assert outcome.status == expected
            if expected == CreationStatus.NEWLY_CREATED:
                self.records += 1
            self.open.add(key)
            self.seen.add(key)
        self.people.update({phone: result.person.id, email: result.person.id})

    def _owned_by_different_people(self, phone: str, email: str) -> bool:
        owners = {self.people.get(phone), self.people.get(email)} - {None}
        return len(owners) > 1

    @rule(
        contact=st.sampled_from([*PHONES, *EMAILS]),
        only=st.one_of(st.none(), st.sampled_from(TYPES)),
    )
    def unsubscribe(self, contact: str, only: SubscriptionType | None) -> None:
        is_phone = contact.startswith("+")
        channel = Channel.TEXT if is_phone else Channel.EMAIL
        command = UnsubscribeCommand(
            contacts=ContactPoints.parse(
                contact if is_phone else None, None if is_phone else contact
            ),
            subscriptions=None if only is None else [(only, channel)],
        )
        try:
            outcomes = self.run(
                self.database.run(lambda s: unsubscribe(s, self.company, command, CONTEXT))
            ).outcomes
        except NotFound:
            assert contact not in self.people
            return
        for outcome in outcomes:
            key = (contact, outcome.type)
            expected = (
                UnsubscribeStatus.NEWLY_UNSUBSCRIBED
                if key in self.open
                else UnsubscribeStatus.PREVIOUSLY_UNSUBSCRIBED
            )
            assert outcome.status == expected
            self.open.discard(key)

    @invariant()
    def eligibility_matches_the_model(self) -> None:
        for contact in [*PHONES, *EMAILS]:
            is_phone = contact.startswith("+")
            contacts = ContactPoints.parse(
                contact if is_phone else None, None if is_phone else contact
            )
            try:
                found = self.run(
                    self.database.read(
                        lambda s, c=contacts: check_eligibility(s, self.company.id, c)
                    )
                )
            except NotFound:
                assert contact not in self.people
                continue
            assert {(contact, e.type): e.is_eligible for e in found} == {
                key: key in self.open for key in self.seen if key[0] == contact
            }

    @invariant()
    def records_are_append_only(self) -> None:
        count = self.run(
            self.database.inspect(
                lambda s: s.scalar(
                    select(func.count())
                    .select_from(SubscriptionRecord)
                    .where(SubscriptionRecord.company_id == self.company.id)
                )
            )
        )
        assert count == self.records


def test_consent_ledger_matches_its_model(migrated_sqlite: str) -> None:
    ConsentLedger.url = migrated_sqlite
    machine = ConsentLedger.TestCase
    machine.settings = settings(
        max_examples=25,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    machine().runTest()
