"""Campaign ids follow the campaign, not its rank: a re-run on a grown log keeps them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from distillguard.campaigns.identity import anchor_id, stable_campaign_ids
from distillguard.pipeline import DetectConfig, run_detect
from distillguard.pipeline.config import load_previous_campaigns
from distillguard.simulate import simulate

SEEN = {a: datetime(2026, 3, 2 + i, tzinfo=UTC) for i, a in enumerate("abcdefgh")}


def test_ids_do_not_depend_on_rank_or_member_order() -> None:
    ids = stable_campaign_ids([["c", "a", "b"], ["e", "d"]], SEEN)
    assert ids == [anchor_id("a"), anchor_id("d")]
    assert stable_campaign_ids([["d", "e"], ["b", "c", "a"]], SEEN) == ids[::-1]


def test_a_grown_campaign_keeps_its_id_and_a_new_one_gets_its_own() -> None:
    before = stable_campaign_ids([["a", "b", "c"]], SEEN)
    after = stable_campaign_ids([["f", "g"], ["a", "b", "c", "h"]], SEEN)
    assert after[1] == before[0]
    assert after[0] not in before


def test_previous_ids_carry_over_to_the_campaign_holding_most_of_their_accounts() -> None:
    previous = {"CASE-7": ["a", "b", "c", "d"], "CASE-9": ["e", "f"]}
    # "b", "c", "d" now sit with a new account "g" (whose first sighting is not the anchor's).
    ids = stable_campaign_ids([["a", "h"], ["b", "c", "d", "g"], ["e", "f"]], SEEN, previous)
    assert ids[1] == "CASE-7"  # three of CASE-7's four accounts
    assert ids[2] == "CASE-9"
    assert ids[0] == anchor_id("a")  # one account left behind: a campaign of its own
    assert len(set(ids)) == 3


def test_no_campaign_and_unknown_first_sightings() -> None:
    assert stable_campaign_ids([], SEEN) == []
    assert stable_campaign_ids([["x", "y"]], {}) == [anchor_id("x")]


@pytest.mark.slow
def test_detect_on_a_log_grown_by_a_week_keeps_the_ids_of_continuing_campaigns(
    tmp_path: Path,
) -> None:
    sim = tmp_path / "sim"
    simulate("benchmark", scale=0.1, seed=3, out=sim, obfuscation=True)
    manifest = json.loads((sim / "manifest.json").read_text())
    end = datetime.fromisoformat(manifest["window_end"].replace("Z", "+00:00"))
    week = end.replace(day=end.day - 7)
    first = run_detect([sim / "requests"], tmp_path / "week1", until=week, report=False)
    grown = run_detect([sim / "requests"], tmp_path / "both", report=False)
    assert first.campaigns and grown.campaigns
    continuing = 0
    for old in first.campaigns:
        mine = set(old.accounts)
        best = max(grown.campaigns, key=lambda c: len(mine & set(c.accounts)))
        if len(mine & set(best.accounts)) * 2 > len(mine):  # most of its accounts continue
            continuing += 1
            assert best.campaign_id == old.campaign_id, (old.accounts, best.accounts)
    assert continuing >= 1
    # With the earlier run named as the previous one, ids carry over by overlap as well.
    previous = load_previous_campaigns(tmp_path / "week1")
    again = run_detect(
        [sim / "requests"],
        tmp_path / "again",
        config=DetectConfig(previous_campaigns=previous),
        report=False,
    )
    for old in first.campaigns:
        mine = set(old.accounts)
        best = max(again.campaigns, key=lambda c: len(mine & set(c.accounts)))
        if len(mine & set(best.accounts)) * 2 > len(mine):
            assert best.campaign_id == old.campaign_id
