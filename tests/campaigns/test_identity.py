"""Campaign ids follow the campaign, not its rank: a re-run on a grown log keeps them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
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
    first_seen = dict(
        duckdb.sql(
            f"SELECT account_id, min(timestamp) FROM read_parquet('{sim}/requests/**/*.parquet') "
            "GROUP BY account_id"
        ).fetchall()
    )
    continuing = kept = 0
    for old in first.campaigns:
        mine = set(old.accounts)
        best = max(grown.campaigns, key=lambda c: len(mine & set(c.accounts)))
        if len(mine & set(best.accounts)) * 2 > len(mine):  # most of its accounts continue
            continuing += 1
            # The documented limit of a stateless id: a campaign that grows to take in an
            # account seen before its old anchor is anchored there (use --previous to keep it).
            seen = first_seen
            earlier = min(best.accounts, key=lambda a: (seen[a], a))
            anchor = min(old.accounts, key=lambda a: (seen[a], a))
            if (seen[earlier], earlier) < (seen[anchor], anchor):
                assert best.campaign_id == anchor_id(earlier)
            else:
                kept += 1
                assert best.campaign_id == old.campaign_id, (old.accounts, best.accounts)
    assert continuing >= 1 and kept >= 1
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
        overlap = len(mine & set(best.accounts))
        # It keeps the id, unless two earlier campaigns merged: then the one sharing more
        # accounts with it gave its id.
        if overlap * 2 > len(mine) and best.campaign_id != old.campaign_id:
            winner = set(previous[best.campaign_id])
            assert len(winner & set(best.accounts)) >= overlap, (old.accounts, best.accounts)
