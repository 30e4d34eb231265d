"""The routes the OpenAPI document lists: what the route matrices walk."""

from __future__ import annotations

from optledger.app import create_app
from optledger.settings import Settings


def documented() -> dict[tuple[str, str], list[str]]:
    """Each documented route, as (method, path), with its tags."""
    spec = create_app(Settings(run_worker_in_process=False)).openapi()
    return {
        (method.upper(), path): operation.get("tags", [])
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    }
