"""Webhook delivery benchmark: deliveries/s and consent-change-to-receipt latency on PostgreSQL.

Self-contained and bounded (about two and a half minutes here; every wait gives up
after 60 s), all load on 127.0.0.1. It makes a fresh database on the test PostgreSQL
server (`OPTLEDGER_BENCH_POSTGRES_URL`, else `OPTLEDGER_TEST_POSTGRES_URL`), registers
two Attentive-style webhooks (sms.subscribed, sms.unsubscribed) to a local receiver
through the product's code, pauses them, subscribes 5,000 numbers through
`optledger serve` (each fans out to both), then resumes one registration for one
`optledger worker` process and the other for two, timing from the resume (with a
NOTIFY, as a commit wakes workers) to the last receipt. Then, with one idle worker,
it subscribes 50 numbers a second for 10 s and times each 202 answer to its delivery.

Baselines, taken in the same run: raw POSTs of a delivery's size (body and signature
headers) to the same receiver at the worker's concurrency (200 in flight) from the
worker's HTTP client (aiohttp), and for comparison from httpx, which
deliveries used before; one POST round trip at a time.

The receiver runs in a process of its own (asyncio, uvloop and httptools, no
framework), so that it costs little CPU and shares no GIL with the measuring code.
It answers 200 at once, deduplicates by `webhook-id`, and keeps each first arrival's
time (CLOCK_MONOTONIC, one clock for every process of the machine).

    .venv/bin/python bench/bench_webhooks.py [--profile DIR]

`--profile DIR` samples the one-worker phase with py-spy into DIR/worker-1.raw.
The workers read the ordinary settings from the environment, so a setting can be
tried as is: `OPTLEDGER_WORKER_BATCH_SIZE=200 .venv/bin/python bench/bench_webhooks.py`.
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
from typing import Any

import aiohttp
import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.webhook_receiver import Received, verify  # noqa: E402

from bench.common import (  # noqa: E402
    DEFAULT_PG,
    Server,
    bench_env,
    drop_pg_database,
    free_port,
    percentile,
    timed_concurrently,
)
from optledger.bootstrap import bootstrap_company  # noqa: E402
from optledger.core.webhooks.registrations import (  # noqa: E402
    WebhookSpec,
    WebhookStyle,
    register_webhook,
    remove_webhook,
)
from optledger.delivery.worker import DeliveryPolicy  # noqa: E402
from optledger.storage.database import WEBHOOKS_CHANNEL, Database  # noqa: E402
from optledger.storage.migrate import upgrade_database  # noqa: E402
from optledger.storage.provision import create_postgres_database  # noqa: E402
from optledger.storage.sql import Query  # noqa: E402

ADMIN_URL = os.environ.get(
    "OPTLEDGER_BENCH_POSTGRES_URL", os.environ.get("OPTLEDGER_TEST_POSTGRES_URL", DEFAULT_PG)
)
DELIVERIES = 5000  # consent changes a throughput phase delivers
CONCURRENCY = DeliveryPolicy().webhook_max_in_flight  # sends in flight in one worker
SUBSCRIBE_CONCURRENCY = 16  # while the deliveries are made, before any worker runs
LATENCY_RATE = 50  # subscribes a second in the latency phase
LATENCY_SECONDS = 10
ROUND_TRIPS = 300  # sequential POSTs: the latency baseline
BASELINE_POSTS = 2000  # raw POSTs a client baseline sends
WITHIN = 60  # seconds any one wait may take before the run gives up on it
# `--profile DIR`: py-spy samples the single worker of the first phase into DIR.
PROFILE = Path(sys.argv[sys.argv.index("--profile") + 1]) if "--profile" in sys.argv else None


# The receiver, in its own process ------------------------------------------------------


class _ReceiverState:
    """What arrived: each distinct `webhook-id` once, with its phone and arrival time."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.seen: set[str] = set()
        self.arrivals: list[tuple[str, float]] = []
        self.sample: dict[str, Any] | None = None
        self.first: float | None = None
        self.last: float | None = None

    def handle(self, method: bytes, path: bytes, headers: dict[str, str], body: bytes) -> bytes:
        if method == b"POST" and path == b"/hooks":
            now = time.monotonic()
            self.requests += 1
            event_id = headers.get("webhook-id", "")
            if event_id not in self.seen:
                self.seen.add(event_id)
                phone = json.loads(body)["subscriber"]["phone"]
                self.arrivals.append((phone, now))
                self.first = self.first or now
                self.last = now
                if self.sample is None:
                    self.sample = {"headers": headers, "body": body.decode()}
            return b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
        if path == b"/reset":
            self.reset()
            return _json_answer({})
        if path == b"/stats":
            return _json_answer(
                {
                    "requests": self.requests,
                    "unique": len(self.seen),
                    "first": self.first,
                    "last": self.last,
                }
            )
        if path == b"/arrivals":
            return _json_answer({"arrivals": self.arrivals, "sample": self.sample})
        return b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"


def _json_answer(data: dict[str, Any]) -> bytes:
    body = json.dumps(data).encode()
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}"
    return head.encode() + b"\r\n\r\n" + body


class _Receiving(asyncio.Protocol):
    """One keep-alive connection: parse requests with httptools, answer each at once."""

    def __init__(self, state: _ReceiverState) -> None:
        import httptools

        self.state = state
        self.parser = httptools.HttpRequestParser(self)
        self.errors = (httptools.HttpParserError,)
        self.transport: Any = None
        self.url = b""
        self.headers: dict[str, str] = {}
        self.body = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # uvloop's, which is no asyncio.Transport subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except self.errors:
            self.transport.close()

    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = {}
        self.body = bytearray()

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode().lower()] = value.decode()

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        method = self.parser.get_method()
        self.transport.write(self.state.handle(method, self.url, self.headers, bytes(self.body)))
        if not self.parser.should_keep_alive():
            self.transport.close()


def run_receiver(port: int) -> None:
    """Serve on 127.0.0.1:`port` until SIGTERM, or until the bench that started it is gone."""
    import uvloop

    parent = os.getppid()

    async def orphaned(stop: asyncio.Event) -> None:
        while os.getppid() == parent:  # noqa: ASYNC110 - no event tells of it
            await asyncio.sleep(0.5)
        stop.set()

    async def serve() -> None:
        state = _ReceiverState()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: _Receiving(state), "127.0.0.1", port, backlog=1024
        )
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        watch = asyncio.create_task(orphaned(stop))
        async with server:
            await stop.wait()
        watch.cancel()

    uvloop.run(serve())


class ReceiverProcess:
    """The bench's handle on the receiver process: start, read, reset, stop."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.control = httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> ReceiverProcess:
        command = [sys.executable, __file__, "--receiver", str(self.port)]
        self.process = subprocess.Popen(command, cwd=ROOT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/stats", timeout=1).raise_for_status()
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("the receiver did not start")

    async def stats(self) -> dict[str, Any]:
        answer: dict[str, Any] = (await self.control.get("/stats")).json()
        return answer

    async def reset(self) -> None:
        await self.control.post("/reset")

    async def arrivals(self) -> tuple[dict[str, float], dict[str, Any] | None]:
        """Each phone's first delivery's arrival, and one delivery as it came."""
        data = (await self.control.get("/arrivals")).json()
        return {phone: at for phone, at in data["arrivals"]}, data["sample"]

    async def wait_for(self, count: int, *, partial: bool = False) -> dict[str, Any]:
        """Stats once `count` distinct deliveries have arrived; after `WITHIN` seconds,
        what has arrived if `partial` (a machine too busy still gives a figure), else
        TimeoutError."""
        deadline = time.monotonic() + WITHIN
        while (stats := await self.stats())["unique"] < count:
            if time.monotonic() > deadline:
                if partial and stats["unique"] > 1:
                    note(f"gave up waiting: {stats['unique']:,} of {count:,} arrived")
                    return stats
                raise TimeoutError(f"the receiver has {stats['unique']} of {count}")
            await asyncio.sleep(0.02)
        return stats

    async def stop(self) -> None:
        await self.control.aclose()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def note(message: str, began: float = time.monotonic()) -> None:
    """Progress on stderr, with the seconds since the bench started."""
    print(f"[{time.monotonic() - began:6.1f} s] {message}", file=sys.stderr, flush=True)


# The measuring process -----------------------------------------------------------------

PAUSE = Query("UPDATE webhooks SET paused_until = now() + interval '1 hour' WHERE id = :id")
# The NOTIFY wakes idle workers at once, as a commit that queued deliveries does.
RESUME = Query(
    f"""WITH resumed AS (UPDATE webhooks SET paused_until = NULL WHERE id = :id RETURNING id)
    SELECT pg_notify('{WEBHOOKS_CHANNEL}', '') FROM resumed"""
)
QUEUED_MESSAGES = Query("SELECT count(*) FROM messages WHERE status = 'queued'")
TRANSACTIONS = Query(
    """SELECT xact_commit + xact_rollback FROM pg_stat_database
    WHERE datname = current_database()"""
)
HEARTBEATS = Query("SELECT worker_id FROM worker_heartbeats")
DELIVERY_STATUSES = Query("SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status")


def phone(index: int) -> str:
    """Distinct valid US numbers: +1 415 2xx xxxx."""
    return f"+1415{200 + index // 10000:03d}{index % 10000:04d}"


def subscription(number: str) -> dict[str, Any]:
    return {
        "user": {"phone": number},
        "subscriptionType": "MARKETING",
        "locale": {"language": "en", "country": "US"},
        "singleOptIn": True,
    }


def env_for(url: str) -> dict[str, str]:
    return bench_env(
        url,
        Path(tempfile.gettempdir()),
        OPTLEDGER_ALLOW_HTTP_WEBHOOKS="1",
        OPTLEDGER_RUN_WORKER_IN_PROCESS="false",
        OPTLEDGER_DEFAULT_RATE_LIMIT="1000000",
    )


def start_workers(url: str, count: int) -> list[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "optledger", "worker"]
    return [subprocess.Popen(command, env=env_for(url), cwd=ROOT) for _ in range(count)]


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def cpu_seconds(processes: list[subprocess.Popen[bytes]]) -> float:
    """User and system CPU seconds the processes have used so far."""
    total = 0.0
    for process in processes:
        times = psutil.Process(process.pid).cpu_times()
        total += times.user + times.system
    return total


def profile(process: subprocess.Popen[bytes], name: str) -> subprocess.Popen[bytes]:
    """py-spy sampling `process` (100 Hz, on CPU only) until SIGINT, into PROFILE."""
    assert PROFILE is not None
    PROFILE.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    command = [str(spy), "record", "-r", "100", "-f", "raw", "-o", str(PROFILE / f"{name}.raw")]
    command += ["--pid", str(process.pid)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def baseline_delivery(index: int) -> tuple[bytes, dict[str, str]]:
    """A body and headers of the size a real Attentive delivery has."""
    payload = {
        "type": "sms.subscribed",
        "timestamp": 1_700_000_000_000 + index,
        "company": {"display_name": "bench", "company_id": "bench"},
        "subscriber": {"phone": phone(index), "email": None, "external_identifiers": {}},
        "subscription": {"type": "MARKETING", "channel": "TEXT"},
    }
    headers = {
        "content-type": "application/json",
        "user-agent": "optledger-webhooks/1",
        "webhook-id": f"evt_{index}",
        "webhook-timestamp": str(1_700_000_000 + index),
        "webhook-signature": "v1," + "s" * 44,
        "x-attentive-hmac-sha256": "0" * 64,
    }
    return json.dumps(payload, separators=(",", ":")).encode(), headers


async def baseline_throughput(receiver: ReceiverProcess) -> float:
    """Raw POSTs from the worker's HTTP client (aiohttp) at its concurrency."""
    await receiver.reset()
    requests = [baseline_delivery(index) for index in range(BASELINE_POSTS)]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as client:

        async def post(index: int) -> None:
            body, headers = requests[index]
            async with client.post(receiver.url, data=body, headers=headers) as response:
                response.raise_for_status()
                await response.read()

        seconds, _ = await timed_concurrently(BASELINE_POSTS, CONCURRENCY, post)
    await receiver.wait_for(BASELINE_POSTS)
    return BASELINE_POSTS / seconds


async def httpx_throughput(receiver: ReceiverProcess) -> float:
    """The same POSTs from httpx, the client deliveries used before (for comparison)."""
    await receiver.reset()
    requests = [baseline_delivery(index) for index in range(BASELINE_POSTS)]
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:

        async def post(index: int) -> None:
            body, headers = requests[index]
            response = await client.post(receiver.url, content=body, headers=headers)
            response.raise_for_status()

        seconds, _ = await timed_concurrently(BASELINE_POSTS, CONCURRENCY, post)
    await receiver.wait_for(BASELINE_POSTS)
    return BASELINE_POSTS / seconds


async def round_trips(receiver: ReceiverProcess) -> list[float]:
    """The latency baseline: one POST to the receiver and back, one after another."""
    async with httpx.AsyncClient() as client:
        timings = []
        for index in range(ROUND_TRIPS):
            body, headers = baseline_delivery(index)
            started = time.perf_counter()
            await client.post(receiver.url, content=body, headers=headers)
            timings.append(time.perf_counter() - started)
        return timings


async def subscribe_all(server: Server, api_key: str, numbers: list[str]) -> None:
    """Subscribe `numbers` through the API (from aiohttp, the leaner client): each fans
    out to the webhook."""
    headers = {"Authorization": f"Bearer {api_key}"}
    connector = aiohttp.TCPConnector(limit=SUBSCRIBE_CONCURRENCY)
    async with aiohttp.ClientSession(server.url, headers=headers, connector=connector) as client:

        async def send(index: int) -> None:
            body = subscription(numbers[index])
            async with client.post("/v1/subscriptions", json=body) as response:
                assert response.status == 202, await response.text()

        await timed_concurrently(len(numbers), SUBSCRIBE_CONCURRENCY, send)


async def transactions(database: Database) -> int:
    """Transactions the bench database has committed or rolled back so far."""
    count: int = await database.run(lambda c: c.fetchval(TRANSACTIONS))
    return count


async def pause(database: Database, webhook_id: int) -> None:
    """Hold a registration's deliveries back (its circuit breaker's pause)."""
    await database.run(lambda c: c.execute(PAUSE, {"id": webhook_id}))


async def wait_for_workers(database: Database, processes: list[subprocess.Popen[bytes]]) -> None:
    """Until each worker process has written its heartbeat (its loops run from then on)."""
    pids = {str(process.pid) for process in processes}
    deadline = time.monotonic() + WITHIN
    while True:
        rows = await database.run(lambda c: c.fetch(HEARTBEATS))
        if pids <= {row["worker_id"].rsplit(":", 1)[-1] for row in rows}:
            break
        if time.monotonic() > deadline:
            raise TimeoutError("the workers did not start")
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # their first claims find nothing; they wait for a NOTIFY


async def wait_until_idle(database: Database) -> None:
    """Until the workers have sent the welcome texts the subscribes queued."""
    deadline = time.monotonic() + WITHIN
    while await database.run(lambda c: c.fetchval(QUEUED_MESSAGES)):
        if time.monotonic() > deadline:
            raise TimeoutError("the workers did not empty the outbox")
        await asyncio.sleep(0.1)


async def worker_throughput(
    url: str,
    database: Database,
    receiver: ReceiverProcess,
    webhook_id: int,
    workers: int,
) -> dict[str, float]:
    """Deliveries/s with `workers` processes, from resuming the webhook to the last receipt.

    The deliveries wait behind the paused registration; the workers start, go idle
    (welcome texts sent), and the registration is resumed with a NOTIFY."""
    processes = start_workers(url, workers)
    profiler = None
    try:
        await wait_for_workers(database, processes)
        await wait_until_idle(database)
        await receiver.reset()
        profiler = profile(processes[0], f"worker-{workers}") if PROFILE and workers == 1 else None
        cpu_before = cpu_seconds(processes)
        transactions_before = await transactions(database)
        started = time.monotonic()
        await database.run(lambda c: c.fetchval(RESUME, {"id": webhook_id}))
        stats = await receiver.wait_for(DELIVERIES, partial=True)
        cpu = cpu_seconds(processes) - cpu_before
    finally:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=30)
        stop(processes)
    await asyncio.sleep(1.2)  # PostgreSQL publishes a backend's counts once a second
    committed = await transactions(database) - transactions_before
    delivered = stats["unique"]  # DELIVERIES unless the wait gave up
    return {
        "delivered": delivered,
        "per_second": delivered / (stats["last"] - started),
        "first_to_last_per_second": (delivered - 1) / (stats["last"] - stats["first"]),
        "first_after_ms": (stats["first"] - started) * 1000,
        "repeats": stats["requests"] - stats["unique"],
        # CPU the worker processes spent, per delivery and per second of the phase
        "cpu_ms_per_delivery": cpu * 1000 / delivered,
        "cpu_share": cpu / (stats["last"] - started),
        # Database transactions (claims, records, heartbeats) per delivery
        "transactions_per_delivery": committed / delivered,
    }


async def receipt_latency(
    url: str,
    database: Database,
    server: Server,
    receiver: ReceiverProcess,
    api_key: str,
    offset: int,
) -> list[float]:
    """Seconds from each subscribe's 202 to its delivery arriving, one idle worker,
    subscribes sent at a steady `LATENCY_RATE`."""
    count = LATENCY_RATE * LATENCY_SECONDS
    numbers = [phone(offset + index) for index in range(count)]
    accepted: dict[str, float] = {}
    processes = start_workers(url, 1)
    try:
        await wait_for_workers(database, processes)
        await receiver.reset()
        headers = {"Authorization": f"Bearer {api_key}"}
        async with aiohttp.ClientSession(server.url, headers=headers) as client:
            begin = time.monotonic()

            async def send(index: int) -> None:
                await asyncio.sleep(max(0.0, begin + index / LATENCY_RATE - time.monotonic()))
                number = numbers[index]
                async with client.post("/v1/subscriptions", json=subscription(number)) as answer:
                    accepted[number] = time.monotonic()  # its status line and headers are in
                    assert answer.status == 202, await answer.text()

            await asyncio.gather(*(send(index) for index in range(count)))
        await receiver.wait_for(count, partial=True)
    finally:
        stop(processes)
    arrived, _ = await receiver.arrivals()
    return [arrived[number] - accepted[number] for number in numbers if number in arrived]


async def main() -> None:
    began = time.perf_counter()
    load_before = os.getloadavg()[0]  # others' work on a shared machine skews every figure
    # SIGTERM unwinds like Ctrl-C: the finally blocks stop every process this started.
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    url = await create_postgres_database(ADMIN_URL, prefix="bench_webhooks")
    database = Database(url)
    receiver = ReceiverProcess()
    server = Server(env_for(url))
    throughput: dict[int, dict[str, float]] = {}
    try:
        await upgrade_database(url)
        boot = await database.run(lambda c: bootstrap_company(c, "bench", server_secret="bench"))
        company_id, api_key = boot.company.id, boot.api_key.token
        receiver.start()
        # Two registrations to the receiver: every consent change fans out to both, so
        # one round of subscribes makes the deliveries of both throughput phases.
        spec = WebhookSpec(url=receiver.url, events=["sms.subscribed", "sms.unsubscribed"])
        webhooks = [
            await database.run(
                lambda c: register_webhook(c, company_id, WebhookStyle.ATTENTIVE, spec)
            )
            for _ in range(2)
        ]
        note("baseline: raw POSTs to the receiver")
        baseline = await baseline_throughput(receiver)
        old_client = await httpx_throughput(receiver)
        server.start()
        for webhook_id in (webhook.id for webhook in webhooks):
            await pause(database, webhook_id)
        note(f"subscribing {DELIVERIES:,} numbers, the webhooks paused")
        await subscribe_all(server, api_key, [phone(index) for index in range(DELIVERIES)])
        for webhook, workers in zip(webhooks, (1, 2), strict=True):
            note(f"delivering one webhook's {DELIVERIES:,} with {workers} worker process(es)")
            throughput[workers] = await worker_throughput(
                url, database, receiver, webhook.id, workers
            )
            _, sample = await receiver.arrivals()
            assert sample is not None
            received = Received("/hooks", "POST", sample["headers"],
                                sample["body"].encode(), 200, 0.0)  # fmt: skip
            verify(received, webhook.signing_key)  # a real delivery, signed with its key
        # The latency phase delivers to the first registration only.
        second = webhooks[1].id
        await database.run(lambda c: remove_webhook(c, company_id, WebhookStyle.ATTENTIVE, second))
        note(f"latency: {LATENCY_RATE} subscribes/s for {LATENCY_SECONDS} s, one worker")
        latencies = await receipt_latency(url, database, server, receiver, api_key, DELIVERIES)
        trips = await round_trips(receiver)
        rows = await database.run(lambda c: c.fetch(DELIVERY_STATUSES))
        statuses = {row["status"]: row["n"] for row in rows}
    finally:
        server.stop()
        await receiver.stop()
        await database.dispose()
        await drop_pg_database(url)
    ms = 1000
    one, two = throughput[1], throughput[2]
    p99 = percentile(latencies, 0.99) * ms
    results: dict[str, Any] = {
        "deliveries_per_phase": DELIVERIES,
        "worker_batch_size": int(os.environ.get("OPTLEDGER_WORKER_BATCH_SIZE", "100")),
        "baseline_aiohttp_posts_per_s": round(baseline),
        "httpx_posts_per_s": round(old_client),
    }
    for name, phase in (("one_worker", one), ("two_workers", two)):
        results |= {
            f"{name}_deliveries_per_s": round(phase["per_second"]),
            f"{name}_ratio_to_baseline": round(phase["per_second"] / baseline, 2),
            f"{name}_delivered": f"{phase['delivered']:,} of {DELIVERIES:,}",
            f"{name}_first_after_ms": round(phase["first_after_ms"], 1),
            f"{name}_cpu_ms_per_delivery": round(phase["cpu_ms_per_delivery"], 2),
            f"{name}_cpu_share": f"{phase['cpu_share']:.0%} of a core",
            f"{name}_transactions_per_delivery": round(phase["transactions_per_delivery"], 2),
        }
    results |= {
        "repeated_deliveries": int(one["repeats"] + two["repeats"]),
        "latency_subscribes": f"{len(latencies)} of {LATENCY_RATE * LATENCY_SECONDS} arrived",
        "latency_rate_per_s": LATENCY_RATE,
        "receipt_latency_p50_ms": round(statistics.median(latencies) * ms, 1),
        "receipt_latency_p95_ms": round(percentile(latencies, 0.95) * ms, 1),
        "receipt_latency_p99_ms": round(p99, 1),
        "receipt_latency_max_ms": round(max(latencies) * ms, 1),
        "baseline_round_trip_p50_ms": round(statistics.median(trips) * ms, 2),
        "baseline_round_trip_p99_ms": round(percentile(trips, 0.99) * ms, 2),
        "target_1000_per_s_one_worker": "met" if one["per_second"] >= 1000 else "missed",
        "target_p99_under_250_ms": "met" if p99 < 250 else "missed",
        "delivery_statuses": statuses,
        "load_average_before_after": f"{load_before:.1f} / {os.getloadavg()[0]:.1f}",
        "wall_seconds": round(time.perf_counter() - began, 1),
    }
    for name, value in results.items():
        print(f"{name:34} {value}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    # Each latency in the order the subscribes were sent, to see a backlog build up.
    results["receipt_latencies_ms"] = [round(latency * ms, 1) for latency in latencies]
    (out / "webhooks.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--receiver"]:
        run_receiver(int(sys.argv[2]))
    else:
        try:
            asyncio.run(main())
        except (KeyboardInterrupt, asyncio.CancelledError):
            sys.exit("stopped; every process it started is stopped and its database dropped")
