"""Per-company settings kept as JSON on the company (templates, provider credentials)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from optledger.storage.repositories.companies import save_settings
from optledger.storage.sql import Connection

# The company's Twilio auth token, which inbound webhooks from Twilio are signed with.
TWILIO_AUTH_TOKEN = ("twilio", "auth_token")


def with_setting(settings: Mapping[str, Any], path: Sequence[str], value: Any) -> dict[str, Any]:
    """A copy of `settings` with one nested setting such as ("templates", "fr-CA", "HELP")
    set, or removed when `value` is None."""
    changed = copy.deepcopy(dict(settings))
    node = changed
    for key in path[:-1]:
        node = node.setdefault(key, {})
    if value is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return changed


async def set_company_setting(
    connection: Connection,
    company_id: int,
    settings: Mapping[str, Any],
    path: Sequence[str],
    value: Any,
) -> None:
    """Store one changed setting; every process's cached catalog reloads."""
    await save_settings(connection, company_id, with_setting(settings, path, value))


def company_setting(settings: Mapping[str, Any], path: Sequence[str]) -> Any:
    """One nested setting, or None."""
    node: Any = settings or {}
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node
