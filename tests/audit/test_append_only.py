"""The trail is only ever appended to: no statement of the product changes or removes an
entry, an erasure leaves the entries as they were, and no entry holds a subscriber's
contact point."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import httpx

import optledger.storage.repositories as repositories
from optledger.core.use_cases.audit import AuditFilter, list_audit
from optledger.storage.sql import Query
from tests.conftest import Tenant
from tests.support.helpers import run_optledger

PHONE = "+19148440555"
EMAIL = "erased.person@example.com"
CHANGES_IT = re.compile(
    r"\b(UPDATE|DELETE\s+FROM|TRUNCATE(\s+TABLE)?|ALTER\s+TABLE|DROP\s+TABLE)\s+operator_audit\b",
    re.IGNORECASE,
)


def every_statement() -> list[str]:
    """The text of every named query of every repository, on both databases."""
    found = []
    for module_info in pkgutil.iter_modules(repositories.__path__):
        module = importlib.import_module(f"{repositories.__name__}.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, Query):
                found += [value.text, value.postgresql or ""]
    return found


def test_no_repository_statement_changes_or_removes_an_entry() -> None:
    statements = every_statement()
    assert any("INSERT INTO operator_audit" in text for text in statements)
    assert [text for text in statements if CHANGES_IT.search(text)] == []
    assert CHANGES_IT.search("DELETE FROM operator_audit WHERE id = :id")  # the check bites


async def test_an_erasure_leaves_the_trail_and_the_trail_never_held_the_subject(
    tenant: Tenant, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    path = tmp_path / "list.csv"
    path.write_text(f"phone,email,opted_in_at\n{PHONE},{EMAIL},2024-05-01T12:30:00Z\n")
    unit = tenant.unit_id("MARKETING")
    done = run_optledger(
        tenant.database, "import", str(path), "--unit", unit, "--company", tenant.key
    )
    assert done.returncode == 0, done.stdout + done.stderr
    archived = run_optledger(tenant.database, "units", "archive", unit, "--company", tenant.key)
    assert archived.returncode == 0, archived.stdout + archived.stderr
    wanted = AuditFilter(company_id=tenant.company_id)
    before = await list_audit(tenant.database, wanted)
    assert [entry.action for entry in before] == ["unit.archived", "import.started"]

    erased = await client.post(
        "/v1/privacy/delete-request", json={"subjectPhone": PHONE, "subjectEmail": EMAIL}
    )
    assert erased.status_code == 200, erased.text

    assert await list_audit(tenant.database, wanted) == before
    written = repr(before)
    for contact in (PHONE, PHONE.lstrip("+"), EMAIL):
        assert contact not in written
