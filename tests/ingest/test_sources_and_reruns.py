"""Directory inputs follow symlinks (without looping) and never skip what they cannot read;
a repeated or resumed ingest never writes the same bad row twice; a full disk is reported as
such and leaves a workspace that a later run completes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from distillguard.errors import InputError
from distillguard.ingest import Workspace, expand_sources

ROW = (
    '{{"request_id": "{i}", "timestamp": "2026-02-01T00:00:00Z", "account_id": "a", '
    '"model": "m", "prompt": "p"}}\n'
)


def _log(path: Path, ids: range, bad: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(ROW.format(i=i) for i in ids) + "not json\n" * bad
    path.write_text(text)
    return path


def test_symlinked_directories_are_followed_once_even_in_a_loop(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "logs", tmp_path / "elsewhere"
    _log(root / "day1" / "a.jsonl", range(2))
    _log(elsewhere / "b.jsonl", range(2, 4))
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "back").symlink_to(root, target_is_directory=True)  # a loop
    found = expand_sources([root])
    assert sorted(p.name for p in found) == ["a.jsonl", "b.jsonl"]


def test_an_unreadable_directory_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "logs"
    _log(root / "ok" / "a.jsonl", range(2))
    locked = root / "locked"
    _log(locked / "b.jsonl", range(2, 4))
    if os.geteuid() == 0:  # root reads anything: make the OS refuse it as it would a user
        real = os.scandir

        def scandir(path: object = ".") -> object:
            if Path(str(path)) == locked:
                raise PermissionError(13, "Permission denied", str(path))
            return real(path)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "scandir", scandir)
    else:
        locked.chmod(0)
    try:
        with pytest.raises(InputError, match="Permission denied") as err:
            expand_sources([root])
        assert str(locked) in str(err.value) and "\n" not in str(err.value)
    finally:
        locked.chmod(0o755)


def test_a_repeated_ingest_never_quarantines_a_row_twice(tmp_path: Path) -> None:
    log = _log(tmp_path / "log.jsonl", range(5), bad=3)
    ws = Workspace(tmp_path / "ws")
    first = ws.ingest([log])
    second = ws.ingest([log])  # e.g. resumed after being killed
    assert (first.rows_stored, first.rows_quarantined) == (5, 3)
    assert (second.rows_stored, second.rows_quarantined, second.rows_duplicate) == (0, 0, 8)
    lines = [line for f in (tmp_path / "ws" / "quarantine").glob("*.jsonl") for line in f.open()]
    assert len(lines) == 3


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@pytest.mark.slow
def test_a_full_disk_is_reported_and_a_later_run_completes(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "2m"):
        pytest.skip("needs root and tmpfs to simulate a full disk")
    try:
        prompt = "x" * 300
        rows = [ROW.format(i=i).replace('"p"', f'"{prompt}{i}"') for i in range(20_000)]
        log = tmp_path / "big.jsonl"
        log.write_text("".join(rows))
        cmd = [sys.executable, "-m", "distillguard", "ingest", str(log), "--workspace"]
        for _ in range(2):  # the second run is started while the disk is still full
            proc = subprocess.run(
                [*cmd, str(disk / "ws"), "--batch-size", "2000"],
                capture_output=True,
                text=True,
                check=False,
            )
            assert proc.returncode == 2
            assert proc.stderr.count("\n") == 1 and "No space left on device" in proc.stderr
            assert "rollback" not in proc.stderr.lower()
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        proc = subprocess.run([*cmd, str(disk / "ws")], capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
        con = Workspace(disk / "ws").connect(read_only=True)
        assert con.execute(
            "SELECT count(*), count(DISTINCT request_id) FROM requests"
        ).fetchone() == (
            20_000,
            20_000,
        )
        con.close()
        assert json.loads(proc.stdout)["rows_read"] == 20_000
    finally:
        subprocess.run(["umount", str(disk)], check=False)
