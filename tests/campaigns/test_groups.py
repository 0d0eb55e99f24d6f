"""Campaign groups on a log of many light users: a campaign the first pass finds is never lost
to a large, loosely linked crowd that a merge or attachment would fold into it."""

from __future__ import annotations

import numpy as np
import polars as pl

from distillguard.campaigns.cluster import clustering_weights, fuse_edges
from distillguard.campaigns.decide import score_communities
from distillguard.campaigns.stage import AccountGraph, split_operations
from distillguard.linkage.base import pairs_within_groups
from distillguard.pipeline import DetectConfig
from distillguard.pipeline.detect import group_accounts

CFG = DetectConfig().check()
N_CAMPAIGN, N_CROWD, N_QUIET = 30, 300, 50


def _world(crowd_spread: float) -> tuple[pl.DataFrame, dict[str, np.ndarray], pl.DataFrame]:
    """A campaign of 30 accounts tied by strong links of three families, and a crowd of 300
    ordinary accounts (each its own organisation) tied by faint links of three other families,
    harvesting moderately, whose behaviour varies by ``crowd_spread`` (output budget), plus 50
    accounts tied to no one."""
    n = N_CAMPAIGN + N_CROWD + N_QUIET
    campaign = np.arange(N_CAMPAIGN)
    crowd = np.arange(N_CAMPAIGN, N_CAMPAIGN + N_CROWD)
    rows: list[tuple[int, int, str, float]] = []
    for k, family in enumerate(("network", "payment", "template")):
        i, j = pairs_within_groups(np.zeros(N_CAMPAIGN, np.int64), fanout=8, seed=k)
        rows += [
            (int(campaign[x]), int(campaign[y]), family, 0.9) for x, y in zip(i, j, strict=True)
        ]
    for k, family in enumerate(("system_prompt", "template", "client")):
        i, j = pairs_within_groups(np.zeros(N_CROWD, np.int64), fanout=6, seed=10 + k)
        rows += [(int(crowd[x]), int(crowd[y]), family, 0.45) for x, y in zip(i, j, strict=True)]
    a, b, families, w = zip(*rows, strict=True)
    edges = pl.DataFrame(
        {"a": np.minimum(a, b), "b": np.maximum(a, b), "family": families, "weight": w}
    )
    harvest = np.full(n, 0.1)
    harvest[campaign], harvest[crowd] = 0.85, 0.5
    rng = np.random.default_rng(0)
    budget = harvest * 1000 + np.where(harvest < 0.8, rng.normal(0, crowd_spread, n), 0.0)
    accounts = pl.DataFrame(
        {
            "account_id": [f"acct-{k:03d}" for k in range(n)],
            "org_id": [f"org-{k:03d}" for k in range(n)],
            "harvest": harvest,
            "max_tokens_mean": budget,
        }
    )
    levels = {"trace_share": harvest.copy(), "elicitation_share": harvest.copy()}
    fused = fuse_edges(edges, CFG.cluster.reliability)
    weighted = clustering_weights(fused, accounts["org_id"], harvest, CFG.cluster)
    return accounts, levels, weighted


def _flagged(crowd_spread: float) -> tuple[np.ndarray, np.ndarray]:
    """Final group label per account, and which accounts the decision stage would flag."""
    accounts, levels, weighted = _world(crowd_spread)
    groups = group_accounts(AccountGraph(weighted, {}, accounts.height), accounts, levels, CFG)
    flagged = np.zeros(accounts.height, dtype=bool)
    for members, _ in score_communities(groups.labels, accounts, levels, weighted, CFG):
        flagged[members] = True
    return groups.labels, flagged


def test_a_campaign_is_not_lost_to_a_crowd_that_resembles_it() -> None:
    # The crowd's behaviour varies so widely that the campaign is "within one spread" of it:
    # joining them would give one group scoring far under the threshold.
    labels, flagged = _flagged(crowd_spread=600.0)
    assert flagged[:N_CAMPAIGN].all()
    assert len(np.unique(labels[:N_CAMPAIGN])) == 1, "the campaign stays one group"
    assert not flagged[N_CAMPAIGN:].any()


def test_a_campaign_unlike_the_crowd_is_found_as_before() -> None:
    labels, flagged = _flagged(crowd_spread=50.0)
    assert flagged[:N_CAMPAIGN].all()
    assert len(np.unique(labels[:N_CAMPAIGN])) == 1
    assert not flagged[N_CAMPAIGN:].any()


def test_a_regrouped_group_of_two_distinct_operations_is_split_back() -> None:
    # The regrouping put four first-search communities in one group: 0 and 1 are two fleets of
    # one operation (alike profiles), 2 and 3 another operation that behaves differently.
    rng = np.random.default_rng(7)
    centres = [0.0, 0.0, 4.0, 4.0]
    profiles = np.vstack([rng.normal(c, 1.0, (30, 12)) for c in centres])
    first = np.repeat(np.arange(4), 30)
    regrouped = np.zeros(120, dtype=np.int64)
    out = split_operations(regrouped, first, profiles, max_difference=1.0, quantile=0.9)
    assert len(np.unique(out[:60])) == 1 and len(np.unique(out[60:])) == 1
    assert out[0] != out[60], "two operations, two groups"
    # One operation's pieces regrouped together stay one group.
    same = split_operations(
        regrouped[:60], first[:60], profiles[:60], max_difference=1.0, quantile=0.9
    )
    assert (same == 0).all()
