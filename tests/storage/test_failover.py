"""A Patroni cluster loses its leader node under load, and `serve` and `worker` carry
on by themselves: 503 meanwhile, never 500; writes back within 30 s; no acknowledged
opt-out lost; no read after an acknowledged opt-out says eligible."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.failover import Cluster, run_failover

pytestmark = [pytest.mark.ha]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    folder = ROOT / ".hacluster"
    stopped = Cluster(folder, "", "")
    stopped.stop()
    shutil.rmtree(folder, ignore_errors=True)
    # Below the ephemeral ports, which other tests' servers draw from meanwhile.
    cluster = Cluster.start(folder, int(os.environ.get("OPTLEDGER_TEST_HA_PORT", "29400")))
    yield cluster
    cluster.stop()


async def test_the_leader_node_dies_under_load(cluster: Cluster, tmp_path: Path) -> None:
    report = await run_failover(cluster, tmp_path)

    assert report.transport_errors == 0
    assert set(report.statuses) <= {200, 202, 404, 409, 503}, report.statuses
    assert report.seconds_to_first_write is not None
    assert report.seconds_to_first_write < 30
    assert report.acknowledged_opt_outs > 0
    assert report.lost_opt_outs == 0
    assert report.reads > 0
    assert report.eligible_after_opt_out == 0
    assert report.worker_resumed
