"""Subscribing, unsubscribing and asking who may be messaged."""

from optledger.core.subscriptions.contacts import ContactPoints
from optledger.core.subscriptions.eligibility import Eligibility, check_eligibility
from optledger.core.subscriptions.subscribe import (
    SubscribeCommand,
    SubscribeOutcome,
    SubscribeResult,
    subscribe,
)
from optledger.core.subscriptions.unsubscribe import (
    UnsubscribeCommand,
    UnsubscribeOutcome,
    unsubscribe,
)

__all__ = [
    "ContactPoints",
    "Eligibility",
    "SubscribeCommand",
    "SubscribeOutcome",
    "SubscribeResult",
    "UnsubscribeCommand",
    "UnsubscribeOutcome",
    "check_eligibility",
    "subscribe",
    "unsubscribe",
]
