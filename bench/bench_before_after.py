"""The hot paths of two versions of the code in one run: an earlier commit, and this tree.

A change that should not move the hot paths (a restructure, a refactor) is measured
against the commit before it on the same machine, in the same minutes: each round
starts both versions' servers in turn, each on a fresh database (migrated and
bootstrapped by that version's own CLI), and puts the same `wrk` load on it:

- `POST /v1/subscriptions`, a new number each request (a warm-up first, then ANALYZE);
- `GET /v1/subscriptions?phone=` (eligibility) over the numbers just subscribed;
- `GET` a Vibes person's subscriptions by person key;
- `POST /v1/subscriptions/unsubscribe` over the same numbers.

Rounds alternate the order (before, after; after, before) so that drift in the
machine's speed falls on both. The earlier commit is checked out in a temporary git
worktree and its servers import it through `PYTHONPATH`.

    .venv/bin/python -m bench.bench_before_after --before REV [--rounds 2] [--seconds 5]
        [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.bench_core import PERSON_KEYS, WARM_UP_OFFSET, analyze, first_column
from bench.bench_core import subscribed_numbers as numbers_subscribed
from bench.common import (
    DEFAULT_PG,
    ROOT,
    Server,
    bench_env,
    bootstrap,
    create_pg_database,
    drop_pg_database,
    print_table,
)
from bench.wrk import WrkResult, run_wrk

PHASES = ("subscribe", "eligibility", "vibes", "unsubscribe")


@contextlib.contextmanager
def checked_out(revision: str) -> Iterator[Path]:
    """A temporary worktree of `revision`, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="optledger-before-"))
    tree = folder / "tree"
    subprocess.run(
        ["git", "worktree", "add", "--detach", "-q", str(tree), revision], cwd=ROOT, check=True
    )
    try:
        yield tree
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
        shutil.rmtree(folder, ignore_errors=True)


def imported_from(env: dict[str, str]) -> Path:
    """The folder the `optledger` package is imported from under `env`."""
    found = subprocess.run(
        [sys.executable, "-c", "import optledger; print(optledger.__file__)"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()
    return Path(found).parent


def one_round(kind: str, source: Path, seconds: float, admin_url: str) -> dict[str, WrkResult]:
    """Every phase against the code in `source`, on a fresh database of `kind`."""
    workdir = Path(tempfile.mkdtemp(prefix=f"optledger-bench-{kind}-"))
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'optledger.db'}"
    else:
        url = asyncio.run(create_pg_database(admin_url))
    env = bench_env(url, workdir, PYTHONPATH=str(source))
    if imported_from(env) != source / "optledger":
        raise RuntimeError(f"servers would not import the code in {source}")
    try:
        subprocess.run(
            [sys.executable, "-m", "optledger", "migrate"], env=env, check=True, cwd=ROOT
        )
        boot = bootstrap(env)
        auth = f"Bearer {boot['api_key']}"
        login = boot["basic_auth"]
        basic = (
            "Basic "
            + base64.b64encode(f"{login['username']}:{login['password']}".encode()).decode()
        )
        server = Server(env)
        server.start()
        try:
            run_wrk(server.url, "subscribe", min(seconds, 3), auth, WARM_UP_OFFSET)
            analyze(url)
            results = {"subscribe": run_wrk(server.url, "subscribe", seconds, auth)}
            listed = workdir / "subscribed.txt"
            listed.write_text("\n".join(numbers_subscribed(url)) + "\n")
            results["eligibility"] = run_wrk(server.url, "eligibility", seconds, auth, str(listed))
            keys = workdir / "person_keys.txt"
            keys.write_text("\n".join(first_column(url, PERSON_KEYS)) + "\n")
            results["vibes"] = run_wrk(
                server.url, "vibes", seconds, basic, str(keys), boot["company_key"]
            )
            results["unsubscribe"] = run_wrk(server.url, "unsubscribe", seconds, auth, str(listed))
            return results
        finally:
            server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if kind != "sqlite":
            asyncio.run(drop_pg_database(url))


def summary(runs: list[WrkResult]) -> str:
    """The median rate and p99 of a phase's runs, and every run's rate."""
    rates = ", ".join(f"{run.per_second:,.0f}" for run in runs)
    rate = statistics.median(run.per_second for run in runs)
    p99 = statistics.median(run.p99_ms for run in runs)
    return f"{rate:,.0f} req/s, p99 {p99:.1f} ms ({rates})"


def compare(kind: str, before: Path, after: Path, rounds: int, seconds: float, admin: str) -> None:
    """Alternate the two versions for `rounds` rounds and print one table."""
    found: dict[str, dict[str, list[WrkResult]]] = {"before": {}, "after": {}}
    for index in range(rounds):
        order = [("before", before), ("after", after)]
        for label, source in order if index % 2 == 0 else reversed(order):
            for phase, result in one_round(kind, source, seconds, admin).items():
                found[label].setdefault(phase, []).append(result)
    rows = []
    for phase in PHASES:
        old, new = found["before"][phase], found["after"][phase]
        ratio = statistics.median(r.per_second for r in new) / statistics.median(
            r.per_second for r in old
        )
        rows.append(
            {
                "phase": phase,
                "before": summary(old),
                "after": summary(new),
                "after / before": f"{ratio:.2f}x",
            }
        )
    print_table(f"{kind}: one process, {rounds} rounds of {seconds:g} s phases", rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the earlier commit to measure against")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of both versions")
    parser.add_argument("--seconds", type=float, default=5, help="length of each load phase")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    admin = os.environ.get("OPTLEDGER_BENCH_POSTGRES_URL", DEFAULT_PG)
    with checked_out(args.before) as tree:
        for kind in ("sqlite", "postgresql"):
            if args.only in (None, kind):
                compare(kind, tree / "src", ROOT / "src", args.rounds, args.seconds, admin)


if __name__ == "__main__":
    main()
