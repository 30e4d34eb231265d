"""The user upsert flow: one person, their attributes and subscriptions, one unit of work.

The person is resolved from every identifier first (a conflict stops everything),
then attributes are set, then each subscription goes through the same `subscribe`
flow as the Subscribers API, so it has the same rules, messages and events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from optledger.core.attributes.profile import AttributeChanges, set_attributes
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.context import RequestContext
from optledger.core.errors import NotFound
from optledger.core.identity import Identity
from optledger.core.people import find_people, resolve_person
from optledger.core.sign_up_units import Locale
from optledger.core.subscriptions import SubscribeCommand, SubscribeOutcome, subscribe
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.people import PersonRow
from optledger.storage.sql import Connection


@dataclass(frozen=True)
class SubscriptionRequest:
    """One subscription to apply: a (type, channel) through a unit or a locale."""

    type: SubscriptionType
    channel: Channel
    unit_id: str | None = None
    locale: Locale | None = None
    single_opt_in: bool = False


@dataclass(frozen=True)
class UpsertUserCommand:
    """Who the user is, what to set on them, what they subscribe to."""

    identity: Identity
    attributes: AttributeChanges = field(default_factory=AttributeChanges)
    subscriptions: Sequence[SubscriptionRequest] = ()


@dataclass(frozen=True)
class UpsertUserResult:
    """The person, and an outcome per subscription applied."""

    person: PersonRow
    outcomes: list[SubscribeOutcome]


async def upsert_user(
    connection: Connection, company: CompanyRow, command: UpsertUserCommand, context: RequestContext
) -> UpsertUserResult:
    """Create or update one person, set attributes, apply subscriptions."""
    identity = command.identity
    person = await resolve_person(connection, company.id, identity.identifiers)
    await set_attributes(connection, company.id, person.id, command.attributes, context)
    outcomes: list[SubscribeOutcome] = []
    for request in command.subscriptions:
        result = await subscribe(
            connection,
            company,
            SubscribeCommand(
                contacts=identity.contacts,
                unit_id=request.unit_id,
                locale=request.locale,
                subscription_type=request.type,
                single_opt_in=request.single_opt_in,
                external_identifiers=identity.external,
                channels=[request.channel],
                person=person,
            ),
            context,
        )
        outcomes.extend(result.outcomes)
    return UpsertUserResult(person=person, outcomes=outcomes)


async def set_custom_attributes(
    connection: Connection,
    company_id: int,
    identity: Identity,
    properties: Mapping[str, Any],
    context: RequestContext,
) -> PersonRow:
    """Set custom attributes of a user named by a phone, an email or known identifiers.

    A user named only by external identifiers must exist already: those are linked
    to a phone or email through the identity API first.
    """
    named_by_contact = bool(identity.contacts.identifiers)
    if (
        identity.identifiers
        and not named_by_contact
        and not await find_people(connection, company_id, identity.identifiers)
    ):
        raise NotFound("no user has these identifiers; link them to a phone or email first")
    person = await resolve_person(connection, company_id, identity.identifiers)
    await set_attributes(
        connection, company_id, person.id, AttributeChanges(custom=properties), context
    )
    return person
