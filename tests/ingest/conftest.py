"""Shared helpers for ingest tests: a small seeded canonical table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from distillguard.schema import REQUEST_SCHEMA

DATA = Path(__file__).parent / "data"


def canonical_rows(n: int, seed: int = 0, prefix: str = "req") -> pa.Table:
    """``n`` valid canonical rows (ids ``{prefix}-{i}``)."""
    rng = np.random.default_rng(seed)
    ts = np.datetime64("2026-02-01T00:00:00", "us") + rng.integers(0, 86_400_000_000, n).astype(
        "timedelta64[us]"
    )
    cols = {
        "request_id": pa.array([f"{prefix}-{i}" for i in range(n)]),
        "timestamp": pa.array(ts).cast(pa.timestamp("us", tz="UTC")),
        "account_id": pa.array([f"acct-{i % 7}" for i in range(n)]),
        "ip": pa.array([f"198.51.{i % 3}.{i % 250}" for i in range(n)]),
        "email_domain": pa.array(["example.com"] * n),
        "model": pa.array(["frontier-2"] * n),
        "prompt": pa.array([f"prompt number {i}" for i in range(n)]),
        "response": pa.array([f"answer {i}" for i in range(n)]),
        "status": pa.array(["ok"] * n),
    }
    return pa.table(
        [cols.get(f.name, pa.nulls(n, f.type)) for f in REQUEST_SCHEMA], schema=REQUEST_SCHEMA
    )


def write_jsonl(table: pa.Table, path: Path) -> Path:
    """Write canonical rows as JSON Lines with RFC 3339 timestamps."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.register("t", table)
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    con.execute(
        f"COPY (SELECT * REPLACE (strftime(timestamp, '{fmt}') AS timestamp) FROM t) "
        f"TO '{path}' (FORMAT json{', COMPRESSION gzip' if str(path).endswith('.gz') else ''})"
    )
    return path


@pytest.fixture
def data_dir() -> Path:
    return DATA
