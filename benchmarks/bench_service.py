"""Service load benchmark on loopback. Prints figures; asserts nothing (not a test).

    PYTHONPATH=src python benchmarks/bench_service.py [--preset demo --scale 1.0 | --log FILE]
        [--batch-size 5000] [--concurrency 2] [--decision-rate 200] [--prefill N,N]
        [--dir /tmp/dg-bench-service]

1. Starts ``distillguard serve`` (a real uvicorn process) on a free loopback port.
2. Throughput: sends the whole log, pre-serialised as JSON Lines bodies of ``--batch-size`` rows
   in timestamp order, from ``--concurrency`` client threads as fast as the service acknowledges;
   meanwhile one thread asks ``GET /v1/accounts/{id}/decision`` ``--decision-rate`` times a
   second for accounts of the log and unknown ones. Reports sustained exchanges/s (acknowledged =
   durable), that nothing was lost (accepted == rows sent, and the service's own counter), the
   server's CPU seconds (so figures on a shared machine can be read per core), and decision
   latency percentiles under that load.
3. Runs ``POST /v1/detect`` once and reports its time, campaigns and decisions.

Time to detection (a paced replay against ``evaluate --replay``) is
``bench_time_to_detection.py``; both start the server with ``service_harness.Server``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow.compute as pc
from service_harness import Server, cpu_seconds, fresh, headers, simulated_log

from distillguard.service.replay import paced_batches, to_jsonl


def percentiles(xs: list[float]) -> dict[str, float]:
    if not xs:
        return {}
    a = np.array(xs) * 1000.0
    return {f"p{q}": round(float(np.percentile(a, q)), 2) for q in (50, 90, 99, 99.9)} | {
        "max": round(float(a.max()), 2),
        "n": len(xs),
    }


class DecisionPoller(threading.Thread):
    """Asks for decisions at a fixed rate; records each answer's latency."""

    def __init__(self, url: str, accounts: list[str], rate: float) -> None:
        super().__init__(daemon=True)
        self.url, self.accounts, self.rate = url, accounts, rate
        self.latencies: list[float] = []
        self.errors = 0
        self.stop_event = threading.Event()

    def run(self) -> None:
        rng = random.Random(0)
        with httpx.Client(timeout=10, headers=headers("ingest")) as client:
            nxt = time.perf_counter()
            while not self.stop_event.is_set():
                account = (
                    rng.choice(self.accounts) if rng.random() < 0.8 else f"unknown-{rng.random()}"
                )
                t = time.perf_counter()
                try:
                    r = client.get(f"{self.url}/v1/accounts/{account}/decision")
                    if r.status_code == 200:
                        self.latencies.append(time.perf_counter() - t)
                    else:
                        self.errors += 1
                except httpx.HTTPError:
                    self.errors += 1
                nxt += 1.0 / self.rate
                time.sleep(max(0.0, nxt - time.perf_counter()))


def prefill(workspace: Path, rows: int, chunk: int = 250_000) -> float:
    """Store ``rows`` synthetic exchanges (unique ids, 20 k accounts, a year before the log, ~350
    bytes of text each) straight into the workspace, so the benchmark measures ingest into a
    workspace that already holds that many rows. Returns the seconds it took."""
    import duckdb

    from distillguard.ingest.store import ensure_table

    t = time.perf_counter()
    workspace.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(workspace / "distillguard.duckdb"))
    try:
        ensure_table(con, "requests")
        for lo in range(0, rows, chunk):
            con.execute(
                "INSERT INTO requests BY NAME SELECT 'prefill-' || i AS request_id, "
                "TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(i * 10) AS timestamp, "
                "'pf-' || (i % 20000) AS account_id, 'pf-model' AS model, 'ok' AS status, "
                "'10.' || (i % 250) || '.0.0/24' AS ip_prefix, 64500 + i % 100 AS asn, "
                "repeat('prefill prompt ', 12) || i AS prompt, "
                "repeat('prefill response ', 10) || i AS response "
                f"FROM range({lo}, {min(rows, lo + chunk)}) r(i)"
            )
    finally:
        con.close()
    return time.perf_counter() - t


def prepare(args: argparse.Namespace, log: Path, work: Path) -> tuple[list[bytes], list[str]]:
    """The log as JSON Lines bodies in timestamp order, and its accounts (built once)."""
    t = time.perf_counter()
    bodies: list[bytes] = []
    accounts: set[str] = set()
    rows = 0
    for _, batch, _ in paced_batches([log], speed=0, batch_size=args.batch_size, workdir=work):
        bodies.append(to_jsonl(batch))
        accounts.update(pc.unique(batch["account_id"]).to_pylist())
        rows += batch.num_rows
    prep = time.perf_counter() - t
    print(f"prepared {rows:,} exchanges in {len(bodies)} bodies ({prep:.1f}s)", flush=True)
    return bodies, sorted(accounts)


def throughput(
    args: argparse.Namespace,
    prepared: tuple[list[bytes], list[str]],
    work: Path,
    stored: int = 0,
    detect: bool = True,
) -> dict[str, Any]:
    bodies, accounts = prepared
    rows = sum(b.count(b"\n") for b in bodies)
    ws = fresh(work / "ws-throughput")
    prefill_s = prefill(ws, stored) if stored else 0.0
    load_before = os.getloadavg()
    server = Server(ws, detect_interval=0)
    try:
        poller = DecisionPoller(server.url, sorted(accounts), args.decision_rate)
        idle_poller = DecisionPoller(server.url, sorted(accounts), args.decision_rate)
        idle_poller.start()
        time.sleep(3)
        idle_poller.stop_event.set()
        idle_poller.join()
        totals = {"accepted": 0, "duplicates": 0, "quarantined": 0}
        lock = threading.Lock()
        queue = list(reversed(bodies))
        latencies: list[float] = []

        def sender() -> None:
            with httpx.Client(timeout=300, headers=headers("ingest")) as client:
                while True:
                    with lock:
                        if not queue:
                            return
                        body = queue.pop()
                    t0 = time.perf_counter()
                    answer = client.post(f"{server.url}/v1/exchanges", content=body).json()
                    with lock:
                        latencies.append(time.perf_counter() - t0)
                        for k in totals:
                            totals[k] += int(answer[k])

        cpu0 = cpu_seconds(server.proc.pid)
        poller.start()
        start = time.perf_counter()
        threads = [threading.Thread(target=sender) for _ in range(args.concurrency)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - start
        poller.stop_event.set()
        poller.join()
        cpu = cpu_seconds(server.proc.pid) - cpu0
        metrics = httpx.get(f"{server.url}/metrics", headers=headers("admin")).text
        counted = next(
            float(line.split()[-1])
            for line in metrics.splitlines()
            if line.startswith("distillguard_exchanges_ingested_total")
        )
        load_after = os.getloadavg()
        t0 = time.perf_counter()
        det = (
            httpx.post(f"{server.url}/v1/detect", headers=headers("analyst"), timeout=3600).json()
            if detect
            else {}
        )
        detect_s = time.perf_counter() - t0
        after = DecisionPoller(server.url, sorted(accounts), args.decision_rate)
        after.start()
        time.sleep(3)
        after.stop_event.set()
        after.join()
    finally:
        server.stop()
    return {
        "stored_before": stored,
        "prefill_seconds": round(prefill_s, 1),
        "loadavg_before_ingest": [round(x, 2) for x in load_before],
        "loadavg_after_ingest": [round(x, 2) for x in load_after],
        "exchanges_sent": rows,
        "bodies": len(bodies),
        "batch_size": args.batch_size,
        "concurrency": args.concurrency,
        **totals,
        "service_counter": counted,
        "nothing_lost": totals["accepted"] == rows == counted,
        "seconds": round(elapsed, 2),
        "exchanges_per_second": round(rows / elapsed, 1),
        "server_cpu_seconds": round(cpu, 2),
        "exchanges_per_server_cpu_second": round(rows / cpu, 1) if cpu else None,
        "body_latency_ms": percentiles(latencies),
        "decision_latency_ms_while_ingesting": percentiles(poller.latencies),
        "decision_errors": poller.errors,
        "decision_latency_ms_idle": percentiles(idle_poller.latencies),
        "decision_latency_ms_after_detect": percentiles(after.latencies),
        "detect_seconds": round(detect_s, 2) if detect else None,
        "detect_summary": {
            k: det.get(k)
            for k in ("exchanges", "accounts", "campaigns", "flagged_accounts", "timings")
        },
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--log", type=Path, default=None)
    p.add_argument("--preset", default="demo")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--batch-size", type=int, default=5000)
    p.add_argument("--concurrency", type=int, default=2)
    p.add_argument("--decision-rate", type=float, default=200.0)
    p.add_argument("--dir", type=Path, default=None)
    p.add_argument(
        "--prefill",
        default="",
        help="comma-separated stored-row counts (e.g. 100000,500000,1000000): one throughput "
        "run per count, into a workspace pre-filled with that many synthetic exchanges "
        "(no detection run)",
    )
    args = p.parse_args()
    work = Path(args.dir or tempfile.mkdtemp(prefix="dg-bench-service-"))
    work.mkdir(parents=True, exist_ok=True)
    log = args.log
    if log is None:
        log = simulated_log(args.preset, args.scale, work) / "requests.jsonl.gz"
    out: dict[str, Any] = {"log": str(log), "cores": os.cpu_count(),
                           "loadavg_before": os.getloadavg()}  # fmt: skip
    if args.prefill:
        prepared = prepare(args, log, work)
        out["throughput_by_stored_rows"] = [
            throughput(args, prepared, work, stored=int(n), detect=False)
            for n in args.prefill.split(",")
        ]
    else:
        out["throughput"] = throughput(args, prepare(args, log, work), work)
    out["loadavg_after"] = os.getloadavg()
    print(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
