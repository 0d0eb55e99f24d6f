"""An acknowledged batch survives kill -9 of a real server, and retrying everything after the
restart stores each exchange exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import KEY_SPEC, NDJSON, auth, free_port

MAIN = "from distillguard.cli import main; raise SystemExit(main())"


def _start(ws: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DISTILLGUARD_API_KEYS": KEY_SPEC}
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-c", MAIN, "serve", "--workspace", str(ws), "--port", str(port),
           "--detect-interval", "0", "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("server did not start")


@pytest.mark.slow
def test_acknowledged_batches_survive_kill_9_and_retries_store_each_row_once(
    tmp_path: Path, sim_body: bytes
) -> None:
    lines = sim_body.splitlines(keepends=True)
    bodies = [b"".join(lines[i : i + 500]) for i in range(0, len(lines), 500)]
    ws, port = tmp_path / "ws", free_port()
    url = f"http://127.0.0.1:{port}/v1/exchanges"
    headers = {**NDJSON, **auth("ingest")}
    proc = _start(ws, port)
    acked = 0
    two_acked = threading.Event()

    def send() -> None:
        nonlocal acked
        with httpx.Client(timeout=60) as client:
            for body in bodies:
                try:
                    r = client.post(url, content=body, headers=headers)
                except httpx.HTTPError:
                    return  # the server was killed mid-request: this batch was never acknowledged
                assert r.status_code == 200
                acked += r.json()["accepted"]
                if acked >= 1000:
                    two_acked.set()

    sender = threading.Thread(target=send)
    try:
        sender.start()
        assert two_acked.wait(120), "the server acknowledged nothing"
        os.kill(proc.pid, signal.SIGKILL)  # while later batches are still being sent
        proc.wait(30)
        sender.join(60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert acked >= 1000
    proc = _start(ws, port)
    try:
        totals = {"accepted": 0, "duplicates": 0, "quarantined": 0}
        with httpx.Client(timeout=60) as client:
            for body in bodies:
                answer = client.post(url, content=body, headers=headers).json()
                for k in totals:
                    totals[k] += answer[k]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert totals["duplicates"] >= acked  # everything acknowledged before the kill was kept
    assert totals["accepted"] + totals["duplicates"] == len(lines)
    assert totals["quarantined"] == 0
