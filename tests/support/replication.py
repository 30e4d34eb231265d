"""Replicated PostgreSQL: a primary and a hot standby made with `pg_basebackup`
(`scripts/postgres`), for the replication tests and `bench/bench_replication.py`."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from optledger.storage.urls import parse_postgres_url

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = ROOT / "scripts" / "postgres"


def script(*args: str) -> str:
    """Run one of the repository's scripts; returns what it printed."""
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{args}: {result.stderr}"
    return result.stdout.strip()


def with_attrs(url: str, attrs: str) -> str:
    """`url` asking for `target_session_attrs=attrs`."""
    base = url.split("?", 1)[0]
    return f"{base}?target_session_attrs={attrs}"


async def fetchval(url: str, sql: str) -> object:
    """One value from the server of `url` (any role)."""
    connection = await asyncpg.connect(parse_postgres_url(with_attrs(url, "any")).dsn)
    try:
        return await connection.fetchval(sql)
    finally:
        await connection.close()


@dataclass
class StandbyPair:
    """A primary and its hot standby, in folders of their own under `root`."""

    root: Path
    primary_port: int
    standby_port: int
    primary_url: str = ""
    standby_url: str = ""

    @property
    def primary_dir(self) -> Path:
        return self.root / "primary"

    @property
    def standby_dir(self) -> Path:
        return self.root / "standby"

    @property
    def both_url(self) -> str:
        """The primary's URL in libpq's multi-host form: whichever of the two accepts writes."""
        hosts = f"127.0.0.1:{self.primary_port},127.0.0.1:{self.standby_port}"
        return f"postgresql+asyncpg://optledger@{hosts}/postgres?target_session_attrs=read-write"

    def start(self, apply_delay: str) -> None:
        """A fresh primary, and a standby streaming from it `apply_delay` behind."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        self.primary_url = script(
            str(POSTGRES), "start", str(self.primary_dir), str(self.primary_port)
        )
        self.standby_url = script(
            str(POSTGRES),
            "standby",
            str(self.primary_port),
            str(self.standby_dir),
            str(self.standby_port),
            "standby1",
            apply_delay,
        )

    async def set_synchronous_names(self, names: str) -> None:
        """Set the primary's `synchronous_standby_names` and reload it."""
        connection = await asyncpg.connect(parse_postgres_url(self.primary_url).dsn)
        try:
            await connection.execute(f"ALTER SYSTEM SET synchronous_standby_names = '{names}'")
            await connection.execute("SELECT pg_reload_conf()")
        finally:
            await connection.close()

    async def make_synchronous(self) -> None:
        """Commits on the primary wait for the standby from now on."""
        await self.set_synchronous_names("standby1")
        connection = await asyncpg.connect(parse_postgres_url(self.primary_url).dsn)
        try:
            for _ in range(200):
                state = await connection.fetchval(
                    "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'"
                )
                if state == "sync":
                    return
                await asyncio.sleep(0.05)
        finally:
            await connection.close()
        raise AssertionError("the standby never became synchronous")

    async def until_standby_caught_up(self) -> None:
        """Wait until the standby has replayed everything the primary wrote so far."""
        written = await fetchval(self.primary_url, "SELECT pg_current_wal_lsn()::text")
        for _ in range(400):
            behind = await fetchval(
                self.standby_url, f"SELECT pg_last_wal_replay_lsn() < '{written}'::pg_lsn"
            )
            if not behind:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the standby did not catch up")

    def stop(self) -> None:
        """Stop both servers (either may already be gone)."""
        for folder in (self.primary_dir, self.standby_dir):
            if folder.exists():
                subprocess.run([str(POSTGRES), "stop", str(folder)], check=False)
