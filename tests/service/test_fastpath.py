"""The Arrow fast path gives exactly the adapter's rows on clean bodies, and defers (None) on
any body the adapter would quarantine something from."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pytest

from distillguard.ingest.adapters import ADAPTERS
from distillguard.service.fastpath import clean_rows
from tests.ingest.conftest import DATA


def _adapter_rows(body: bytes, con: duckdb.DuckDBPyConnection) -> tuple[pa.Table, int]:
    batches = list(ADAPTERS["jsonl"]().read_bytes(body, con, "test"))
    rows = pa.concat_tables([b.rows for b in batches])
    return rows, sum(b.quarantined.num_rows for b in batches)


def test_clean_body_gives_the_adapters_rows(sim_body: bytes) -> None:
    con = duckdb.connect()
    fast = clean_rows(sim_body, con)
    slow, bad = _adapter_rows(sim_body, con)
    assert bad == 0 and fast is not None
    assert fast.equals(slow)


def test_normalisations_match_the_adapter() -> None:
    con = duckdb.connect()
    rows = [
        {"request_id": "a", "timestamp": "2026-02-01T12:00:05+01:00", "account_id": "x",
         "model": "m", "prompt": "p", "status": " OK ", "asn": "64500", "extra": [1]},
        {"request_id": "b", "timestamp": "2026-02-01 12:00:05", "account_id": "y",
         "model": "m", "prompt": "p", "temperature": 1},
    ]  # fmt: skip
    body = "\n".join(json.dumps(r) for r in rows).encode()
    _, bad = _adapter_rows(body, con)
    assert bad == 0
    fast = clean_rows(body, con)
    # "asn" as a string is a type Arrow's strict reader refuses: the adapter decides instead.
    assert fast is None
    body2 = "\n".join(json.dumps({k: v for k, v in r.items() if k != "asn"}) for r in rows).encode()
    fast2 = clean_rows(body2, con)
    slow2, _ = _adapter_rows(body2, con)
    assert fast2 is not None and fast2.equals(slow2)
    assert fast2["status"].to_pylist() == ["ok", None]


BASE = {"request_id": "a", "timestamp": "2026-02-01T00:00:00Z", "account_id": "x", "model": "m",
        "prompt": "p"}  # fmt: skip


@pytest.mark.parametrize(
    "line",
    [
        json.dumps({**BASE, "timestamp": "not a time"}),
        json.dumps({**BASE, "account_id": " "}),
        json.dumps({k: v for k, v in BASE.items() if k != "account_id"}),
        json.dumps({**BASE, "status": "maybe"}),
        json.dumps({**BASE, "request_id": 7}),
        json.dumps({**BASE, "account_id": ["x"]}),
        "[1, 2]",
        '{"request_id": "a", "timestamp"',
    ],
)
def test_any_doubtful_body_is_left_to_the_adapter(line: str) -> None:
    good = (DATA / "canonical.jsonl").read_text().splitlines()[0]
    assert clean_rows((good + "\n" + line + "\n").encode(), duckdb.connect()) is None
