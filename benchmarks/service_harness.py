"""What the service benchmarks share: a real ``distillguard serve`` process on a free loopback
port, the API keys it is started with, and the simulated log they send into it.

Used by ``bench_service.py`` (ingest rate, decision latency) and ``bench_time_to_detection.py``
(replay against ``evaluate --replay``); not a test.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

KEYS = {"ingest": "bench-ingest", "analyst": "bench-analyst", "admin": "bench-admin"}
# The CLI of the source tree the script runs from (PYTHONPATH=src), as a child process.
MAIN = "from distillguard.cli import main; raise SystemExit(main())"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh(path: Path) -> Path:
    """An empty workspace directory (a rerun must not count the last run's rows as duplicates)."""
    shutil.rmtree(path, ignore_errors=True)
    return path


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def headers(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}", "Content-Type": "application/x-ndjson"}


def simulated_log(preset: str, scale: float, work: Path, seed: int = 7) -> Path:
    """A simulator output directory for ``preset`` × ``scale`` (JSON Lines), made once under
    ``work`` and reused by later runs."""
    sim = work / f"sim-{preset}-{scale}"
    if not (sim / "requests.jsonl.gz").exists():
        from distillguard.simulate import simulate

        simulate(preset, scale=scale, seed=seed, out=sim, fmt="jsonl")
    return sim


class Server:
    """``distillguard serve`` in a child process with :data:`KEYS`; returns once it answers
    ``/healthz``. ``policy``: a policy file (default: the built-in policy)."""

    def __init__(
        self,
        workspace: Path,
        detect_interval: float,
        *,
        window_days: float = 60.0,
        policy: Path | None = None,
        startup_timeout: float = 180.0,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DISTILLGUARD_API_KEYS": ",".join(f"{r}:{k}" for r, k in KEYS.items())}
        cmd = [sys.executable, "-c", MAIN, "serve", "--workspace", str(workspace),
               "--port", str(self.port), "--detect-interval", str(detect_interval),
               "--window-days", str(window_days), "--log-level", "warning"]  # fmt: skip
        if policy is not None:
            cmd += ["--policy", str(policy)]
        self.proc = subprocess.Popen(cmd, env=env)
        deadline = time.monotonic() + startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("server did not start")

    def metric(self, name: str) -> float | None:
        """One unlabelled metric's value from ``GET /metrics``, or None if absent."""
        text = httpx.get(f"{self.url}/metrics", headers=headers("admin"), timeout=30).text
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        return None

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
