"""The output directory: checked before any work, never left half-written or appended to, and
the quarantine keeps nothing raw under --hash-key / --drop-text."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from distillguard.errors import InputError
from distillguard.ingest import Privacy
from distillguard.pipeline import run, run_detect
from tests.cli import detect_cli

ROWS = [
    '{"request_id": "r1", "timestamp": "2026-02-01T00:00:00Z", "account_id": "acct-1", '
    '"model": "m", "prompt": "hello", "ip": "203.0.113.7", "email_domain": "corp.example", '
    '"payment_fingerprint": "pm-secret"}',
    '{"request_id": "r2", "timestamp": "2026-02-01T00:01:00Z", "account_id": "acct-2", '
    '"model": "m", "prompt": "secret prompt text", "ip": "198.51.100.23", '
    '"email_domain": "corp.example", "payment_fingerprint": "pm-secret", "input_tokens": -4}',
    '{"request_id": "r3", "timestamp": "not a time", "account_id": "acct-3", "model": "m", '
    '"prompt": "another secret", "ip": "198.51.100.99"}',
    "this line is not JSON and mentions 192.0.2.55",
]


def _log(tmp_path: Path) -> Path:
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(ROWS) + "\n")
    return path


@pytest.mark.slow
def test_a_read_only_out_is_one_line_and_exit_2_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "ro"
    out.mkdir()
    if os.geteuid() == 0:  # root writes through permission bits: use a read-only mount
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(out)],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip("needs a read-only mount")
    else:
        out.chmod(0o555)
    try:
        proc = detect_cli(str(tmp_path / "missing-input.jsonl"), "--out", str(out))
        assert proc.returncode == 2
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
        # --out is checked first: the (missing) input was never looked at
        assert "not writable" in proc.stderr and "missing-input" not in proc.stderr
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(out)], check=False)
        out.chmod(0o755)


def test_an_out_this_run_created_is_removed_on_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    out = tmp_path / "new" / "out"
    with pytest.raises(InputError):
        run_detect([bad], out)
    assert not (tmp_path / "new").exists()
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    with pytest.raises(InputError):
        run_detect([bad], existing)
    assert sorted(p.name for p in existing.iterdir()) == ["keep.txt"]


def test_a_full_disk_while_writing_outputs_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(run.Detections, "write", full)
    with pytest.raises(InputError, match="No space left on device"):
        run_detect([_log(tmp_path)], tmp_path / "out", report=False)


@pytest.mark.slow
def test_rerunning_into_the_same_out_replaces_the_quarantine(tmp_path: Path) -> None:
    log, out = _log(tmp_path), tmp_path / "out"
    for _ in range(2):
        run_detect([log], out, report=False)
        summary = json.loads((out / "summary.json").read_text())
        lines = (out / "quarantine.jsonl").read_text().splitlines()
        assert summary["rows_quarantined"] == len(lines) == 3
        assert "rows_duplicate_conflicting" in summary


@pytest.mark.slow
def test_quarantine_under_hash_key_and_drop_text_keeps_nothing_raw(tmp_path: Path) -> None:
    out = tmp_path / "out"
    privacy = Privacy(hash_key=b"k", drop_text=True)
    run_detect([_log(tmp_path)], out, privacy=privacy, report=False)
    text = (out / "quarantine.jsonl").read_text()
    for secret in ("203.0.113", "198.51.100", "192.0.2.55", "corp.example", "pm-secret", "secret"):
        assert secret not in text, secret
    recs = [json.loads(line) for line in text.splitlines()]
    assert [(r["line"], r["reason"]) for r in recs] == [
        (2, "bad_value:input_tokens"),
        (3, "bad_timestamp:timestamp"),
        (4, "invalid_json"),
    ]
    kept = json.loads(recs[0]["raw"])  # the non-text fields, identifiers as keyed hashes
    assert kept["request_id"] == "r2" and kept["ip"] == privacy.hash_value("198.51.100.23")
    assert "prompt" not in kept


def test_detect_accepts_drop_text_and_memory_limit_flags() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "distillguard", "detect", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--drop-text" in proc.stdout and "--memory-limit" in proc.stdout
    assert "quarantine.jsonl" in proc.stdout
