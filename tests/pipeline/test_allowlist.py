"""Cleared organisations and accounts (``allow_orgs``, ``allow_accounts``): never flagged, never
queued for review, each saying why; the rest of the log is judged as before."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from distillguard.errors import ConfigError
from distillguard.pipeline import run_detect
from distillguard.pipeline.config import DetectConfig, config_from_dict
from distillguard.simulate import simulate


def _accounts(out: Path) -> dict[str, dict[str, str]]:
    with (out / "accounts.csv").open(newline="") as f:
        return {row["account_id"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sim = tmp_path_factory.mktemp("allow") / "sim"
    simulate("demo", scale=1.0, seed=4, out=sim)
    return sim


def test_cleared_customers_are_never_flagged_and_the_rest_is_judged_as_before(
    log: Path, tmp_path: Path
) -> None:
    before = tmp_path / "before"
    run_detect([log / "requests"], before, quiet=True)
    doc = json.loads((before / "campaigns.json").read_text())
    assert len(doc["campaigns"]) >= 2
    # Clear the organisations of the largest campaign (a contracted dataset customer, say).
    largest = max(doc["campaigns"], key=lambda c: c["account_count"])
    members = set(largest["accounts"])
    rows = pq.read_table(log / "requests", columns=["account_id", "org_id"]).to_pylist()
    orgs = sorted({r["org_id"] for r in rows if r["account_id"] in members and r["org_id"]})
    no_org = sorted(members - {r["account_id"] for r in rows if r["org_id"] in set(orgs)})
    cleared = {r["account_id"] for r in rows if r["org_id"] in set(orgs)} | set(no_org)

    after = tmp_path / "after"
    run_detect(
        [log / "requests"],
        after,
        quiet=True,
        config=DetectConfig(allow_orgs=orgs, allow_accounts=no_org),
    )
    verdicts = _accounts(after)
    for account in cleared:
        assert verdicts[account]["flagged"] == "false"
        assert verdicts[account]["campaign_id"] == ""
        assert "allowlisted" in verdicts[account]["reasons"]
    result = json.loads((after / "campaigns.json").read_text())
    assert not any(cleared & set(c["accounts"]) for c in result["campaigns"])
    assert not any(cleared & set(item["accounts"]) for item in result["review"])
    summary = json.loads((after / "summary.json").read_text())
    assert summary["allowlisted_accounts"] == len(cleared)
    # The other campaigns are still found.
    others = {a for c in doc["campaigns"] if c is not largest for a in c["accounts"]} - cleared
    still = sum(verdicts[a]["flagged"] == "true" for a in others)
    assert still >= 0.9 * len(others)


def test_an_allowlist_must_be_a_list_of_ids() -> None:
    with pytest.raises(ConfigError, match="allow_orgs"):
        config_from_dict({"allow_orgs": "org_1"})
    with pytest.raises(ConfigError, match="allow_accounts"):
        config_from_dict({"allow_accounts": [1, 2]})
