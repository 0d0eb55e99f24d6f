"""One memory setting for ingest and detect, derived from the machine, never above it."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillguard import resources
from distillguard.errors import ConfigError


def test_the_default_is_a_share_of_what_the_host_has(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(resources.ENV, raising=False)
    monkeypatch.setattr(resources, "physical_memory", lambda: 16 << 30)
    monkeypatch.setattr(resources, "cgroup_limit", lambda: 2 << 30)  # a container's limit wins
    assert resources.memory_limit_bytes() == int((2 << 30) * resources.DEFAULT_SHARE)


def test_a_request_above_the_host_is_lowered_and_env_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(resources, "physical_memory", lambda: 8 << 30)
    monkeypatch.setattr(resources, "cgroup_limit", lambda: None)
    assert resources.memory_limit_bytes("64GB") == 8 << 30
    monkeypatch.setenv(resources.ENV, "50%")
    assert resources.memory_limit_bytes() == 4 << 30
    # DuckDB's buffer pool gets the engine's share; the rest is left to Python.
    assert resources.duckdb_memory_limit("512MiB") == f"{int(512 * resources.ENGINE_SHARE)}MiB"
    assert resources.engine_memory_bytes("4GiB") == int((4 << 30) * resources.ENGINE_SHARE)
    with pytest.raises(ConfigError):
        resources.memory_limit_bytes("lots")


def test_duckdb_gets_the_engine_share_of_a_runs_limit(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from distillguard.checks import contract_log
    from distillguard.engine import EngineSettings, make_engine

    (tmp_path / "log").mkdir()
    pq.write_table(contract_log(), tmp_path / "log" / "part.parquet")
    settings = EngineSettings(workdir=tmp_path / "work", memory_limit="2GiB")
    with make_engine("duckdb", settings) as engine:
        table = engine.open([tmp_path / "log"])
        con = table._find_backend().con
        limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    # DuckDB prints its limit in its own units: 1 GiB is the engine's half of the run's 2 GiB,
    # the other half is left to what detect keeps in Python.
    assert limit == "1.0 GiB"


def test_a_block_over_its_limit_ends_with_a_memory_limit_error() -> None:
    import time

    # This interpreter alone is over 1 MiB: the guard stops the block at its next sample (and
    # never takes the hard way out of this test process, however slowly the block unwinds).
    guard = resources.MemoryGuard(1 << 20, interval=0.05, grace=1e9, hard=float("inf"))
    with (
        pytest.raises(resources.MemoryLimitError, match=r"memory limit .* exceeded"),
        guard,
    ):
        for _ in range(200):
            time.sleep(0.05)
    assert resources.tree_rss() > 0


def _detect(tmp_path: Path, limit: str) -> tuple[int, int, str, Path]:
    """Run ``distillguard detect --memory-limit limit`` on the contract log in a child process:
    (exit code, the child tree's peak resident bytes, its stderr, the out directory)."""
    import os
    import subprocess
    import sys
    import time

    import pyarrow.parquet as pq

    from distillguard.checks import contract_log

    log = tmp_path / "log"
    log.mkdir(exist_ok=True)
    pq.write_table(contract_log(), log / "part.parquet")
    out = tmp_path / f"out-{limit}"
    env = {**os.environ, "PYTHONPATH": str(Path(resources.__file__).parents[1])}
    env.pop(resources.ENV, None)
    cmd = [sys.executable, "-m", "distillguard", "detect", str(log), "--out", str(out)]
    cmd += ["--quiet", "--no-report", "--memory-limit", limit]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # Sampled from /proc, not the child's ``ru_maxrss``: a child forked from a large pytest
    # process is charged the parent's resident pages until it execs.
    peak = 0
    while proc.poll() is None:
        peak = max(peak, resources.tree_rss(proc.pid))
        time.sleep(0.05)
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    proc.stderr.close()
    return proc.returncode, peak, err, out


def test_a_detect_run_stays_within_its_memory_limit(tmp_path: Path) -> None:
    code, peak, err, out = _detect(tmp_path, "2GiB")
    assert code == 0, err
    assert (out / "accounts.csv").exists()
    assert peak < 2 << 30


def test_a_detect_run_over_its_limit_fails_with_one_line_not_a_crash(tmp_path: Path) -> None:
    # Python with the detector's libraries loaded is well over 100 MiB.
    code, _, err, out = _detect(tmp_path, "100MiB")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "memory limit" in lines[0] and "--memory-limit" in lines[0]
    assert "Traceback" not in err
    assert not out.exists()  # a failed run leaves no half-written --out behind


def test_malloc_arenas_are_capped_where_the_c_library_is_glibc() -> None:
    import platform

    if platform.libc_ver()[0] != "glibc":
        assert resources.limit_native_arenas() is False
        return
    # Worker threads then share NATIVE_ARENAS arenas instead of keeping one of freed memory each.
    assert resources.limit_native_arenas() is True
