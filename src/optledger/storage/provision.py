"""Creating empty PostgreSQL databases, for test suites and benchmarks."""

from __future__ import annotations

import uuid

import asyncpg
from sqlalchemy.engine import make_url


async def create_postgres_database(admin_url: str, prefix: str = "optledger") -> str:
    """Create a new, empty database on the server of `admin_url`; return its URL."""
    url = make_url(admin_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return url.set(database=name).render_as_string(hide_password=False)
