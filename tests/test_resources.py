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
