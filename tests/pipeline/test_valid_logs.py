"""``detect`` never crashes on a valid log: clean traffic, one account, a handful of independent
accounts, all optional fields null, or every row quarantined all end in exit 0 and the complete
set of contract files, saying "0 campaigns" when there is none."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from distillguard.pipeline import run_detect
from distillguard.schema import REQUEST_SCHEMA, REQUIRED_FIELDS
from tests.cli import detect_cli

CONTRACT_FILES = (
    "accounts.csv",
    "campaigns.json",
    "summary.json",
    "quarantine.jsonl",
    "report.html",
)
START = datetime(2026, 2, 1, tzinfo=UTC)
OPTIONAL_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "org_id": st.sampled_from(["org-a", "org-b"]),
    "api_key_id": st.sampled_from(["k1", "k2", "k3"]),
    "ip": st.sampled_from(["203.0.113.7", "198.51.100.9", "2001:db8::1", "not-an-ip"]),
    "asn": st.integers(1, 400_000),
    "country": st.sampled_from(["US", "DE", "CN"]),
    "user_agent": st.sampled_from(["curl/8", "openai-python/1.0"]),
    "tls_fingerprint": st.sampled_from(["ja3-a", "ja3-b"]),
    "payment_fingerprint": st.sampled_from(["pm-1", "pm-2"]),
    "account_created_at": st.just(START - timedelta(days=3)),
    "email_domain": st.sampled_from(["example.com", "mail.test"]),
    "conversation_id": st.sampled_from(["c1", "c2"]),
    "turn_index": st.integers(0, 5),
    "system_prompt": st.sampled_from(["You are helpful.", "Answer briefly."]),
    "prompt": st.text(min_size=1, max_size=40),
    "tool_count": st.integers(0, 4),
    "max_tokens": st.integers(1, 4096),
    "temperature": st.floats(0, 2),
    "input_tokens": st.integers(0, 5000),
    "output_tokens": st.integers(0, 5000),
    "response": st.text(max_size=20),
    "status": st.sampled_from(["ok", "error", "refused"]),
}


@st.composite
def request_logs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """1-60 accounts with 1-4 requests each; every optional field present, null or absent."""
    n_accounts = draw(st.integers(1, 60))
    # Per field: always absent, always null, or a value (possibly null) on each row.
    modes = {f: draw(st.sampled_from(["absent", "null", "mixed"])) for f in OPTIONAL_VALUES}
    rows: list[dict[str, Any]] = []
    for a in range(n_accounts):
        for _ in range(draw(st.integers(1, 4))):
            row: dict[str, Any] = {
                "request_id": f"r{len(rows)}",
                "timestamp": START + timedelta(seconds=draw(st.integers(0, 5 * 86_400))),
                "account_id": f"acct-{a}",
                "model": draw(st.sampled_from(["m-1", "m-2"])),
            }
            for f, values in OPTIONAL_VALUES.items():
                if f in REQUIRED_FIELDS:  # follows the schema (prompt became optional)
                    row[f] = draw(values.filter(lambda v: str(v).strip() != ""))
                elif modes[f] == "null":
                    row[f] = None
                elif modes[f] == "mixed":
                    row[f] = draw(st.none() | values)
            rows.append(row)
    return rows


def _write(rows: list[dict[str, Any]], path: Path, fmt: str) -> Path:
    if fmt == "parquet":
        present = [f for f in REQUEST_SCHEMA if any(f.name in r for r in rows)]
        table = pa.Table.from_pylist(rows, schema=pa.schema(present))
        pq.write_table(table, path)
        return path
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            doc = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in r.items()}
            fh.write(json.dumps(doc) + "\n")
    return path


def assert_contract_files(out: Path, accounts: set[str], *, quarantined: int = 0) -> None:
    """Every contract file is there and consistent with the input's accounts."""
    for name in CONTRACT_FILES:
        assert (out / name).is_file(), name
    with (out / "accounts.csv").open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    assert header[:4] == ["account_id", "score", "flagged", "campaign_id"]
    ids = [r[0].removeprefix("'") for r in rows]
    assert sorted(ids) == sorted(accounts)  # one row per account, no more
    assert all(0.0 <= float(r[1]) <= 1.0 and r[2] in ("true", "false") for r in rows)
    doc = json.loads((out / "campaigns.json").read_text())
    summary = json.loads((out / "summary.json").read_text())
    assert summary["campaigns"] == len(doc["campaigns"])
    assert summary["accounts"] == len(accounts)
    assert summary["flagged_accounts"] == sum(r[2] == "true" for r in rows)
    assert summary["rows_quarantined"] == quarantined
    assert summary["rows_read"] == (
        summary["rows_stored"] + summary["rows_duplicate"] + summary["rows_quarantined"]
    )
    lines = (out / "quarantine.jsonl").read_text().splitlines()
    assert len(lines) == summary["rows_quarantined"]
    if not doc["campaigns"]:
        html = (out / "report.html").read_text()
        assert re.search(r"campaigns \(0\)|\b0 campaigns", html, re.IGNORECASE)


@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    # No shrinking: each example is a full detect run, and CI time is bounded.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rows=request_logs(), fmt=st.sampled_from(["jsonl", "parquet"]))
def test_any_small_valid_log_gives_every_contract_file(
    rows: list[dict[str, Any]], fmt: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("log")
    log = _write(rows, root / f"requests.{fmt}", fmt)
    run_detect([log], root / "out")
    assert_contract_files(root / "out", {r["account_id"] for r in rows})


@pytest.mark.slow
def test_one_account_and_independent_accounts_exit_0_with_0_campaigns(tmp_path: Path) -> None:
    rows = [
        {
            "request_id": f"r{i}",
            "timestamp": START + timedelta(minutes=17 * i),
            "account_id": f"acct-{i % 3}",
            "model": "m-1",
            "prompt": f"question {i}",
        }
        for i in range(9)
    ]
    for name, subset in (("one", rows[:1]), ("three", rows)):
        log = _write(subset, tmp_path / f"{name}.jsonl", "jsonl")
        proc = detect_cli(str(log), "--out", str(tmp_path / name))
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["campaigns"] == 0
        assert_contract_files(tmp_path / name, {r["account_id"] for r in subset})


@pytest.mark.slow
def test_a_log_whose_every_row_is_quarantined_is_valid_and_empty(tmp_path: Path) -> None:
    log = tmp_path / "bad.jsonl"
    log.write_text(
        '{"request_id": "a", "timestamp": "yesterday", "account_id": "x", "model": "m", '
        '"prompt": "hi"}\n'
        '{"request_id": "b", "account_id": "x", "model": "m", "prompt": "hi"}\n'
        "not json\n"
    )
    proc = detect_cli(str(log), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert_contract_files(tmp_path / "out", set(), quarantined=3)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["rows_stored"] == 0 and summary["quarantine_reasons"] == {
        "bad_timestamp:timestamp": 1,
        "missing:timestamp": 1,
        "invalid_json": 1,
    }
