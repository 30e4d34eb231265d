"""The vocabulary of consent and the state machine of a subscription record."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """Where messages go: consent is given per channel and contact point."""

    TEXT = "TEXT"
    EMAIL = "EMAIL"


class SubscriptionType(StrEnum):
    """What kind of messages a subscription is for."""

    MARKETING = "MARKETING"
    TRANSACTIONAL = "TRANSACTIONAL"
    CHECKOUT_ABANDONED = "CHECKOUT_ABANDONED"


class RecordStatus(StrEnum):
    """Where a subscription record stands; only ACTIVE may receive messages."""

    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    ENDED = "ENDED"
    DECLINED = "DECLINED"
    EXPIRED = "EXPIRED"


OPEN_STATUSES = frozenset({RecordStatus.PENDING, RecordStatus.ACTIVE})


class OptOutReason(StrEnum):
    """Why a record was ended (the Vibes vocabulary, used by every dialect)."""

    USER_OPT_OUT = "user_opt_out"
    DISCONNECT = "disconnect"
    LIST_ARCHIVED = "list_archived"
    BULK_OPT_OUT = "bulk_opt_out"
    FAILED_AT_CARRIER = "failed_at_carrier"
    OBSOLETE_CARRIER = "obsolete_carrier"
    PLATFORM_OPT_OUT = "platform_opt_out"
    KEYWORD_OPT_OUT = "keyword_opt_out"
    API_OPT_OUT = "api_opt_out"
    BUTTON_OPT_OUT = "button_opt_out"


class ConsentAction(StrEnum):
    """What can happen to a record."""

    CONFIRM = "confirm"
    DECLINE = "decline"
    EXPIRE = "expire"
    OPT_OUT = "opt_out"


class CreationStatus(StrEnum):
    """Outcome of asking for a subscription."""

    NEWLY_CREATED = "NEWLY_CREATED"
    PREVIOUSLY_CREATED = "PREVIOUSLY_CREATED"


class UnsubscribeStatus(StrEnum):
    """Outcome of asking to end a subscription."""

    NEWLY_UNSUBSCRIBED = "NEWLY_UNSUBSCRIBED"
    PREVIOUSLY_UNSUBSCRIBED = "PREVIOUSLY_UNSUBSCRIBED"


class IllegalTransition(Exception):
    """A record was asked to move where the state machine does not go."""


_TRANSITIONS: dict[tuple[RecordStatus, ConsentAction], RecordStatus] = {
    (RecordStatus.PENDING, ConsentAction.CONFIRM): RecordStatus.ACTIVE,
    (RecordStatus.PENDING, ConsentAction.DECLINE): RecordStatus.DECLINED,
    (RecordStatus.PENDING, ConsentAction.EXPIRE): RecordStatus.EXPIRED,
    # An opt-out wins over a prompt still waiting for its answer.
    (RecordStatus.PENDING, ConsentAction.OPT_OUT): RecordStatus.ENDED,
    (RecordStatus.ACTIVE, ConsentAction.OPT_OUT): RecordStatus.ENDED,
}


def next_status(current: RecordStatus, action: ConsentAction) -> RecordStatus:
    """The status after `action`; closed records never move again."""
    try:
        return _TRANSITIONS[(current, action)]
    except KeyError:
        raise IllegalTransition(f"{action} is not allowed on a {current} record") from None


def is_open(status: RecordStatus) -> bool:
    """Whether a record still holds (or waits for) consent."""
    return status in OPEN_STATUSES
