"""Engine registry and the Spark engine's argument checks (no Spark session needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillguard.engine import ENGINES, EngineSettings, make_engine
from distillguard.errors import ConfigError, InputError
from distillguard.ingest import Privacy


def test_registry_names_both_engines() -> None:
    assert set(ENGINES) == {"duckdb", "spark"}
    with pytest.raises(ConfigError, match="unknown engine"):
        make_engine("presto", EngineSettings(workdir=Path(".")))


def test_spark_engine_refuses_what_it_cannot_honour(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("{}\n")
    spark = make_engine("spark", EngineSettings(workdir=tmp_path))
    with pytest.raises(ConfigError, match="Parquet only"):
        spark.open([log])
    with pytest.raises(InputError, match="no such file"):
        spark.open([tmp_path / "missing.parquet"])
    keyed = EngineSettings(workdir=tmp_path, privacy=Privacy(hash_key=b"k"))
    with pytest.raises(ConfigError, match="does not hash"):
        make_engine("spark", keyed).open([tmp_path])
