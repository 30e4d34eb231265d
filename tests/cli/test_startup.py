"""The `optledger` command starts without loading the database stack: every run builds
the whole command tree (`--help` too), and the use cases, storage and the server load
only in the command that runs."""

from __future__ import annotations

import os
import subprocess
import sys

# What a command loads only when it uses them: the database, migrations, the server,
# settings, password hashing, phone numbers and the ledger's crypto. (Not pydantic:
# Typer itself loads it to parse a command's options.)
HEAVY = (
    "sqlalchemy",
    "alembic",
    "aiosqlite",
    "asyncpg",
    "uvicorn",
    "fastapi",
    "starlette",
    "pydantic_settings",
    "argon2",
    "phonenumbers",
    "cryptography",
    "optledger.storage",
    "optledger.settings",
    "optledger.core.use_cases",
)


def _loaded_after(code: str) -> list[str]:
    """The HEAVY modules loaded in a fresh interpreter after running `code`."""
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.splitlines()[-1:]


def test_building_the_command_loads_no_database_stack() -> None:
    assert _loaded_after("import optledger.cli.main") == ["[]"]


def test_help_of_every_command_group_loads_no_database_stack() -> None:
    code = (
        "from typer.testing import CliRunner\n"
        "from optledger.cli.main import app\n"
        "groups = [[group.name] for group in app.registered_groups]\n"
        "for args in ([], *groups, ['units', 'create'], ['export']):\n"
        "    result = CliRunner().invoke(app, [*args, '--help'])\n"
        "    assert result.exit_code == 0 and 'Usage' in result.output, (args, result.output)\n"
    )
    assert _loaded_after(code) == ["[]"]
