"""Subscribing, unsubscribing and asking who may be messaged."""

from optledger.core.subscriptions.eligibility import (
    Eligibility,
    check_eligibility,
    check_eligibility_of_batch,
    check_eligibility_of_many,
    eligible_among,
)
from optledger.core.subscriptions.subscribe import (
    SubscribeCommand,
    SubscribeOutcome,
    SubscribeResult,
    subscribe,
)
from optledger.core.subscriptions.unsubscribe import (
    UnsubscribeCommand,
    UnsubscribeOutcome,
    UnsubscribeResult,
    unsubscribe,
)

__all__ = [
    "Eligibility",
    "SubscribeCommand",
    "SubscribeOutcome",
    "SubscribeResult",
    "UnsubscribeCommand",
    "UnsubscribeOutcome",
    "UnsubscribeResult",
    "check_eligibility",
    "check_eligibility_of_batch",
    "check_eligibility_of_many",
    "eligible_among",
    "subscribe",
    "unsubscribe",
]
