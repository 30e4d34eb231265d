"""Plain streaming replication, without Patroni: reads on a hot standby, opt-outs that
no standby contradicts, and a promotion survived in place.

The standby replays `APPLY_DELAY` behind the primary, so a read made before an
opt-out has been applied there would still say "eligible": only committing opt-outs
with `synchronous_commit = remote_apply` keeps these tests green.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest
from bench.common import free_port

from optledger.observability.metrics import STANDBY_READS
from optledger.storage.database import OUTBOX_CHANNEL, Database
from optledger.storage.migrate import upgrade_database
from tests.conftest import Tenant, make_tenant, tenant_client
from tests.support.helpers import eligibility, subscribe_active, text_in, vibes_headers
from tests.support.replication import POSTGRES, ROOT, StandbyPair, fetchval, script, with_attrs

pytestmark = [pytest.mark.postgres, pytest.mark.replication]

# Long enough that a write acknowledged before the standby applies it is told apart
# from one that waited, on a machine busy with other tests too.
APPLY_DELAY_SECONDS = 2.5
MARKETING_TEXT = ("MARKETING", "TEXT")


@pytest.fixture(scope="module")
def pair() -> Iterator[StandbyPair]:
    pair = StandbyPair(ROOT / ".pgreplica", free_port(), free_port())
    pair.start(f"{int(APPLY_DELAY_SECONDS * 1000)}ms")
    yield pair
    pair.stop()


@pytest.fixture(scope="module")
async def served(pair: StandbyPair) -> AsyncIterator[tuple[httpx.AsyncClient, Tenant]]:
    """An app writing to both hosts' primary and reading the standby only."""
    await upgrade_database(pair.primary_url)
    await pair.make_synchronous()
    database = Database(pair.both_url, read_url=with_attrs(pair.standby_url, "standby"))
    tenant = await make_tenant(database)
    await pair.until_standby_caught_up()
    async with tenant_client(database, tenant) as client:
        yield client, tenant
    await database.dispose()


def standby_reads() -> float:
    value: float = STANDBY_READS.labels("standby")._value.get()
    return value


def primary_reads() -> float:
    value: float = STANDBY_READS.labels("primary")._value.get()
    return value


async def eligible_on_standby(client: httpx.AsyncClient, phone: str) -> bool:
    """Whether the standby says `phone` may get marketing texts (a subscriber the standby
    does not know yet is 404: not eligible either)."""
    before = standby_reads()
    response = await client.get("/v1/subscriptions", params={"phone": phone})
    assert standby_reads() == before + 1, "the read did not go to the standby"
    if response.status_code == 404:
        return False
    assert response.status_code == 200, response.text
    return any(
        (item["subscription"]["type"], item["subscription"]["channel"]) == MARKETING_TEXT
        and item["eligibility"]["isEligible"]
        for item in response.json()["subscriptionEligibilities"]
    )


async def until_eligible(client: httpx.AsyncClient, phone: str) -> None:
    deadline = time.monotonic() + 10 * APPLY_DELAY_SECONDS
    while not await eligible_on_standby(client, phone):
        assert time.monotonic() < deadline, "the subscription never reached the standby"
        await asyncio.sleep(0.1)


async def attentive_unsubscribe(client: httpx.AsyncClient, tenant: Tenant, phone: str) -> None:
    response = await client.post("/v1/subscriptions/unsubscribe", json={"user": {"phone": phone}})
    assert response.status_code == 202, response.text


async def texted_stop(client: httpx.AsyncClient, tenant: Tenant, phone: str) -> None:
    assert await text_in(client, tenant.key, phone, "STOP") == "opt_out"


async def legacy_unsubscribe(client: httpx.AsyncClient, tenant: Tenant, phone: str) -> None:
    response = await client.post(
        "/1/subscribers/unsubscribe",
        json={"phone": phone, "sendOptOutMessage": False},
        headers=tenant.legacy_headers,
    )
    assert response.status_code == 200, response.text


async def vibes_delete(client: httpx.AsyncClient, tenant: Tenant, phone: str) -> None:
    headers = vibes_headers(tenant)
    persons = f"/companies/{tenant.key}/mobiledb/persons"
    found = await client.get(persons, params={"mdn": phone.lstrip("+")}, headers=headers)
    assert found.status_code == 200, found.text
    person_key = found.json()["person_key"]
    records = await client.get(f"{persons}/{person_key}/subscriptions", headers=headers)
    list_id = records.json()[0]["subscription_list"]["id"]
    left = await client.delete(f"{persons}/{person_key}/subscriptions/{list_id}", headers=headers)
    assert left.status_code == 204, left.text


async def privacy_erasure(client: httpx.AsyncClient, tenant: Tenant, phone: str) -> None:
    response = await client.post("/v1/privacy/delete-request", json={"subjectPhone": phone})
    assert response.status_code == 200, response.text


OptOut = Callable[[httpx.AsyncClient, Tenant, str], Awaitable[None]]


@pytest.mark.parametrize(
    ("door", "phone"),
    [
        (attentive_unsubscribe, "+19148441001"),
        (texted_stop, "+19148441002"),
        (legacy_unsubscribe, "+19148441003"),
        (vibes_delete, "+19148441004"),
        (privacy_erasure, "+19148441005"),
    ],
    ids=["attentive", "stop", "legacy", "vibes", "erasure"],
)
async def test_no_standby_read_says_eligible_after_an_acknowledged_opt_out(
    served: tuple[httpx.AsyncClient, Tenant], door: OptOut, phone: str
) -> None:
    client, tenant = served
    started = time.monotonic()
    assert (await subscribe_active(client, phone)).status_code == 202
    # Other writes keep `synchronous_commit = on`: acknowledged before the delayed apply.
    assert time.monotonic() - started < APPLY_DELAY_SECONDS * 0.8
    await until_eligible(client, phone)

    started = time.monotonic()
    await door(client, tenant, phone)
    acknowledged_after = time.monotonic() - started

    # The very next read, on the standby, already sees the opt-out...
    assert not await eligible_on_standby(client, phone)
    # ...because the opt-out waited for the standby to apply it.
    assert acknowledged_after >= APPLY_DELAY_SECONDS * 0.9


async def test_a_failing_standby_falls_back_to_the_primary(pair: StandbyPair) -> None:
    unreachable = f"postgresql+asyncpg://optledger@127.0.0.1:{free_port()}/postgres"
    database = Database(pair.both_url, read_url=unreachable)
    tenant = await make_tenant(database)
    try:
        async with tenant_client(database, tenant) as client:
            assert (await subscribe_active(client, "+19148441010")).status_code == 202
            for _ in range(3):
                assert (await eligibility(client, "+19148441010"))[MARKETING_TEXT]
            ready = await client.get("/readyz")
            assert ready.json()["database"] == {"role": "primary", "reads": "unavailable"}
    finally:
        await database.dispose()


async def test_a_standby_out_of_the_synchronous_set_is_not_read(
    pair: StandbyPair, served: tuple[httpx.AsyncClient, Tenant]
) -> None:
    """Opt-outs do not wait for an asynchronous standby: its answers could be stale."""
    client, _tenant = served
    assert (await subscribe_active(client, "+19148441020")).status_code == 202
    await pair.set_synchronous_names("")
    try:
        await asyncio.sleep(1.2)  # the process asks the primary once a second
        before = (standby_reads(), primary_reads())
        assert (await eligibility(client, "+19148441020"))[MARKETING_TEXT]
        assert (standby_reads(), primary_reads()) == (before[0], before[1] + 1)
        assert (await client.get("/readyz")).json()["database"]["reads"] == "primary"
    finally:
        await pair.make_synchronous()
    await asyncio.sleep(1.2)
    before_standby = standby_reads()
    await eligibility(client, "+19148441020")
    assert standby_reads() == before_standby + 1


async def test_a_promotion_is_survived_without_a_restart(
    pair: StandbyPair, served: tuple[httpx.AsyncClient, Tenant]
) -> None:
    """Runs last: it ends the pair's primary."""
    client, tenant = served
    opted_out = [f"+1914844{2000 + n}" for n in range(5)]
    for phone in opted_out:
        assert (await subscribe_active(client, phone)).status_code == 202
        await attentive_unsubscribe(client, tenant, phone)
    assert (await client.get("/readyz")).json()["database"]["role"] == "primary"
    heard = asyncio.Event()
    stop_listening = await tenant.database.listen(OUTBOX_CHANNEL, heard.set)

    script(str(POSTGRES), "kill", str(pair.primary_dir))
    # No primary: writes are 503 with Retry-After, never 500.
    down = await subscribe_active(client, "+19148442100")
    assert down.status_code == 503, down.text
    assert down.headers["retry-after"]

    script(str(POSTGRES), "promote", str(pair.standby_dir))
    deadline = time.monotonic() + 30
    while (response := await subscribe_active(client, "+19148442101")).status_code == 503:
        assert time.monotonic() < deadline, "writes did not come back within 30 s"
        await asyncio.sleep(0.2)
    assert response.status_code == 202, response.text
    ready = await client.get("/readyz")
    assert ready.json()["database"]["role"] == "primary"

    # LISTEN followed the primary: a NOTIFY on the promoted standby is heard.
    try:
        deadline = time.monotonic() + 15
        heard.clear()
        while not heard.is_set():
            assert time.monotonic() < deadline, "the listener never reconnected"
            await fetchval(pair.standby_url, f"SELECT pg_notify('{OUTBOX_CHANNEL}', '')")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(heard.wait(), 0.5)
    finally:
        await stop_listening()

    # Every opt-out acknowledged before the crash is on the promoted standby.
    ended = await fetchval(
        pair.standby_url,
        "SELECT count(*) FROM subscription_records WHERE status = 'ENDED' AND contact_value IN "
        f"({', '.join(repr(phone) for phone in opted_out)})",
    )
    assert ended == len(opted_out)
