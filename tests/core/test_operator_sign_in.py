"""An operator's sign-in: the password checked with argon2, failures throttled per name
and per address with a growing wait, counted in the database for every process."""

from __future__ import annotations

from datetime import timedelta

import pytest

from optledger.core.errors import RateLimited, Unauthorized
from optledger.core.operators.sign_in import (
    ThrottlePolicy,
    forget_old_sign_in_failures,
    sign_in,
    throttle_keys,
)
from optledger.storage.clock import utcnow
from optledger.storage.database import Database
from optledger.storage.repositories.operators import operator_named
from optledger.storage.repositories.sign_in_failures import failures_of
from tests.support.operator_helpers import PASSWORD, make_operator

POLICY = ThrottlePolicy(free_per_name=3, free_per_address=6)


def test_the_wait_doubles_after_the_free_failures_up_to_a_cap() -> None:
    waits = [POLICY.wait_after(failures, 3).total_seconds() for failures in range(1, 8)]
    assert waits == [0, 0, 1, 2, 4, 8, 16]
    assert POLICY.wait_after(10_000, 3) == POLICY.longest_wait


async def test_the_password_is_kept_as_an_argon2_hash(database: Database) -> None:
    operator = await make_operator(database)
    stored = await database.read(lambda connection: operator_named(connection, operator.name))
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    signed_in = await sign_in(database, operator.name.upper(), PASSWORD, "10.0.0.1")
    assert signed_in.name == operator.name


async def test_failures_make_the_name_wait_and_success_forgets_them(database: Database) -> None:
    operator = await make_operator(database)
    now = utcnow()
    for _ in range(3):
        with pytest.raises(Unauthorized):
            await sign_in(database, operator.name, "wrong", "10.0.0.2", now=now, policy=POLICY)
    # Now even the right password is not checked until the wait is over...
    with pytest.raises(RateLimited) as limited:
        await sign_in(database, operator.name, PASSWORD, "10.0.0.3", now=now, policy=POLICY)
    assert 0 < limited.value.retry_after <= 1
    # ...and then it is, and the name starts over.
    later = now + timedelta(seconds=1.5)
    await sign_in(database, operator.name, PASSWORD, "10.0.0.3", now=later, policy=POLICY)
    with pytest.raises(Unauthorized):
        await sign_in(database, operator.name, "wrong", "10.0.0.3", now=later, policy=POLICY)


async def test_the_wait_grows_with_each_failure_after_it(database: Database) -> None:
    operator = await make_operator(database)
    now = utcnow()
    for failures in range(1, 6):
        if failures > 1:  # each attempt waits as long as it must, then fails again
            now += POLICY.wait_after(failures - 1, POLICY.free_per_name)
        with pytest.raises(Unauthorized):
            await sign_in(database, operator.name, "wrong", None, now=now, policy=POLICY)
    with pytest.raises(RateLimited) as limited:
        await sign_in(database, operator.name, PASSWORD, None, now=now, policy=POLICY)
    assert limited.value.retry_after == pytest.approx(4, abs=0.01)
    # A run of failures is forgotten after an hour without one.
    await sign_in(database, operator.name, PASSWORD, None, now=now + timedelta(hours=2))


async def test_one_address_guessing_many_names_waits_for_all_of_them(database: Database) -> None:
    operator = await make_operator(database)
    now = utcnow()
    for guess in range(6):
        with pytest.raises(Unauthorized):
            await sign_in(database, f"nobody-{guess}", PASSWORD, "10.0.0.9", now=now, policy=POLICY)
    with pytest.raises(RateLimited):
        await sign_in(database, operator.name, PASSWORD, "10.0.0.9", now=now, policy=POLICY)
    # The operator, from elsewhere, is not held back by that address.
    await sign_in(database, operator.name, PASSWORD, "10.0.0.10", now=now, policy=POLICY)


async def test_every_process_counts_the_same_failures(database: Database) -> None:
    operator = await make_operator(database)
    other_process = Database(database.url)
    now = utcnow()
    try:
        for handle in (database, other_process, database):
            with pytest.raises(Unauthorized):
                await sign_in(handle, operator.name, "wrong", None, now=now, policy=POLICY)
        with pytest.raises(RateLimited):
            await sign_in(other_process, operator.name, PASSWORD, None, now=now, policy=POLICY)
    finally:
        await other_process.dispose()


async def test_housekeeping_forgets_counts_nobody_waits_on(database: Database) -> None:
    long_ago = utcnow() - timedelta(hours=3)
    with pytest.raises(Unauthorized):
        await sign_in(database, "forgotten-guess", "wrong", None, now=long_ago)
    keys = throttle_keys("forgotten-guess", None)
    assert await database.read(lambda connection: failures_of(connection, keys))
    assert await forget_old_sign_in_failures(database) >= 1
    assert not await database.read(lambda connection: failures_of(connection, keys))


async def test_a_name_no_operator_could_have_is_refused_like_any_other(database: Database) -> None:
    for name in ("nul\x00name", "x" * 500, ""):
        with pytest.raises(Unauthorized):
            await sign_in(database, name, PASSWORD, "10.0.0.11")
