"""Storage: dedupe, idempotent re-runs, quarantine file, privacy, text hook, CLI, crash safety."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from distillguard.errors import ConfigError
from distillguard.ingest import Privacy, Workspace, load_requests
from distillguard.schema import STORED_SCHEMA

from .conftest import DATA, canonical_rows, write_jsonl

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_load_dedupes_and_rerun_stores_nothing(tmp_path: Path) -> None:
    t = canonical_rows(200)
    pq.write_table(pa.concat_tables([t, t.slice(0, 30)]), tmp_path / "a.parquet")  # 30 repeats
    con = duckdb.connect()
    s1 = load_requests(con, [tmp_path / "a.parquet"], batch_size=64)
    assert (s1.rows_read, s1.rows_stored, s1.rows_duplicate, s1.rows_quarantined) == (
        230,
        200,
        30,
        0,
    )
    s2 = load_requests(con, [tmp_path / "a.parquet"], batch_size=64)
    assert (s2.rows_stored, s2.rows_duplicate) == (0, 230)
    stored = con.sql("SELECT * FROM requests").to_arrow_table()
    assert stored.schema.names == STORED_SCHEMA.names
    assert stored.num_rows == 200 == len(pc.unique(stored["request_id"]))
    assert set(stored["ip_prefix"].to_pylist()) == {
        "198.51.0.0/24",
        "198.51.1.0/24",
        "198.51.2.0/24",
    }


def test_quarantine_file_has_source_line_reason_and_raw(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    stats = ws.ingest([DATA / "canonical.jsonl"])
    assert stats.rows_quarantined == 5 and stats.rows_stored == 3
    assert stats.reasons["invalid_json"] == 1 and stats.reasons["missing:account_id"] == 1
    assert stats.quarantine_file is not None
    recs = [json.loads(x) for x in Path(stats.quarantine_file).read_text().splitlines()]
    assert [r["line"] for r in recs] == [2, 5, 6, 8, 9]
    assert recs[0]["source"].endswith("canonical.jsonl")
    assert recs[0]["reason"] == "bad_timestamp:timestamp" and '"not a time"' in recs[0]["raw"]


def test_hashing_keeps_network_linkage_and_drop_text(tmp_path: Path) -> None:
    key = b"secret"
    con = duckdb.connect()
    load_requests(con, [DATA / "canonical.jsonl"], privacy=Privacy(hash_key=key, drop_text=True))
    rows = {
        r["request_id"]: r for r in con.sql("SELECT * FROM requests").to_arrow_table().to_pylist()
    }
    expect = hmac.new(key, b"203.0.113.7", hashlib.sha256).hexdigest()[:32]
    assert rows["r-001"]["ip"] == expect
    assert (
        rows["r-001"]["ip_prefix"]
        == hmac.new(key, b"203.0.113.0/24", hashlib.sha256).hexdigest()[:32]
    )
    assert (
        rows["r-001"]["email_domain"] != "example.com" and len(rows["r-001"]["email_domain"]) == 32
    )
    assert rows["r-001"]["payment_fingerprint"] != "pm-aa11"
    assert all(
        r["prompt"] is None and r["response"] is None and r["system_prompt"] is None
        for r in rows.values()
    )
    assert rows["r-001"]["account_id"] == "acct-1" and rows["r-001"]["model"] == "frontier-2"


def test_text_features_hook_sees_text_before_it_is_dropped(tmp_path: Path) -> None:
    seen: list[int] = []

    def features(batch: pa.Table) -> pa.Table:
        seen.append(batch.num_rows)
        return pa.table({"prompt_chars": pc.utf8_length(batch["prompt"])})

    con = duckdb.connect()
    load_requests(
        con, [DATA / "canonical.jsonl"], privacy=Privacy(drop_text=True), text_features=features
    )
    got = dict(
        con.execute("SELECT request_id, prompt_chars FROM requests WHERE prompt IS NULL").fetchall()
    )
    assert got["r-003"] == len("写一个快速排序") and sum(seen) == 3

    with pytest.raises(ConfigError):
        load_requests(
            duckdb.connect(),
            [DATA / "canonical.jsonl"],
            text_features=lambda b: pa.table({"prompt": b["prompt"]}),
        )


def test_every_adapter_sample_stores(tmp_path: Path) -> None:
    stats = Workspace(tmp_path / "ws").ingest([DATA])
    assert stats.rows_read == stats.rows_stored + stats.rows_duplicate + stats.rows_quarantined
    # distinct request ids over all sample files (the metadata-only spend-log row included)
    assert stats.rows_stored == 18


def run_cli(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run(
        [sys.executable, "-m", "distillguard", "ingest", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        **kw,
    )  # type: ignore[call-overload]


def test_cli_prints_one_json_line_and_exits_2_on_bad_input(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    p = run_cli(str(DATA / "canonical.jsonl"), "--workspace", ws)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert out["rows_read"] == 8 and out["rows_stored"] == 3 and out["rows_quarantined"] == 5
    assert out["quarantine_file"].startswith(ws)
    bad = tmp_path / "bad.txt"
    bad.write_text("this is not a log\n")
    p = run_cli(str(bad), "--workspace", ws)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "bad.txt" in p.stderr


def test_sigkill_midway_then_rerun_stores_each_row_once(tmp_path: Path) -> None:
    n = 40_000
    src = write_jsonl(canonical_rows(n, seed=3), tmp_path / "big.jsonl.gz")
    ws = tmp_path / "ws"
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distillguard",
            "ingest",
            str(src),
            "--workspace",
            str(ws),
            "--batch-size",
            "500",
            "--progress",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    committed = 0
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        if line.startswith("progress"):
            committed = int(line.split("rows_stored=")[1])
            if committed >= 3000:
                break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "run finished before it could be killed"
    assert 3000 <= committed < n
    p = run_cli(str(src), "--workspace", str(ws), "--batch-size", "5000")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["rows_stored"] + out["rows_duplicate"] == n and out["rows_duplicate"] >= committed
    con = duckdb.connect(str(ws / "distillguard.duckdb"), read_only=True)
    total, distinct = con.execute(
        "SELECT count(*), count(DISTINCT request_id) FROM requests"
    ).fetchone()  # type: ignore[misc]
    assert total == distinct == n


def test_jsonl_without_batch_size_commits_whole_row_groups_each_row_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import distillguard.ingest.store as store

    monkeypatch.setattr(store, "ROW_GROUP_ROWS", 20)  # DuckDB's is 122,880: keep the test small
    rows = canonical_rows(1000, seed=5)
    early = write_jsonl(rows.slice(0, 300), tmp_path / "early.jsonl.gz")  # an earlier, partial run
    full = write_jsonl(pa.concat_tables([rows, rows.slice(0, 40)]), tmp_path / "full.jsonl.gz")
    ws = Workspace(tmp_path / "ws")
    assert ws.ingest([early]).rows_stored == 300
    con = ws.connect()
    per_commit = store.commit_rows(con)
    con.close()
    assert per_commit >= 40  # whole row groups, one per thread, at least two
    seen: list[int] = []
    stats = ws.ingest([full], progress=lambda s: seen.append(s.rows_stored))
    assert (stats.rows_read, stats.rows_stored, stats.rows_duplicate) == (1040, 700, 340)
    commits = [b - a for a, b in zip([0, *seen], seen, strict=False) if b > a]
    assert sum(commits) == 700 and max(commits) <= per_commit and len(commits) > 1
    con = duckdb.connect(str(ws.db_path), read_only=True)
    total, distinct = con.execute(
        "SELECT count(*), count(DISTINCT request_id) FROM requests"
    ).fetchone()  # type: ignore[misc]
    assert total == distinct == 1000
