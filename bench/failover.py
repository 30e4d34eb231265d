"""A failover under load: `optledger serve` and `optledger worker` on a Patroni cluster
(`scripts/ha-cluster`) while subscribes, opt-outs and eligibility reads run; the
leader node is killed (-9, Patroni and PostgreSQL both) and the standby takes over.

`tests/storage/test_failover.py` asserts on the report; `bench/bench_replication.py` prints it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from bench.common import ROOT, Server, bench_env, bootstrap
from optledger.storage.urls import parse_postgres_url

HA_CLUSTER = ROOT / "scripts" / "ha-cluster"


@dataclass
class Cluster:
    """A running Patroni cluster and its two URLs."""

    folder: Path
    write_url: str
    read_url: str

    @classmethod
    def start(cls, folder: Path, base_port: int) -> Cluster:
        """Start (or find running) the cluster in `folder`."""
        printed = subprocess.run(
            [str(HA_CLUSTER), "start", str(folder), str(base_port)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        return cls(folder, printed[0], printed[1])

    def stop(self) -> None:
        """Stop every process of the cluster."""
        subprocess.run([str(HA_CLUSTER), "stop", str(self.folder)], check=False)

    def leader(self) -> str:
        """The name of the node Patroni holds as leader."""
        status = subprocess.run(
            [str(HA_CLUSTER), "status", str(self.folder)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        members = json.loads(status)["members"]
        return str(next(m["name"] for m in members if m["role"] == "leader"))

    def kill_node(self, name: str) -> None:
        """kill -9 a node's Patroni, then its PostgreSQL: the node is gone."""
        patroni = int((self.folder / f"{name}.pid").read_text())
        postmaster = int((self.folder / name / "data" / "postmaster.pid").read_text().split()[0])
        for pid in (patroni, postmaster):
            os.kill(pid, signal.SIGKILL)


@dataclass
class FailoverReport:
    """What clients saw around the kill."""

    statuses: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0
    seconds_to_first_write: float | None = None
    answered_503_meanwhile: int = 0
    acknowledged_opt_outs: int = 0
    lost_opt_outs: int = 0
    eligible_after_opt_out: int = 0
    reads: int = 0
    worker_resumed: bool = False

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


async def _ended_on_primary(write_url: str, phones: list[str]) -> int:
    connection = await asyncpg.connect(parse_postgres_url(write_url).dsn, timeout=10)
    try:
        found: int = await connection.fetchval(
            "SELECT count(DISTINCT contact_value) FROM subscription_records "
            "WHERE status = 'ENDED' AND contact_value = ANY($1::text[])",
            phones,
        )
        return found
    finally:
        await connection.close()


async def _messages_sent_after(write_url: str, moment: float) -> int:
    connection = await asyncpg.connect(parse_postgres_url(write_url).dsn, timeout=10)
    try:
        found: int = await connection.fetchval(
            "SELECT count(*) FROM messages WHERE status = 'sent' AND created_at > to_timestamp($1)",
            moment,
        )
        return found
    finally:
        await connection.close()


async def run_failover(
    cluster: Cluster, data_dir: Path, *, before: float = 4.0, after: float = 5.0
) -> FailoverReport:
    """Load the cluster through one server and one worker, kill the leader node `before`
    seconds in, and keep going until writes have come back for `after` seconds (at most
    60 s in all)."""
    env = bench_env(
        cluster.write_url,
        data_dir,
        OPTLEDGER_READ_DATABASE_URL=cluster.read_url,
        OPTLEDGER_RUN_WORKER_IN_PROCESS="false",
    )
    await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "optledger", "migrate"],
        env=env,
        check=True,
        capture_output=True,
    )
    company = await asyncio.to_thread(bootstrap, env, f"failover{int(time.time())}")
    headers = {"Authorization": f"Bearer {company['api_key']}"}
    server = Server(env)
    await asyncio.to_thread(server.start)
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "optledger",
        "worker",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(data_dir / "worker.log").open("wb"),
        cwd=ROOT,
    )
    report = FailoverReport()
    numbers = itertools.count(1)
    # A valid exchange (NANP exchanges never start with 0 or 1); a new company each run.
    prefix = "+1917844"
    opted_out: dict[str, float] = {}
    ready: list[str] = []
    killed_at: float | None = None
    killed_wall = 0.0
    stop_at = time.monotonic() + 60

    def phone() -> str:
        return f"{prefix}{next(numbers):04d}"

    try:
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=20) as client:

            async def request(method: str, path: str, **kwargs: object) -> httpx.Response | None:
                try:
                    response = await client.request(method, path, **kwargs)  # type: ignore[arg-type]
                except httpx.TransportError:
                    report.transport_errors += 1
                    return None
                report.count(response.status_code)
                if response.status_code == 503 and killed_at is not None:
                    report.answered_503_meanwhile += 1
                return response

            def wrote(response: httpx.Response | None, started: float) -> None:
                """Note the first write, sent after the kill, that succeeded."""
                if (
                    response is not None
                    and response.is_success
                    and killed_at is not None
                    and started > killed_at
                    and report.seconds_to_first_write is None
                ):
                    report.seconds_to_first_write = time.monotonic() - killed_at

            def done() -> bool:
                if time.monotonic() > stop_at:
                    return True
                if report.seconds_to_first_write is None or killed_at is None:
                    return False
                return time.monotonic() > killed_at + report.seconds_to_first_write + after

            async def subscribing() -> None:
                while not done():
                    number = phone()
                    body = {
                        "user": {"phone": number},
                        "locale": {"language": "en", "country": "US"},
                        "subscriptionType": "MARKETING",
                        "singleOptIn": True,
                    }
                    started = time.monotonic()
                    response = await request("POST", "/v1/subscriptions", json=body)
                    wrote(response, started)
                    if response is not None and response.status_code == 202:
                        ready.append(number)
                    else:
                        await asyncio.sleep(0.05)

            async def opting_out() -> None:
                while not done():
                    if not ready:
                        await asyncio.sleep(0.01)
                        continue
                    number = ready.pop(0)
                    body = {"user": {"phone": number}}
                    started = time.monotonic()
                    response = await request("POST", "/v1/subscriptions/unsubscribe", json=body)
                    wrote(response, started)
                    if response is not None and response.status_code == 202:
                        opted_out[number] = time.monotonic()
                    else:
                        await asyncio.sleep(0.05)

            async def reading() -> None:
                while not done():
                    candidates = list(opted_out.items())[-20:] or [(phone(), 0.0)]
                    for number, acknowledged_at in candidates:
                        started = time.monotonic()
                        response = await request(
                            "GET", "/v1/subscriptions", params={"phone": number}
                        )
                        report.reads += 1
                        if response is None or response.status_code != 200:
                            continue
                        eligible = any(
                            item["eligibility"]["isEligible"]
                            for item in response.json()["subscriptionEligibilities"]
                        )
                        if eligible and acknowledged_at and started > acknowledged_at:
                            report.eligible_after_opt_out += 1
                    await asyncio.sleep(0.01)

            async def killing() -> None:
                nonlocal killed_at, killed_wall
                await asyncio.sleep(before)
                await asyncio.to_thread(cluster.kill_node, cluster.leader())
                killed_at, killed_wall = time.monotonic(), time.time()

            await asyncio.gather(subscribing(), opting_out(), reading(), killing())
        report.acknowledged_opt_outs = len(opted_out)
        report.lost_opt_outs = len(opted_out) - await _ended_on_primary(
            cluster.write_url, list(opted_out)
        )
        # Opt-outs queue confirmation texts: the worker sends some made after the kill
        # (within 20 s; it polls every 0.2 s once the primary is back).
        for _ in range(100):
            if await _messages_sent_after(cluster.write_url, killed_wall):
                report.worker_resumed = True
                break
            await asyncio.sleep(0.2)
    finally:
        if worker.returncode is None:
            worker.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(worker.wait(), timeout=15)
        except TimeoutError:
            worker.kill()
        # Kept beside the worker's log, for a reader of a failed run.
        shutil.copy(server.log.name, data_dir / "server.log")
        await asyncio.to_thread(server.stop)
    return report
