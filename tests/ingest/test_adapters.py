"""Each adapter maps its documented format to the canonical schema and quarantines bad rows."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.errors import ConfigError, InputError
from distillguard.ingest import ADAPTERS, detect_format, read_batches
from distillguard.schema import REQUEST_SCHEMA

from .conftest import DATA, canonical_rows


def read_all(path: Path | str, fmt: str | None = None) -> tuple[list[dict], list[dict]]:
    rows: list[dict] = []
    bad: list[dict] = []
    for _, batch in read_batches([path], fmt=fmt):
        assert batch.rows.schema.equals(REQUEST_SCHEMA)
        rows += batch.rows.to_pylist()
        bad += batch.quarantined.to_pylist()
    return rows, bad


def by_id(rows: list[dict]) -> dict[str, dict]:
    return {r["request_id"]: r for r in rows}


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("canonical.jsonl", "jsonl"),
        ("canonical.jsonl.gz", "jsonl"),
        ("otel_otlp.jsonl", "otel"),
        ("otel_otlp_pretty.json", "otel"),
        ("otel_spans.jsonl", "otel"),
        ("litellm_payload.jsonl", "litellm"),
        ("litellm_spend.jsonl", "litellm"),
        ("openai_gateway.jsonl", "openai"),
    ],
)
def test_format_is_detected(name: str, fmt: str) -> None:
    assert detect_format(DATA / name) == fmt


def test_canonical_jsonl_keeps_good_rows_and_quarantines_bad_lines() -> None:
    rows, bad = read_all(DATA / "canonical.jsonl")
    assert sorted(by_id(rows)) == ["r-001", "r-002", "r-003"]
    r2 = by_id(rows)["r-002"]
    assert r2["timestamp"] == datetime(2026, 2, 1, 11, 0, 5, tzinfo=UTC)  # +01:00 -> UTC
    assert by_id(rows)["r-001"]["asn"] == 64500
    reasons = {b["location"]: b["reason"] for b in bad}
    assert reasons == {
        2: "bad_timestamp:timestamp",
        5: "bad_value:status",
        6: "missing:account_id",
        8: "bad_type:asn",
        9: "invalid_json",
    }
    assert all(b["unit"] == "line" and b["raw"].startswith("{") for b in bad)


def test_gzip_jsonl_equals_plain() -> None:
    plain, _ = read_all(DATA / "canonical.jsonl")
    gz, bad = read_all(DATA / "canonical.jsonl.gz")
    assert plain == gz and bad == []


def test_parquet_file_and_directory(tmp_path: Path) -> None:
    t = canonical_rows(50)
    (tmp_path / "d" / "sub").mkdir(parents=True)
    pq.write_table(t.slice(0, 20), tmp_path / "d" / "a.parquet")
    pq.write_table(t.slice(20), tmp_path / "d" / "sub" / "b.parquet")
    rows, bad = read_all(tmp_path / "d")
    assert bad == [] and len(rows) == 50
    assert (
        pa.Table.from_pylist(rows, REQUEST_SCHEMA)
        .sort_by("request_id")
        .equals(t.sort_by("request_id"))
    )


def test_parquet_bad_rows_quarantined_by_row_number(tmp_path: Path) -> None:
    t = pa.table(
        {
            "request_id": ["a", "b", "c", None],
            "timestamp": ["2026-02-01T00:00:00Z", "garbage", "2026-02-01T00:00:01Z", "2026-02-01"],
            "account_id": ["x", "y", "z", "w"],
            "model": ["m"] * 4,
            "prompt": ["p"] * 4,
            "asn": ["1", "2", "three", "4"],
            "unknown_column": [1, 2, 3, 4],
        }
    )
    pq.write_table(t, tmp_path / "t.parquet")
    rows, bad = read_all(tmp_path / "t.parquet")
    assert [r["request_id"] for r in rows] == ["a"]
    assert {(b["location"], b["reason"]) for b in bad} == {
        (2, "bad_timestamp:timestamp"),
        (3, "bad_type:asn"),
        (4, "missing:request_id"),
    }
    assert all(b["unit"] == "row" and '"account_id"' in b["raw"] for b in bad)


def test_otel_current_and_older_attribute_names() -> None:
    rows, bad = read_all(DATA / "otel_otlp.jsonl")
    r = by_id(rows)
    new = r["051581bf3cb55c13"]
    assert new["account_id"] == "acct-9" and new["model"] == "frontier-2"
    assert new["prompt"] == "Explain your reasoning step by step, then patch it."  # last user msg
    assert new["turn_index"] == 1 and new["tool_count"] == 2
    assert new["system_prompt"] == "You are a coding agent."
    assert new["response"] == "The bug: add subtracts."
    assert (new["input_tokens"], new["output_tokens"], new["max_tokens"]) == (97, 310, 512)
    assert new["temperature"] == pytest.approx(0.2)
    assert new["conversation_id"] == "conv-77" and new["ip"] == "198.51.100.23"
    assert new["tls_fingerprint"] == "e7d705a3286e19ea42f587b344ee6865"
    assert new["user_agent"] == "OpenAI/Python 1.60.0"
    assert new["timestamp"] == datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
    old = r["1a2b3c4d5e6f7081"]
    assert (old["input_tokens"], old["output_tokens"]) == (12, 40)
    assert old["prompt"] == "What is 2+2?" and old["response"] == "4"
    assert old["system_prompt"] == "Be terse." and old["conversation_id"] == "sess-3"
    err = r["99aa88bb77cc66dd"]
    assert err["status"] == "error" and err["prompt"] == "Translate to French: good morning"
    assert err["response"] == "bonjour"
    assert [b["reason"] for b in bad] == ["missing:account_id"]
    assert '"00ff00ff00ff00ff"' in bad[0]["raw"]  # the span itself, not the whole request


def test_otel_pretty_document_and_console_spans() -> None:
    rows, _ = read_all(DATA / "otel_otlp_pretty.json")
    assert sorted(by_id(rows)) == ["051581bf3cb55c13", "1a2b3c4d5e6f7081"]
    rows, bad = read_all(DATA / "otel_spans.jsonl")
    console = by_id(rows)["0xabcdef0123456789"]
    assert console["prompt"] == "hello" and console["response"] == "hi"
    assert console["account_id"] == "acct-11" and console["input_tokens"] == 20
    assert console["timestamp"] == datetime(2026, 2, 1, 12, 5, tzinfo=UTC)
    assert bad == []


def test_litellm_standard_logging_payload() -> None:
    rows, bad = read_all(DATA / "litellm_payload.jsonl")
    r = by_id(rows)
    one = r["chatcmpl-1"]
    assert one["account_id"] == "user-42" and one["org_id"] == "org-lite"
    assert one["ip"] == "192.0.2.10" and one["api_key_id"].startswith("88dc28")
    assert one["prompt"] == "List three primes." and one["system_prompt"] == "You are helpful."
    assert one["response"] == "2, 3, 5" and one["tool_count"] == 1
    assert (one["max_tokens"], one["temperature"]) == (256, 0.0)
    assert one["timestamp"] == datetime(2026, 2, 1, 12, 0, 1, 250000, tzinfo=UTC)
    two = r["chatcmpl-2"]
    assert two["prompt"] == "Explain step by step why the sky is blue." and two["turn_index"] == 1
    assert two["max_tokens"] is None
    three = r["chatcmpl-3"]
    assert three["status"] == "error" and three["response"] is None
    assert three["account_id"] == "deadbeef"  # falls back to the key hash
    assert [(b["location"], b["reason"]) for b in bad] == [(4, "bad_timestamp:timestamp")]


def test_litellm_spend_logs() -> None:
    rows, bad = read_all(DATA / "litellm_spend.jsonl")
    one = by_id(rows)["sl-1"]
    assert one["account_id"] == "user-7" and one["org_id"] == "team-9"
    assert one["prompt"] == "question 1" and one["response"] == "answer 1"
    assert one["conversation_id"] == "s-123" and one["api_key_id"] == "hashed-key-7"
    # message logging was off for sl-3: a metadata-only row, stored without text
    assert bad == [] and by_id(rows)["sl-3"]["prompt"] is None
    assert by_id(rows)["sl-3"]["account_id"] is not None


def test_openai_gateway_envelope() -> None:
    rows, bad = read_all(DATA / "openai_gateway.jsonl")
    r = by_id(rows)
    one = r["gw-1"]
    assert one["prompt"] == "Name a color." and one["system_prompt"] == "Answer in JSON."
    assert one["user_agent"] == "curl/8.5" and one["tls_fingerprint"] == "ja3-abc"
    assert (one["max_tokens"], one["tool_count"], one["input_tokens"]) == (100, 1, 20)
    assert one["response"] == '{"color": "red"}' and one["status"] == "ok"
    three = r["gw-3"]
    assert three["status"] == "error" and three["prompt"] == "q2" and three["turn_index"] == 1
    assert three["user_agent"] == "UA/2"
    four = r["gw-4"]
    assert four["status"] == "refused"
    assert four["timestamp"] == datetime(2026, 2, 1, 13, 0, 4, tzinfo=UTC)  # epoch seconds
    assert [b["reason"] for b in bad] == ["missing:account_id"]


def test_format_override(tmp_path: Path) -> None:
    rows, bad = read_all(DATA / "openai_gateway.jsonl", fmt="jsonl")
    # Read as canonical JSON Lines, every envelope line breaks the schema.
    assert rows == [] and len(bad) == 5
    with pytest.raises(ConfigError):
        read_all(DATA / "canonical.jsonl", fmt="csv")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"hello world\n", "unrecognised"),
        (b'{"foo": 1}\n', "unrecognised"),
    ],
)
def test_unusable_files_raise_input_error(tmp_path: Path, content: bytes, message: str) -> None:
    p = tmp_path / "x.jsonl"
    p.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_all(p)


def test_missing_file_and_bad_parquet(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_all(tmp_path / "nope.jsonl")
    (tmp_path / "x.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InputError):
        read_all(tmp_path / "x.parquet")
    (tmp_path / "y.jsonl.gz").write_bytes(gzip.compress(b'{"request_id": "a"')[:-8])
    with pytest.raises(InputError):
        read_all(tmp_path / "y.jsonl.gz", fmt="jsonl")


def test_registry_lists_every_builtin() -> None:
    assert set(ADAPTERS) == {"parquet", "jsonl", "otel", "litellm", "openai"}
