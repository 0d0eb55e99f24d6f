"""DuckDB and Spark quarantine the same rows for the same reasons: both run the one description
of a valid row (``ingest.validation``) rendered in their own SQL dialect."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.engine import EngineSettings, make_engine

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _log(path: Path) -> Path:
    t0 = datetime(2026, 2, 1, tzinfo=UTC)
    cases: list[dict[str, Any]] = [
        {"request_id": "ok"},
        {"request_id": "ok-int-text", "max_tokens": "12"},
        {"request_id": "no-account", "account_id": "  "},
        {"request_id": "old", "timestamp": datetime(1999, 1, 1, tzinfo=UTC)},
        {"request_id": "future", "timestamp": datetime.now(UTC) + timedelta(days=5)},
        {"request_id": "neg", "input_tokens": -1},
        {"request_id": "frac", "turn_index": 1.5},
        {"request_id": "frac-text", "max_tokens": "12.5"},
        {"request_id": "word", "max_tokens": "twelve"},
        {"request_id": "nan", "temperature": float("nan")},
        {"request_id": "inf", "temperature": float("inf")},
        {"request_id": "status", "status": "WEIRD"},
        {"request_id": "status-case", "status": " OK "},
        {"request_id": "huge", "user_agent": "u" * (70 << 10)},
    ]
    base = {"timestamp": t0, "account_id": "acct", "model": "m", "prompt": "p"}
    rows = [{**base, **c} for c in cases]
    schema = pa.schema(
        [
            ("request_id", pa.string()),
            ("timestamp", pa.timestamp("us", tz="UTC")),
            ("account_id", pa.string()),
            ("model", pa.string()),
            ("prompt", pa.string()),
            ("max_tokens", pa.string()),
            ("input_tokens", pa.int64()),
            ("turn_index", pa.float64()),
            ("temperature", pa.float64()),
            ("status", pa.string()),
            ("user_agent", pa.string()),
        ]
    )
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return path


def _reasons(engine: str, log: Path, tmp_path: Path) -> tuple[dict[str, str], list[str]]:
    q = tmp_path / f"{engine}.jsonl"
    settings = EngineSettings(workdir=tmp_path / engine, quarantine_path=q)
    with make_engine(engine, settings) as eng:
        table = eng.open([log])
        stored = sorted(table.select("request_id").to_pyarrow().column(0).to_pylist())
    reasons = {}
    for line in q.read_text().splitlines():
        rec = json.loads(line)
        rid = re.search(r'"request_id":\s*"([^"]+)"', rec["raw"])  # raw may be cut at 64 KiB
        assert rid is not None
        reasons[rid.group(1)] = rec["reason"]
    return reasons, stored


def test_both_engines_quarantine_the_same_rows_for_the_same_reasons(
    spark: Any, tmp_path: Path
) -> None:
    log = _log(tmp_path / "log.parquet")
    duck = _reasons("duckdb", log, tmp_path)
    assert duck == _reasons("spark", log, tmp_path)
    reasons, stored = duck
    assert stored == ["ok", "ok-int-text", "status-case"]
    assert reasons == {
        "no-account": "missing:account_id",
        "old": "bad_value:timestamp",
        "future": "bad_value:timestamp",
        "neg": "bad_value:input_tokens",
        "frac": "bad_type:turn_index",
        "frac-text": "bad_type:max_tokens",
        "word": "bad_type:max_tokens",
        "nan": "bad_value:temperature",
        "inf": "bad_value:temperature",
        "status": "bad_value:status",
        "huge": "too_large:user_agent",
    }
