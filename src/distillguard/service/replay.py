"""``distillguard replay LOG --url URL --speed X``: stream a request log into a running service.

Any format the ingest adapters read. Rows are sorted by timestamp (in a scratch DuckDB table, so
a log larger than memory still works), sent as JSON Lines to ``POST /v1/exchanges`` in batches,
and paced so the log's clock runs ``X`` times faster than the wall clock (``--speed 0``: as fast
as the service takes them). A batch that fails on the network or with a 5xx is re-sent as is:
ingest is idempotent on request_id, so a retry never stores a row twice.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from distillguard.errors import ConfigError, DistillguardError
from distillguard.ingest.store import load_requests
from distillguard.schema import REQUEST_SCHEMA

HELP = "stream a request log into a running service"
KEY_ENV = "DISTILLGUARD_API_KEY"
TICK = 0.25  # wall seconds of log time per paced batch at most


@dataclass
class ReplayStats:
    """What a replay sent and what the service answered."""

    rows_sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    quarantined_locally: int = 0
    batches: int = 0
    retries: int = 0
    seconds: float = 0.0
    batch_latencies: list[float] = field(default_factory=list, repr=False)

    @property
    def rate(self) -> float:
        return self.rows_sent / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, object]:
        d = asdict(self)
        d.pop("batch_latencies")
        d["seconds"] = round(self.seconds, 3)
        d["exchanges_per_second"] = round(self.rate, 1)
        return d


def to_jsonl(batch: pa.Table) -> bytes:
    """Schema rows -> JSON Lines bytes with RFC 3339 timestamps (vectorised, in polars)."""
    frame = pl.from_arrow(batch)
    assert isinstance(frame, pl.DataFrame)
    frame = frame.with_columns(
        pl.col(pl.Datetime).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
    )
    return frame.write_ndjson().encode()


def paced_batches(
    sources: Sequence[str | Path],
    *,
    speed: float,
    batch_size: int,
    fmt: str | None = None,
    workdir: Path | None = None,
) -> Iterator[tuple[float, pa.Table, int]]:
    """``(due, rows, quarantined_so_far)``: time-ordered batches, each due ``due`` wall seconds
    after the start (0 for all when ``speed`` is 0)."""
    with tempfile.TemporaryDirectory(dir=workdir, prefix=".replay-") as tmp:
        con = duckdb.connect(str(Path(tmp) / "replay.duckdb"))
        try:
            stats = load_requests(con, sources, table="replay", fmt=fmt, temp=True)
            cols = ", ".join(f'"{c}"' for c in REQUEST_SCHEMA.names)
            reader = con.sql(
                f"SELECT {cols} FROM replay ORDER BY timestamp, request_id"
            ).to_arrow_reader(batch_size)
            t0: float | None = None
            for rb in reader:
                table = pa.Table.from_batches([rb])
                if table.num_rows == 0:
                    continue
                if speed <= 0:
                    yield 0.0, table, stats.rows_quarantined
                    continue
                ts = table["timestamp"].cast(pa.int64()).to_numpy() / 1e6
                if t0 is None:
                    t0 = float(ts[0])
                due = (ts - t0) / speed
                ticks = np.floor(due / TICK).astype(np.int64)
                cuts = np.flatnonzero(np.diff(ticks)) + 1
                for lo, hi in zip(
                    np.r_[0, cuts].tolist(), np.r_[cuts, len(ticks)].tolist(), strict=True
                ):
                    yield float(due[lo]), table.slice(lo, hi - lo), stats.rows_quarantined
        finally:
            con.close()


def replay(
    sources: Sequence[str | Path],
    url: str,
    *,
    key: str | None = None,
    speed: float = 0.0,
    batch_size: int = 5000,
    concurrency: int = 2,
    fmt: str | None = None,
    retries: int = 5,
    timeout: float = 60.0,
    on_batch: Callable[[ReplayStats], None] | None = None,
) -> ReplayStats:
    """Send ``sources`` to the service at ``url``; return the totals. Raises
    :class:`DistillguardError` when the service refuses a batch (4xx) or stays unreachable."""
    import httpx

    if batch_size < 1 or concurrency < 1 or speed < 0:
        raise ConfigError("--batch-size and --concurrency must be >= 1 and --speed >= 0")
    endpoint = url.rstrip("/") + "/v1/exchanges"
    headers = {"Content-Type": "application/x-ndjson"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    stats = ReplayStats()
    client = httpx.Client(timeout=timeout, headers=headers)

    def send(body: bytes) -> tuple[dict[str, int], float, int]:
        tries = 0
        while True:
            t = time.perf_counter()
            try:
                r = client.post(endpoint, content=body)
                if r.status_code < 500:
                    if r.status_code >= 400:
                        detail = r.text[:200].replace("\n", " ")
                        raise DistillguardError(
                            f"service refused a batch: {r.status_code} {detail}"
                        )
                    return r.json(), time.perf_counter() - t, tries
            except httpx.TransportError as exc:
                if tries >= retries:
                    raise DistillguardError(f"service unreachable at {endpoint}: {exc}") from exc
            if tries >= retries:
                raise DistillguardError(f"service failed a batch {retries + 1} times")
            tries += 1
            time.sleep(min(0.2 * 2**tries, 5.0))

    def collect(fut: Future[tuple[dict[str, int], float, int]]) -> None:
        answer, latency, tries = fut.result()
        stats.accepted += int(answer.get("accepted", 0))
        stats.duplicates += int(answer.get("duplicates", 0))
        stats.quarantined += int(answer.get("quarantined", 0))
        stats.retries += tries
        stats.batches += 1
        stats.batch_latencies.append(latency)
        if on_batch is not None:
            on_batch(stats)

    start = time.perf_counter()
    pending: set[Future[tuple[dict[str, int], float, int]]] = set()
    try:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for due, rows, bad in paced_batches(
                sources, speed=speed, batch_size=batch_size, fmt=fmt
            ):
                stats.quarantined_locally = bad
                wait_for = due - (time.perf_counter() - start)
                if wait_for > 0:
                    time.sleep(wait_for)
                while len(pending) >= concurrency:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for f in done:
                        collect(f)
                stats.rows_sent += rows.num_rows
                pending.add(pool.submit(send, to_jsonl(rows)))
            for f in pending:
                collect(f)
    finally:
        client.close()
    stats.seconds = time.perf_counter() - start
    return stats


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sources", nargs="+", metavar="LOG", help="log files or directories")
    parser.add_argument("--url", required=True, help="service base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="log seconds per wall second; 0 = as fast as possible",
    )
    parser.add_argument("--key", default=None, help=f"ingest API key (default: ${KEY_ENV})")
    parser.add_argument("--batch-size", type=int, default=5000, help="rows per request at most")
    parser.add_argument("--concurrency", type=int, default=2, help="requests in flight")
    parser.add_argument("--format", dest="fmt", default=None, help="override format detection")


def run(args: argparse.Namespace) -> int:
    key = args.key or os.environ.get(KEY_ENV)
    stats = replay(
        args.sources,
        args.url,
        key=key,
        speed=args.speed,
        batch_size=args.batch_size,
        concurrency=args.concurrency,
        fmt=args.fmt,
    )
    print(json.dumps(stats.summary()), flush=True)
    if stats.quarantined_locally:
        print(
            f"distillguard replay: {stats.quarantined_locally} rows broke the schema and were "
            "not sent",
            file=sys.stderr,
        )
    return 0
