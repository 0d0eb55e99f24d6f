"""Logs written by the real gateway clients (LiteLLM 1.110.2, the official OpenTelemetry OpenAI
instrumentation; see fixtures/regenerate.py) are stored with the billed account, model, tokens,
conversation and text — or, where the client kept no text, without it and without quarantine."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from distillguard.ingest import read_batches

from .fixtures.regenerate import QUESTIONS, SYSTEM, answer

FIX = Path(__file__).parent / "fixtures"
USERS, CONVS, TURNS = 3, 2, 3
pytestmark = pytest.mark.slow  # a few seconds per file: DuckDB binds the JSON mapping each time


@cache
def read(*names: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    for _, batch in read_batches([FIX / n for n in names]):
        rows += batch.rows.to_pylist()
        bad += batch.quarantined.to_pylist()
    return rows, bad


def raw_lines(name: str) -> list[dict[str, Any]]:
    opener = gzip.open if name.endswith(".gz") else open
    with opener(FIX / name, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def conversations(rows: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    by: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by[(r["account_id"], r["conversation_id"])].append(r)
    return {k: sorted(v, key=lambda r: r["timestamp"]) for k, v in by.items()}


def check_turns(convs: dict[tuple[str, str], list[dict[str, Any]]], turns: int) -> None:
    """Each conversation holds its turns in order, with the prompt the client sent."""
    for (_, conv), rows in convs.items():
        u, c = (int(x) for x in conv.rsplit("-", 2)[-2:])
        assert [r["turn_index"] for r in rows] == list(range(turns)), conv
        assert [r["prompt"] for r in rows] == [
            QUESTIONS[t].format(u=u, c=c) for t in range(turns)
        ], conv
        assert all(r["system_prompt"] == SYSTEM for r in rows)


# ------------------------------------------------------------------ LiteLLM


@pytest.mark.parametrize(
    ("kind", "account", "turns"),
    [
        ("sdk", "end-user-{u}", TURNS),  # completion(user=...): only in model_parameters.user
        ("proxy", "user-{u}", TURNS),  # a virtual key owned by a user
        ("team", "team-{u}", TURNS),  # a key owned by a team only
        ("master", "default_user_id", 2),  # the master key: LiteLLM's placeholder
    ],
)
def test_litellm_standard_logging_payloads(kind: str, account: str, turns: int) -> None:
    name = f"litellm_{kind}.jsonl.gz"
    rows, bad = read(name)
    assert bad == []
    raw = {r["id"]: r for r in raw_lines(name)}
    assert len(rows) == len(raw) == USERS * CONVS * turns
    for r in rows:
        src = raw[r["request_id"]]
        assert r["model"] == "gpt-4o-mini"
        assert (r["input_tokens"], r["output_tokens"]) == (
            src["prompt_tokens"],
            src["completion_tokens"],
        )
        assert r["input_tokens"] > 0 and r["output_tokens"] > 0
        assert r["temperature"] == 0.2 and r["max_tokens"] == 256
    convs = conversations(rows)
    # request_correlation_in_logs is off: session_id is "" and the session is in trace_id
    assert all(raw[r["request_id"]]["session_id"] == "" for r in rows)
    expected = {
        (account.format(u=u), f"{kind}-sess-{u}-{c}") for u in range(USERS) for c in range(CONVS)
    }
    assert set(convs) == expected
    check_turns(convs, turns)
    for (_, conv), conv_rows in convs.items():
        u, c = (int(x) for x in conv.rsplit("-", 2)[-2:])
        assert [r["response"] for r in conv_rows] == [answer(u, c, t) for t in range(turns)]
        assert all(r["tool_count"] == (1 if c == 1 else None) for r in conv_rows)


def test_litellm_proxy_key_fields() -> None:
    rows, _ = read("litellm_proxy.jsonl.gz")
    for r in rows:
        u = int(r["account_id"].rsplit("-", 1)[1])
        assert r["api_key_id"] == f"sk-hash-proxy-{u}"
        assert r["org_id"] == (None if u == 0 else f"org-{u % 2}")  # the first one is null
        assert r["ip"] == f"203.0.113.{10 + u}"
        assert r["user_agent"] == "OpenAI/Python 1.99.0"


# ------------------------------------------------------------------ OpenTelemetry


def otel_tokens(name: str) -> dict[str, tuple[int, int]]:
    """span id -> (input, output) tokens as the instrumentation recorded them."""
    out = {}
    for line in raw_lines(name):
        for rs in line["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for sp in ss["spans"]:
                    a = {x["key"]: x["value"] for x in sp["attributes"]}
                    out[sp["spanId"]] = (
                        int(a["gen_ai.usage.input_tokens"]["intValue"]),
                        int(a["gen_ai.usage.output_tokens"]["intValue"]),
                    )
    return out


@pytest.mark.parametrize(
    ("mode", "files"),
    [
        ("span", ("otel_span.traces.jsonl",)),  # SPAN_ONLY: messages as span attributes
        ("event", ("otel_event.traces.jsonl", "otel_event.logs.jsonl")),  # EVENT_ONLY
        ("legacy", ("otel_legacy.traces.jsonl", "otel_legacy.logs.jsonl")),  # v1.30 events
    ],
)
def test_otel_content_on_spans_or_in_log_records(mode: str, files: tuple[str, ...]) -> None:
    rows, bad = read(*files)
    assert bad == []
    tokens = otel_tokens(files[0])
    assert len(rows) == len(tokens) == USERS * CONVS * TURNS
    for r in rows:
        assert r["model"] == "gpt-4o-mini"
        assert (r["input_tokens"], r["output_tokens"]) == tokens[r["request_id"]]
        assert r["response"] == f"Stub answer to: {r['prompt']}"  # what the stub server said
    convs = conversations(rows)
    assert set(convs) == {
        (f"customer-{u}", f"conv-{u}-{c}") for u in range(USERS) for c in range(CONVS)
    }
    check_turns(convs, TURNS)


def test_otel_log_records_in_any_file_order_and_one_directory(tmp_path: Path) -> None:
    logs_first, bad = read("otel_legacy.logs.jsonl", "otel_legacy.traces.jsonl")
    spans_first, _ = read("otel_legacy.traces.jsonl", "otel_legacy.logs.jsonl")
    assert bad == [] and sorted(logs_first, key=lambda r: r["request_id"]) == sorted(
        spans_first, key=lambda r: r["request_id"]
    )
    # An OTel collector file exporter may write both signals into one file.
    both = tmp_path / "otel.jsonl"
    both.write_text(
        (FIX / "otel_event.logs.jsonl").read_text() + (FIX / "otel_event.traces.jsonl").read_text()
    )
    rows = [r for _, b in read_batches([both]) for r in b.rows.to_pylist()]
    assert len(rows) == USERS * CONVS * TURNS and all(r["prompt"] for r in rows)


def test_otel_content_off_is_stored_metadata_only() -> None:
    rows, bad = read("otel_off.traces.jsonl")
    assert bad == []  # no text is not a reason to quarantine
    tokens = otel_tokens("otel_off.traces.jsonl")
    assert len(rows) == len(tokens) == USERS * CONVS * TURNS
    assert {r["account_id"] for r in rows} == {"tenant-acme"}  # a resource attribute
    assert {r["conversation_id"] for r in rows} == {
        f"conv-{u}-{c}" for u in range(USERS) for c in range(CONVS)
    }
    for r in rows:
        assert r["prompt"] is None and r["response"] is None and r["system_prompt"] is None
        assert (r["input_tokens"], r["output_tokens"]) == tokens[r["request_id"]]
        assert r["model"] == "gpt-4o-mini"


def test_otel_log_records_without_their_spans_are_quarantined() -> None:
    rows, bad = read("otel_event.logs.jsonl")
    assert rows == []
    assert len(bad) == USERS * CONVS * TURNS
    assert {b["reason"] for b in bad} == {"orphan_log_record"}
    assert all(json.loads(b["raw"])["spanId"] for b in bad)
