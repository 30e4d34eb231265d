"""A reference point, not a baseline of the machine: the least a subscribe can be in Python.

A raw ASGI handler (no framework, no validation, no rules) that parses the phone
number and writes what optledger writes for a new number on SQLite: the lookup
of the number, the person and its identifier, the record, its event, the
welcome message and its event, in one `BEGIN IMMEDIATE` transaction committed
off the event loop with `synchronous=FULL`. What it reaches beside the insert
loop is the most any Python server with this work per request can reach on the
machine. The database file is `OPTLEDGER_BENCH_MINIMAL_DB`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import phonenumbers
from starlette.types import Receive, Scope, Send

_TABLES = (
    "persons (id INTEGER PRIMARY KEY, person_key TEXT, created_at TEXT)",
    "identifiers (id INTEGER PRIMARY KEY, person_id INT, value TEXT UNIQUE, created_at TEXT)",
    "records (id INTEGER PRIMARY KEY, person_id INT, contact_value TEXT, status TEXT,"
    " created_at TEXT)",
    "events (id INTEGER PRIMARY KEY, type TEXT, record_id INT, data TEXT, created_at TEXT)",
    "messages (id INTEGER PRIMARY KEY, to_address TEXT, body TEXT, created_at TEXT)",
)


def _open() -> sqlite3.Connection:
    connection = sqlite3.connect(
        os.environ["OPTLEDGER_BENCH_MINIMAL_DB"], isolation_level=None, check_same_thread=False
    )
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    for table in _TABLES:
        connection.execute(f"CREATE TABLE IF NOT EXISTS {table}")
    return connection


_connection = _open()
_writer = asyncio.Lock()
_committer = ThreadPoolExecutor(max_workers=1)


def _write(phone: str, now: str) -> None:
    db = _connection
    db.execute("BEGIN IMMEDIATE")
    db.execute("SELECT person_id FROM identifiers WHERE value = ?", (phone,)).fetchall()
    person = db.execute(
        "INSERT INTO persons (person_key, created_at) VALUES (?, ?) RETURNING id",
        (uuid.uuid4().hex, now),
    ).fetchone()[0]
    db.execute(
        "INSERT INTO identifiers (person_id, value, created_at) VALUES (?, ?, ?)",
        (person, phone, now),
    )
    record = db.execute(
        "INSERT INTO records (person_id, contact_value, status, created_at)"
        " VALUES (?, ?, 'ACTIVE', ?) RETURNING id",
        (person, phone, now),
    ).fetchone()[0]
    for kind in ("subscription_created", "message_queued"):
        db.execute(
            "INSERT INTO events (type, record_id, data, created_at) VALUES (?, ?, ?, ?)",
            (kind, record, json.dumps({"unit": 1}), now),
        )
    db.execute(
        "INSERT INTO messages (to_address, body, created_at) VALUES (?, 'Welcome', ?)",
        (phone, now),
    )


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """`POST` anything with `{"user": {"phone": ...}}`: subscribe it, minimally."""
    if scope["type"] != "http":
        return
    if scope["method"] != "POST":
        # The readiness probe of `bench.baselines`.
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    number = phonenumbers.parse(json.loads(body)["user"]["phone"], "US")
    phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    now = datetime.now(UTC).isoformat(" ")
    async with _writer:
        try:
            _write(phone, now)
            await asyncio.get_running_loop().run_in_executor(
                _committer, _connection.execute, "COMMIT"
            )
        except BaseException:
            if _connection.in_transaction:
                _connection.execute("ROLLBACK")
            raise
    answer = json.dumps(
        {
            "user": {"phone": phone},
            "subscriptionResponses": [
                {
                    "subscription": {"type": "MARKETING", "channel": "TEXT"},
                    "subscriptionCreationStatus": "NEWLY_CREATED",
                }
            ],
        }
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(answer))]
    await send({"type": "http.response.start", "status": 202, "headers": headers})
    await send({"type": "http.response.body", "body": answer})
