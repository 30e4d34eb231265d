"""An acknowledged opt-out survives the server being killed right after the 202."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

PHONE = "+19148440001"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "optledger", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        # Its own server answering, not another process's on a port taken meanwhile.
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("server did not start")


def test_opt_out_acknowledged_then_sigkill_is_kept(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "OPTLEDGER_DATA_DIR": str(tmp_path),
        "OPTLEDGER_SECRET_KEY": "crash-test",
        "OPTLEDGER_LOG_LEVEL": "WARNING",
    }
    env.pop("OPTLEDGER_DATABASE_URL", None)
    boot = subprocess.run(
        [sys.executable, "-m", "optledger", "bootstrap", "--json"],
        env=env,
        check=True,
        capture_output=True,
    )
    headers = {"Authorization": f"Bearer {json.loads(boot.stdout)['api_key']}"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    server = start_server(env, port)
    try:
        subscribed = httpx.post(
            f"{url}/v1/subscriptions",
            json={
                "user": {"phone": PHONE},
                "locale": {"language": "en", "country": "US"},
                "subscriptionType": "MARKETING",
                "singleOptIn": True,
            },
            headers=headers,
        )
        assert subscribed.status_code == 202
        opted_out = httpx.post(
            f"{url}/v1/subscriptions/unsubscribe", json={"user": {"phone": PHONE}}, headers=headers
        )
        assert opted_out.status_code == 202
    finally:
        # No graceful shutdown: whatever was acknowledged must already be on disk.
        server.send_signal(signal.SIGKILL)
        server.wait()

    # On a fresh port: another test's server may have taken the old one meanwhile.
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(env, port)
    try:
        eligibility = httpx.get(f"{url}/v1/subscriptions", params={"phone": PHONE}, headers=headers)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)
    assert eligibility.status_code == 200
    [item] = eligibility.json()["subscriptionEligibilities"]
    assert item["eligibility"]["isEligible"] is False
