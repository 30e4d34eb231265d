"""Apply and check Alembic migrations from inside the application."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from optledger.storage.database import ensure_sqlite_folder
from optledger.storage.tables import Base
from optledger.storage.urls import create_engine

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")


def alembic_config(connection: Any = None) -> Config:
    """The packaged Alembic configuration, optionally bound to a sync connection."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_INI.parent / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade_database(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision`."""
    ensure_sqlite_folder(url)
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))
    finally:
        await engine.dispose()


def head_revision() -> str:
    """The latest migration this release ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def schema_drift(url: str) -> list[Any]:
    """Differences between the migrated database and the table definitions."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
