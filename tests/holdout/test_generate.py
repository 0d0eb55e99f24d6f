"""Smoke test of the independent holdout generator at a tiny scale."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from benchmarks.holdout.generate import generate
from benchmarks.holdout.populations import grid_slices

from distillguard.schema import REQUEST_LABELS_SCHEMA, REQUEST_SCHEMA

SCALE = 0.03
pytestmark = pytest.mark.slow  # three small worlds: about half a minute on a shared machine


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("holdout") / "a"
    generate(5, d, scale=SCALE, days=10)
    return d


def _labels(d: Path) -> list[dict[str, str]]:
    with open(d / "labels.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_parts_have_exactly_the_request_schema(out: Path) -> None:
    parts = sorted((out / "requests").glob("part-*.parquet"))
    assert parts
    for p in parts:
        assert pq.read_schema(p).equals(REQUEST_SCHEMA, check_metadata=False)
    log = ds.dataset(out / "requests").to_table()
    assert log.num_rows > 1000
    assert pc.count_distinct(log["request_id"]).as_py() == log.num_rows
    for name in ("org_id", "ip", "tls_fingerprint", "conversation_id", "response"):
        assert 0 < log[name].null_count < log.num_rows, name  # optional fields sometimes null
    assert set(pc.unique(log["status"].drop_null()).to_pylist()) <= {"ok", "error", "refused"}


def test_every_account_labelled_once_and_attack_requests_only_in_attack_accounts(out: Path) -> None:
    labels = _labels(out)
    ids = [r["account_id"] for r in labels]
    assert len(ids) == len(set(ids))
    log = ds.dataset(out / "requests").to_table(columns=["request_id", "account_id"])
    assert set(pc.unique(log["account_id"]).to_pylist()) == set(ids)
    assert {r["label"] for r in labels} == {"attack", "benign"}
    assert all(bool(r["campaign_id"]) == (r["label"] == "attack") for r in labels)

    req = pq.read_table(out / "request_labels.parquet")
    assert req.schema.equals(REQUEST_LABELS_SCHEMA, check_metadata=False)
    assert req.num_rows == log.num_rows
    joined = log.join(req, "request_id")
    attackers = {r["account_id"] for r in labels if r["label"] == "attack"}
    attack_rows = joined.filter(pc.equal(joined["label"], "attack"))
    assert set(pc.unique(attack_rows["account_id"]).to_pylist()) <= attackers
    campaign_of = {r["account_id"]: r["campaign_id"] for r in labels}
    pairs = zip(
        attack_rows["account_id"].to_pylist(), attack_rows["campaign_id"].to_pylist(), strict=True
    )
    assert all(campaign_of[a] == c for a, c in pairs)
    benign_rows = joined.filter(pc.equal(joined["label"], "benign"))
    # the hydra network carries genuine traffic too: some attack accounts have benign requests
    assert set(pc.unique(benign_rows["account_id"]).to_pylist()) & attackers
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["requests"] == log.num_rows
    assert len(manifest["campaigns"]) >= 3
    assert "hc-sweep" in manifest["campaigns"]


def test_same_seed_same_output_other_seed_differs(out: Path, tmp_path: Path) -> None:
    generate(5, tmp_path / "b", scale=SCALE, days=10)
    generate(6, tmp_path / "c", scale=SCALE, days=10)
    a = ds.dataset(out / "requests").to_table()
    b = ds.dataset(tmp_path / "b" / "requests").to_table()
    c = ds.dataset(tmp_path / "c" / "requests").to_table()
    assert a.equals(b)
    assert (out / "labels.csv").read_bytes() == (tmp_path / "b" / "labels.csv").read_bytes()
    assert not a.equals(c)


def _log_with_labels(d: Path) -> pa.Table:
    log = ds.dataset(d / "requests").to_table()
    labels = pa.Table.from_pylist(_labels(d))
    return log.join(labels, "account_id")


def test_agentic_sweep_is_one_shot_spread_over_unrelated_orgs(out: Path) -> None:
    t = _log_with_labels(out)
    sweep = t.filter(pc.equal(t["campaign_id"], "hc-sweep"))
    accounts = pc.count_distinct(sweep["account_id"]).as_py()
    assert accounts >= 6
    # ordinary-looking: every account its own organisation, about a hundred requests a month
    assert pc.count_distinct(sweep["org_id"].drop_null()).as_py() == accounts
    per_account = sweep.num_rows / accounts
    assert 15 < per_account < 120
    # no tool loop: each request opens its own conversation, yet most define tools
    assert set(pc.unique(sweep["turn_index"].drop_null()).to_pylist()) == {0}
    conv = sweep["conversation_id"].drop_null()
    assert pc.count_distinct(conv).as_py() == len(conv)
    assert pc.mean(pc.greater(sweep["tool_count"].drop_null(), 0)).as_py() > 0.4
    # a handful of wrappers, each shared by accounts of several organisations
    by_prompt = sweep.group_by("system_prompt").aggregate([("org_id", "count_distinct")])
    assert 1 <= by_prompt.num_rows - by_prompt["system_prompt"].null_count <= 5
    assert max(by_prompt["org_id_count_distinct"].to_pylist()) >= 3


def test_agentic_hard_negatives_run_real_tool_loops(out: Path) -> None:
    t = _log_with_labels(out)
    for persona in ("oss_agent", "harness_team"):
        rows = t.filter(pc.equal(t["persona"], persona))
        assert rows.num_rows > 200, persona
        assert set(pc.unique(rows["label"]).to_pylist()) == {"benign"}
        assert pc.max(rows["turn_index"]).as_py() >= 5, persona  # tool results come back
        assert pc.min(rows["tool_count"]).as_py() > 0, persona
    oss = t.filter(pc.equal(t["persona"], "oss_agent"))
    by_prompt = oss.group_by("system_prompt").aggregate([("org_id", "count_distinct")])
    assert max(by_prompt["org_id_count_distinct"].to_pylist()) >= 8  # one default prompt
    harness = t.filter(pc.equal(t["persona"], "harness_team"))
    assert pc.count_distinct(harness["org_id"].drop_null()).as_py() >= 3
    assert set(pc.unique(harness["temperature"].drop_null()).to_pylist()) == {0.0}
    assert "helix-4.5" in pc.unique(harness["model"]).to_pylist()  # swept soon after release


def test_sweep_accounts_tile_the_task_grid_without_overlap() -> None:
    env = np.repeat(np.arange(7), [40, 3, 90, 12, 5, 60, 30])  # uneven environments
    cells, size, slot = grid_slices(env, 25, np.random.default_rng(3))
    assert sorted(cells.tolist()) == list(range(len(env) * 3))  # every cell exactly once
    walked = [set(cells[s * size : (s + 1) * size].tolist()) for s in slot]
    assert all(len(x) == size for x in walked)
    assert len(set().union(*walked)) == size * 25  # no two accounts share a cell
    # a slice stays within few environments (complementary slices of one space)
    assert max(len(set((env[np.array(list(x)) // 3]).tolist())) for x in walked) <= 3
