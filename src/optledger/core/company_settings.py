"""Per-company settings kept as JSON on the company (templates, provider credentials)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from optledger.storage.tables import Company


def set_company_setting(company: Company, path: Sequence[str], value: Any) -> None:
    """Set (or, with None, remove) one nested setting such as ("templates", "fr-CA", "HELP").

    The JSON column does not track changes inside the dict, so a new dict is assigned.
    """
    settings = copy.deepcopy(company.settings or {})
    node = settings
    for key in path[:-1]:
        node = node.setdefault(key, {})
    if value is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    company.settings = settings


def company_setting(company: Company, path: Sequence[str]) -> Any:
    """One nested setting, or None."""
    node: Any = company.settings or {}
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node
