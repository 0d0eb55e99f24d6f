"""An agentic-harvesting campaign is found and explained by what it does — whole trajectories in
one response, pasted project state, tools without a loop — in real units with example requests,
while agent users with real tool loops, shared benchmark harnesses and a trajectory-dataset
customer stay unflagged."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from distillguard.pipeline.run import run_detect
from distillguard.simulate import simulate

pytestmark = pytest.mark.slow

HARD_NEGATIVES = ("oss_agent_user", "harness_runner", "trajectory_dataset", "coding_agent")


@pytest.fixture(scope="module")
def detected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("agentic")
    simulate("benchmark", scale=0.3, seed=3, out=root / "sim")
    run_detect([root / "sim" / "requests"], root / "out", report=False)
    return root / "sim", root / "out"


def _labels(sim: Path) -> dict[str, dict[str, str]]:
    with open(sim / "labels.csv", newline="") as fh:
        return {r["account_id"]: r for r in csv.DictReader(fh)}


def test_the_campaign_is_explained_by_its_agentic_behaviour(detected: tuple[Path, Path]) -> None:
    sim, out = detected
    labels = _labels(sim)
    campaigns: list[dict[str, Any]] = json.loads((out / "campaigns.json").read_text())["campaigns"]
    planted = {a for a, r in labels.items() if r["campaign_id"] == "agentic-harvest"}
    assert planted
    best = max(campaigns, key=lambda c: len(planted & set(c["accounts"])))
    assert len(planted & set(best["accounts"])) >= 0.8 * len(planted)
    evidence = {e["signal"]: e for e in best["evidence"]}
    for signal in ("behaviour.trajectory_share", "behaviour.tools_without_loop"):
        assert signal in evidence, sorted(evidence)
        observed = evidence[signal]["observed"]
        assert observed["unit"].startswith("share of")
        assert observed["campaign_median"] > observed["population_median"] + 0.2
    assert evidence["behaviour.trajectory_share"]["request_ids"]


def test_agents_with_real_loops_and_harness_runners_stay_unflagged(
    detected: tuple[Path, Path],
) -> None:
    sim, out = detected
    labels = _labels(sim)
    with open(out / "accounts.csv", newline="") as fh:
        flagged = Counter(
            labels[r["account_id"]]["persona"]
            for r in csv.DictReader(fh)
            if r["flagged"] == "true" and labels[r["account_id"]]["label"] == "benign"
        )
    totals = Counter(r["persona"] for r in labels.values())
    for persona in HARD_NEGATIVES:
        if totals[persona]:
            assert flagged[persona] <= 0.005 * totals[persona], (persona, flagged[persona])
