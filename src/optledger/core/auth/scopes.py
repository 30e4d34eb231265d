"""The scopes an API key can carry."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    """One permission of an API key."""

    SUBSCRIPTIONS_WRITE = "subscriptions:write"
    ATTRIBUTES_WRITE = "attributes:write"
    WEBHOOKS_WRITE = "webhooks:write"
    PRIVACY_REQUESTS_WRITE = "privacy_requests:write"
    IDENTITY_WRITE = "identity:write"
    INBOUND_WRITE = "inbound:write"
    MESSAGES_READ = "messages:read"


ALL_SCOPES: tuple[str, ...] = tuple(scope.value for scope in Scope)
