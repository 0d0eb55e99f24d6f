"""Rows that break the schema are quarantined with a reason, never coerced into something else:
wrong types, fractional integers, negative counts, implausible times, invalid UTF-8, oversize
text; a byte-order mark is accepted; duplicates with different content are counted apart."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.ingest import load_requests, open_requests
from distillguard.ingest.validation import field_limits
from distillguard.schema import REQUEST_SCHEMA

GOOD: dict[str, Any] = {
    "timestamp": "2026-02-01T00:00:00Z",
    "account_id": "acct-1",
    "model": "m",
    "prompt": "hello",
}


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _reasons(path: Path, **kw: Any) -> tuple[dict[str, str], list[str]]:
    """(request_id -> quarantine reason) and the stored request ids."""
    con = duckdb.connect()
    q = path.parent / f"{path.name}.q.jsonl"
    open_requests(con, [path], quarantine_path=q, **kw)
    stored = sorted(r[0] for r in con.execute("SELECT request_id FROM requests").fetchall())
    out = {}
    for line in q.read_text().splitlines() if q.exists() else []:
        rec = json.loads(line)
        rid = json.loads(rec["raw"]).get("request_id") if rec.get("raw") else None
        out[str(rid)] = rec["reason"]
    return out, stored


def test_json_values_of_the_wrong_type_are_quarantined_not_coerced(tmp_path: Path) -> None:
    soon = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    rows = [
        {**GOOD, "request_id": "ok", "input_tokens": 12, "turn_index": 2.0, "asn": "64500"},
        {**GOOD, "request_id": "num-prompt", "prompt": 12345},
        {**GOOD, "request_id": "list-account", "account_id": [1, 2]},
        {**GOOD, "request_id": "bool-model", "model": True},
        {**GOOD, "request_id": "neg-tokens", "output_tokens": -5},
        {**GOOD, "request_id": "frac-turn", "turn_index": 1.5},
        {**GOOD, "request_id": "frac-text", "max_tokens": "12.5"},
        {**GOOD, "request_id": "old", "timestamp": "1999-12-31T23:59:59Z"},
        {**GOOD, "request_id": "future", "timestamp": soon},
        {**GOOD, "request_id": "num-time", "timestamp": 1767225600},
    ]
    reasons, stored = _reasons(_jsonl(tmp_path / "log.jsonl", rows))
    assert stored == ["ok"]
    assert reasons == {
        "num-prompt": "bad_type:prompt",
        "list-account": "bad_type:account_id",
        "bool-model": "bad_type:model",
        "neg-tokens": "bad_value:output_tokens",
        "frac-turn": "bad_type:turn_index",
        "frac-text": "bad_type:max_tokens",
        "old": "bad_value:timestamp",
        "future": "bad_value:timestamp",
        "num-time": "bad_timestamp:timestamp",
    }


def test_parquet_columns_of_the_wrong_type_are_quarantined(tmp_path: Path) -> None:
    ts = pa.array([datetime(2026, 2, 1, tzinfo=UTC)] * 3, pa.timestamp("us", tz="UTC"))
    base = {"request_id": ["a", "b", "c"], "timestamp": ts, "model": ["m"] * 3}
    int_prompt = pa.table({**base, "account_id": ["x", "y", "z"], "prompt": [1, 2, None]})
    pq.write_table(int_prompt, tmp_path / "int_prompt.parquet")
    reasons, stored = _reasons(tmp_path / "int_prompt.parquet")
    if REQUEST_SCHEMA.field("prompt").nullable:
        assert stored == ["c"]  # a null prompt is fine; a number is not a prompt
    else:
        assert stored == [] and reasons["c"] == "missing:prompt"
    assert reasons["a"] == reasons["b"] == "bad_type:prompt"

    lists = pa.table({**base, "account_id": [[1, 2], [1, 2], [3]], "prompt": ["p"] * 3})
    pq.write_table(lists, tmp_path / "lists.parquet")
    reasons, stored = _reasons(tmp_path / "lists.parquet")
    assert stored == []  # never one account called "[1, 2]"
    assert set(reasons.values()) == {"bad_type:account_id"}


def test_invalid_utf8_is_quarantined_and_a_bom_is_accepted(tmp_path: Path) -> None:
    good = json.dumps({**GOOD, "request_id": "first"}).encode()
    bad = json.dumps({**GOOD, "request_id": "latin1", "prompt": "caf"}).encode()
    bad = bad.replace(b'"caf"', b'"caf\xe9"')
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + good + b"\n" + bad + b"\n")
    con = duckdb.connect()
    q = tmp_path / "q.jsonl"
    stats = open_requests(con, [path], quarantine_path=q)
    assert stats.rows_stored == 1 and stats.reasons == {"invalid_utf8": 1}
    rec = json.loads(q.read_text())
    assert rec["line"] == 2 and "\\xe9" in rec["raw"] and "\ufffd" not in rec["raw"]
    prompt = con.execute("SELECT prompt FROM requests").fetchone()
    assert prompt == ("hello",)


@pytest.mark.slow
def test_a_50_mb_row_is_quarantined_as_too_large_and_the_rest_is_stored(tmp_path: Path) -> None:
    rows = [{**GOOD, "request_id": f"r{i}"} for i in range(5)]
    rows.insert(2, {**GOOD, "request_id": "huge", "prompt": "x" * (50 << 20)})
    path = _jsonl(tmp_path / "log.jsonl", rows)
    con = duckdb.connect()
    con.execute("SET memory_limit = '1GB'")  # what ingest used to run out of
    q = tmp_path / "q.jsonl"
    stats = load_requests(con, [path], quarantine_path=q)
    assert stats.rows_stored == 5 and stats.reasons == {"too_large:prompt": 1}
    rec = json.loads(q.read_text())
    assert rec["line"] == 3 and rec["raw_truncated"] is True and len(rec["raw"]) <= 64 << 10


def test_field_limits_are_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISTILLGUARD_FIELD_LIMITS", "prompt=8,user_agent=1KiB")
    assert field_limits()["prompt"] == 8 and field_limits()["user_agent"] == 1024
    rows = [{**GOOD, "request_id": "short"}, {**GOOD, "request_id": "long", "prompt": "x" * 9}]
    reasons, stored = _reasons(_jsonl(tmp_path / "log.jsonl", rows))
    assert stored == ["short"] and reasons == {"long": "too_large:prompt"}


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_conflicting_duplicates_are_counted_apart(tmp_path: Path, fmt: str) -> None:
    rows = [
        {**GOOD, "request_id": "a"},
        {**GOOD, "request_id": "a"},  # a retry: same content
        {**GOOD, "request_id": "a", "prompt": "tampered"},
        {**GOOD, "request_id": "b"},
        {**GOOD, "request_id": "b", "account_id": "acct-2"},
    ]
    path = _jsonl(tmp_path / "log.jsonl", rows)
    if fmt == "parquet":
        table = pa.Table.from_pylist(rows)
        path = tmp_path / "log.parquet"
        pq.write_table(table, path)
    stats = open_requests(duckdb.connect(), [path])
    assert (stats.rows_stored, stats.rows_duplicate, stats.rows_duplicate_conflicting) == (2, 3, 2)
