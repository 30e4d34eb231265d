"""Delivery benchmark: outbox throughput and subscribe-to-prompt latency on PostgreSQL.

Self-contained and bounded (well under two minutes), all load on 127.0.0.1: it makes a
fresh database on the test PostgreSQL server (`OPTLEDGER_BENCH_POSTGRES_URL`, else
`OPTLEDGER_TEST_POSTGRES_URL`), starts a local HTTP sink, `optledger worker` and
`optledger serve` processes, and measures against a baseline taken in the same run:
raw POSTs to the same sink at the same concurrency.

    .venv/bin/python bench/bench_delivery.py
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.sink import HttpSink  # noqa: E402

from bench.common import (  # noqa: E402
    DEFAULT_PG,
    Server,
    bench_env,
    percentile,
    timed_concurrently,
)
from optledger.bootstrap import bootstrap_company  # noqa: E402
from optledger.core.consent import Channel  # noqa: E402
from optledger.core.context import RequestContext  # noqa: E402
from optledger.core.messages import queue_message  # noqa: E402
from optledger.core.templates import MessageKind  # noqa: E402
from optledger.storage.database import Database  # noqa: E402
from optledger.storage.migrate import upgrade_database  # noqa: E402
from optledger.storage.provision import create_postgres_database  # noqa: E402
from optledger.storage.repositories.companies import company_by_id  # noqa: E402
from optledger.storage.sql import Connection  # noqa: E402

ADMIN_URL = os.environ.get(
    "OPTLEDGER_BENCH_POSTGRES_URL", os.environ.get("OPTLEDGER_TEST_POSTGRES_URL", DEFAULT_PG)
)
BATCH = 4000
CONCURRENCY = 32  # the worker's default number of sends in flight
SUBSCRIBES = 200


def env_for(url: str, sink: HttpSink) -> dict[str, str]:
    return bench_env(
        url,
        Path(tempfile.gettempdir()),
        OPTLEDGER_SMS_TRANSPORT="webhook",
        OPTLEDGER_SMS_WEBHOOK_URL=sink.url,
        OPTLEDGER_RUN_WORKER_IN_PROCESS="false",
    )


def optledger(url: str, sink: HttpSink, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "optledger", *args], env=env_for(url, sink))


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=15)


async def wait_for(sink: HttpSink, count: int, within: float = 60) -> float:
    """Seconds until the sink holds `count` deliveries."""
    started = time.perf_counter()
    while len(sink.received) < count:
        if time.perf_counter() - started > within:
            raise TimeoutError(f"sink has {len(sink.received)} of {count}")
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


async def baseline_throughput(sink: HttpSink) -> float:
    """Raw POSTs to the sink at the workers' concurrency: the ceiling of this machine."""
    payload = {"id": "x", "channel": "TEXT", "to": "+1", "body": "b", "kind": "HELP",
               "company_key": "bench", "locale": "en-US"}  # fmt: skip
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=CONCURRENCY)) as client:

        async def post(index: int) -> None:
            await client.post(sink.url, json={**payload, "id": str(index)})

        seconds, _ = await timed_concurrently(BATCH, CONCURRENCY, post)
        return BATCH / seconds


async def queue_batch(database: Database, company_id: int, offset: int) -> None:
    async def apply(connection: Connection) -> None:
        company = await company_by_id(connection, company_id)
        assert company is not None
        for index in range(BATCH):
            await queue_message(
                connection,
                company,
                RequestContext(source="bench"),
                channel=Channel.TEXT,
                to=f"+1415{offset + index:07d}",
                kind=MessageKind.HELP,
                locale="en-US",
            )

    await database.run(apply)


async def worker_throughput(
    url: str, database: Database, company_id: int, sink: HttpSink, workers: int, offset: int
) -> float:
    """Messages/s from commit of a batch to its last delivery, with `workers` processes."""
    processes = [optledger(url, sink, "worker") for _ in range(workers)]
    await asyncio.sleep(2.5)  # let them start and go idle
    already = len(sink.received)
    started = time.perf_counter()
    await queue_batch(database, company_id, offset)
    await wait_for(sink, already + BATCH)
    elapsed = time.perf_counter() - started
    stop(processes)
    return BATCH / elapsed


async def prompt_latency(url: str, sink: HttpSink, api_key: str) -> list[float]:
    """Seconds from each subscribe's 202 to its prompt arriving at the sink."""
    server = Server(env_for(url, sink))
    server.start()
    worker = optledger(url, sink, "worker")
    headers = {"Authorization": f"Bearer {api_key}"}
    latencies = []
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=headers) as client:
            for index in range(SUBSCRIBES):
                phone = f"+1914844{index:04d}"
                body = {"user": {"phone": phone}, "subscriptionType": "MARKETING",
                        "locale": {"language": "en", "country": "US"}}  # fmt: skip
                response = await client.post("/v1/subscriptions", json=body)
                accepted = time.perf_counter()
                assert response.status_code == 202, response.text
                # The sink lives in another thread; polling it is the simplest honest clock.
                while not (arrived := [d for d in sink.received[-50:] if d.payload["to"] == phone]):  # noqa: ASYNC110
                    await asyncio.sleep(0.001)
                latencies.append(arrived[0].at - accepted)
    finally:
        stop([worker])
        server.stop()
    return latencies


async def round_trips(sink: HttpSink) -> list[float]:
    """Baseline latency: one POST to the sink and back, sequentially."""
    async with httpx.AsyncClient() as client:
        timings = []
        for index in range(SUBSCRIBES):
            started = time.perf_counter()
            await client.post(sink.url, json={"id": str(index), "to": "+1", "company_key": "b"})
            timings.append(time.perf_counter() - started)
        return timings


async def main() -> None:
    began = time.perf_counter()
    url = await create_postgres_database(ADMIN_URL)
    await upgrade_database(url)
    database = Database(url)
    boot = await database.run(lambda s: bootstrap_company(s, "bench", server_secret="bench"))
    sink = HttpSink().start()
    try:
        baseline = await baseline_throughput(sink)
        one = await worker_throughput(url, database, boot.company.id, sink, 1, 0)
        two = await worker_throughput(url, database, boot.company.id, sink, 2, BATCH)
        latencies = await prompt_latency(url, sink, boot.api_key.token)
        trips = await round_trips(sink)
    finally:
        sink.stop()
        await database.dispose()
    ms = 1000
    results = {
        "batch": BATCH,
        "baseline_raw_posts_per_s": round(baseline),
        "one_worker_msgs_per_s": round(one),
        "two_workers_msgs_per_s": round(two),
        "prompt_latency_p50_ms": round(statistics.median(latencies) * ms, 1),
        "prompt_latency_p99_ms": round(percentile(latencies, 0.99) * ms, 1),
        "baseline_round_trip_p50_ms": round(statistics.median(trips) * ms, 2),
        "baseline_round_trip_p99_ms": round(percentile(trips, 0.99) * ms, 2),
        "wall_seconds": round(time.perf_counter() - began, 1),
    }
    for name, value in results.items():
        print(f"{name:32} {value}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "delivery.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
