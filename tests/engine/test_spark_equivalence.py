"""The Spark engine finds what the DuckDB engine finds, on the same simulated log."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.engine import EngineSettings, make_engine
from distillguard.engine.tables import conform
from distillguard.linkage import DenseBlockLinker, LinkContext
from distillguard.pipeline.run import run_detect
from distillguard.simulate import simulate

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "sim"
    simulate("benchmark", scale=0.1, seed=0, out=out)
    return out / "requests"


def _outputs(out: Path) -> tuple[dict[str, dict[str, str]], list[dict[str, Any]]]:
    with open(out / "accounts.csv", newline="") as fh:
        accounts = {r["account_id"]: r for r in csv.DictReader(fh)}
    campaigns = json.loads((out / "campaigns.json").read_text())["campaigns"]
    return accounts, campaigns


def test_spark_and_duckdb_flag_the_same_accounts_and_campaigns(
    spark: Any, log: Path, tmp_path: Path
) -> None:
    run_detect([log], tmp_path / "duck", report=False)
    run_detect([log], tmp_path / "spark", report=False, engine="spark")
    duck_acc, duck_camp = _outputs(tmp_path / "duck")
    spark_acc, spark_camp = _outputs(tmp_path / "spark")

    assert duck_acc.keys() == spark_acc.keys()
    flagged = {a for a, r in duck_acc.items() if r["flagged"] == "true"}
    assert flagged, "the simulated log should contain campaigns to find"
    assert flagged == {a for a, r in spark_acc.items() if r["flagged"] == "true"}
    for a, r in duck_acc.items():
        assert float(spark_acc[a]["score"]) == pytest.approx(float(r["score"]), abs=1e-3), a

    def sets(campaigns: list[dict[str, Any]]) -> set[frozenset[str]]:
        return {frozenset(c["accounts"]) for c in campaigns}

    assert duck_camp and sets(duck_camp) == sets(spark_camp)
    by_members = {frozenset(c["accounts"]): c for c in duck_camp}
    for c in spark_camp:
        d = by_members[frozenset(c["accounts"])]
        assert (c["exchanges"], c["first_seen"], c["last_seen"]) == (
            d["exchanges"],
            d["first_seen"],
            d["last_seen"],
        )

        # Text signals ran on the executors: same shared prompt templates, same capability mix.
        def templates(camp: dict[str, Any]) -> list[Any]:
            return [i for i in camp["indicators"] if i["kind"] == "prompt_template"]

        assert templates(c) == templates(d)

        # Every indicator's prevalence is an engine query: the same figures on both engines.
        def prevalence(camp: dict[str, Any]) -> list[tuple[Any, ...]]:
            keys = ("kind", "value", "accounts_in_campaign", "accounts_in_log", "blockable")
            return [tuple(i[k] for k in keys) for i in camp["indicators"]]

        assert prevalence(c) == prevalence(d)
        assert c["capabilities"].keys() == d["capabilities"].keys()
        for cap, share in d["capabilities"].items():
            assert c["capabilities"][cap] == pytest.approx(share, abs=2e-4), cap
    summary = json.loads((tmp_path / "spark" / "summary.json").read_text())
    assert summary["engine"] == "spark" and summary["rows_stored"] == summary["rows_read"]


def test_spark_engine_quarantines_the_rows_ingest_would(spark: Any, tmp_path: Path) -> None:
    # Times in 2026 (a time before 2000 is itself a reason to quarantine).
    t0 = 1_780_000_000
    rows = pa.table(
        {
            "request_id": ["r1", "r2", "r3", "r4", "r4"],
            "timestamp": pa.array([t0 + i for i in (1, 2, 3, 4, 4)], pa.timestamp("s", tz="UTC")),
            "account_id": ["a", None, "b", "c", "c"],
            "model": ["m", "m", "   ", "m", "m"],
            "prompt": ["hello", "hi", None, "ok", "ok"],  # a row without text is valid
            "ip": ["203.0.113.7", None, None, "2001:0db8:0001:0002::1", "2001:0db8:0001:0002::1"],
            "status": ["ok", "ok", "ok", "OK ", "OK "],
        }
    )
    path = tmp_path / "log.parquet"
    pq.write_table(rows, path)
    stats = {}
    for name in ("duckdb", "spark"):
        settings = EngineSettings(
            workdir=tmp_path / name, quarantine_path=tmp_path / f"{name}.jsonl"
        )
        with make_engine(name, settings) as engine:
            table = engine.open([path])
            kept = table.select("request_id", "ip_prefix", "status").to_pyarrow()
            stats[name] = (engine.stats, sorted(kept.to_pylist(), key=lambda r: r["request_id"]))
    duck, spark_ = stats["duckdb"], stats["spark"]
    assert spark_[0].reasons == duck[0].reasons == {"missing:account_id": 1, "missing:model": 1}
    assert (spark_[0].rows_read, spark_[0].rows_stored, spark_[0].rows_duplicate) == (5, 2, 1)
    assert spark_[1] == duck[1]
    bad = [json.loads(line) for line in (tmp_path / "spark.jsonl").read_text().splitlines()]
    assert sorted(r["reason"] for r in bad) == ["missing:account_id", "missing:model"]


def test_dense_blocks_are_the_same_on_both_engines(spark: Any, log: Path, tmp_path: Path) -> None:
    """The dense-block linker is not in the default set, so the end-to-end check above does not
    cover it: its engine-side tensor must still be identical on Spark."""
    found = {}
    for name in ("duckdb", "spark"):
        with make_engine(name, EngineSettings(workdir=tmp_path / name)) as engine:
            t = conform(engine.open([log]))
            ids = sorted(
                pa.Table.to_pydict(t.select("account_id").distinct().to_pyarrow())["account_id"]
            )
            accounts = pl.DataFrame({"account_id": ids, "idx": np.arange(len(ids))})
            linker = DenseBlockLinker(modes=("ip_prefix", "hour"))
            edges = linker.link(LinkContext(t, accounts, pl.DataFrame())).sort(["a", "b"])
            found[name] = (
                edges,
                [(b["shape"], round(float(b["density"]), 6)) for b in linker.blocks],
            )  # type: ignore[arg-type]
    assert found["duckdb"][1] and found["duckdb"][1] == found["spark"][1]
    assert found["duckdb"][0].equals(found["spark"][0])
