"""The stage functions wired by detect find a small operator's fleet end to end, on a log whose
optional fields are partly null (no organisation for the fleet), and run options old and new
give the same result."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from distillguard.checks import contract_log
from distillguard.pipeline import RunOptions, run_detect


def test_the_fleet_is_one_campaign_and_nobody_else_is_flagged(tmp_path: Path) -> None:
    log = contract_log(null_prompts=False)
    (tmp_path / "log").mkdir()
    pq.write_table(log, tmp_path / "log" / "part.parquet")
    found = run_detect([tmp_path / "log"], tmp_path / "a", RunOptions(report=False))
    fleet = {a for a in log["account_id"].to_pylist() if a.startswith("fleet")}
    assert {v.account_id for v in found.accounts if v.flagged} == fleet
    assert [set(c.accounts) for c in found.campaigns] == [fleet]
    # the keywords of earlier versions still work and give the same verdicts and ids
    again = run_detect([tmp_path / "log"], tmp_path / "b", report=False, memory_limit="1GB")
    assert [c.campaign_id for c in again.campaigns] == [c.campaign_id for c in found.campaigns]
