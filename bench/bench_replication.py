"""Replication figures, each beside its baseline in the same run:

- a fresh database's first seconds (no manual ANALYZE) against the same load once
  analysed;
- eligibility with reads on a hot standby against the same process kind reading the
  primary, and the share of reads the standby served;
- opt-out latency with a synchronous standby (committed with remote_apply) against
  the same opt-outs with no synchronous standby (remote_apply then costs nothing);
- a failover on a Patroni cluster: seconds from kill -9 of the leader node to the
  first successful write, and the requests answered 503 meanwhile.

Run: `.venv/bin/python bench/bench_replication.py [--seconds 10]` (scripts/bench
runs it too). On two cores the standby shares the CPU with everything else: the
standby figures show the split of reads, not a speed-up.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.replication import StandbyPair, fetchval

from bench.bench_core import analyze, subscribed_numbers
from bench.common import ROOT, Server, bench_env, bootstrap, free_port, print_table
from bench.failover import Cluster, run_failover
from bench.wrk import WrkResult, run_wrk


def row(name: str, result: WrkResult, note: str = "") -> dict[str, str]:
    return {
        "measure": name,
        "req/s": f"{result.per_second:,.0f}",
        "p50 ms": f"{result.p50_ms:.2f}",
        "p99 ms": f"{result.p99_ms:.2f}",
        "errors": str(result.errors + result.socket_errors),
        "note": note,
    }


def reads_served(server_url: str) -> dict[str, float]:
    metrics = httpx.get(f"{server_url}/metrics", timeout=5).text
    found = re.findall(r'^optledger_reads_total\{served_by="(\w+)"\} (\S+)$', metrics, re.M)
    return {where: float(count) for where, count in found}


def standby_figures(seconds: float, workdir: Path) -> list[dict[str, str]]:
    """Fresh against analysed, standby reads against primary reads, opt-out latency."""
    pair = StandbyPair(ROOT / ".pgbench-replica", free_port(), free_port())
    pair.start(apply_delay="0")
    rows: list[dict[str, str]] = []
    try:
        asyncio.run(fetchval(pair.primary_url, "CREATE DATABASE bench_replica"))
        url = pair.primary_url.rsplit("/", 1)[0] + "/bench_replica"
        standby_db = pair.standby_url.rsplit("/", 1)[0] + "/bench_replica"
        standby_db += "?target_session_attrs=standby"
        # Rate limits would answer 429 long before the database is the limit.
        env = bench_env(url, workdir, OPTLEDGER_DEFAULT_RATE_LIMIT="1000000")
        subprocess.run(
            [sys.executable, "-m", "optledger", "migrate"], env=env, check=True, capture_output=True
        )
        auth = f"Bearer {bootstrap(env)['api_key']}"

        # A fresh database: the server's first seconds, no manual ANALYZE.
        server = Server(env)
        server.start()
        try:
            fresh_subscribe = run_wrk(server.url, "subscribe", seconds, auth)
            listed = workdir / "subscribed.txt"
            listed.write_text("\n".join(subscribed_numbers(url)) + "\n")
            fresh_eligibility = run_wrk(server.url, "eligibility", seconds, auth, str(listed))
            analyze(url)
            subscribe = run_wrk(server.url, "subscribe", seconds, auth, "200000")
            eligibility = run_wrk(server.url, "eligibility", seconds, auth, str(listed))
        finally:
            server.stop()
        rows += [
            row("subscribe, fresh database", fresh_subscribe, "first seconds, no ANALYZE"),
            row("subscribe, analysed", subscribe, "baseline"),
            row("eligibility, fresh database", fresh_eligibility, "no ANALYZE"),
            row("eligibility, analysed, primary", eligibility, "baseline"),
        ]

        # Reads on the standby: the same kind of process with a read URL.
        asyncio.run(pair.make_synchronous())
        server = Server({**env, "OPTLEDGER_READ_DATABASE_URL": standby_db})
        server.start()
        try:
            on_standby = run_wrk(server.url, "eligibility", seconds, auth, str(listed))
            served = reads_served(server.url)
            share = served.get("standby", 0) / max(sum(served.values()), 1)
            rows.append(
                row("eligibility, reads on the standby", on_standby, f"{share:.1%} by the standby")
            )
            remote_apply = run_wrk(server.url, "unsubscribe", seconds, auth, str(listed))
        finally:
            server.stop()
        rows.append(row("unsubscribe, synchronous standby", remote_apply, "remote_apply"))

        # The same opt-outs with no synchronous standby: remote_apply waits for nobody.
        asyncio.run(pair.set_synchronous_names(""))
        server = Server(env)
        server.start()
        try:
            run_wrk(server.url, "subscribe", seconds, auth, "400000")
            again = workdir / "again.txt"
            again.write_text("\n".join(subscribed_numbers(url)) + "\n")
            local = run_wrk(server.url, "unsubscribe", seconds, auth, str(again))
        finally:
            server.stop()
        rows.append(row("unsubscribe, no synchronous standby", local, "baseline"))
    finally:
        pair.stop()
        shutil.rmtree(pair.root, ignore_errors=True)
    return rows


def failover_figures(workdir: Path) -> list[dict[str, str]]:
    """One failover under load on a Patroni cluster."""
    cluster = Cluster.start(ROOT / ".hacluster-bench", 55500)
    try:
        report = asyncio.run(run_failover(cluster, workdir))
    finally:
        cluster.stop()
        shutil.rmtree(ROOT / ".hacluster-bench", ignore_errors=True)
    seconds = report.seconds_to_first_write
    return [
        {
            "measure": "failover: kill -9 of the leader node to the first write",
            "seconds": f"{seconds:.1f}" if seconds is not None else "never",
            "503 meanwhile": str(report.answered_503_meanwhile),
            "answers": ", ".join(f"{k}: {v}" for k, v in sorted(report.statuses.items())),
            "opt-outs acknowledged / lost": f"{report.acknowledged_opt_outs} / "
            f"{report.lost_opt_outs}",
            "eligible after opt-out": str(report.eligible_after_opt_out),
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--skip-failover", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="optledger-bench-") as folder:
        workdir = Path(folder)
        print_table(
            "Replication: fresh database, standby reads, opt-out latency",
            standby_figures(args.seconds, workdir),
        )
        if not args.skip_failover:
            print_table("Failover (Patroni, synchronous_mode)", failover_figures(workdir))


if __name__ == "__main__":
    main()
