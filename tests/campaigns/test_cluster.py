"""Evidence fusion and community rules: what makes a campaign and what never does."""

from __future__ import annotations

import numpy as np
import polars as pl

from distillguard.accounts.score import org_excess
from distillguard.campaigns.cluster import (
    ClusterConfig,
    attach_periphery,
    clustering_weights,
    find_communities,
    fuse_edges,
    merge_lookalikes,
)
from distillguard.campaigns.score import score_community
from distillguard.linkage import build_linkers, reliability

# The families' reliabilities as the default linkers declare them.
DEFAULT_RELIABILITY = reliability(build_linkers())


def _edges(rows: list[tuple[int, int, str, float]]) -> pl.DataFrame:
    a, b, family, weight = zip(*rows, strict=True)
    return pl.DataFrame({"a": a, "b": b, "family": family, "weight": weight})


def test_one_family_never_exceeds_its_reliability_and_families_add_up() -> None:
    fused = fuse_edges(
        _edges([(0, 1, "network", 1.0), (2, 3, "network", 1.0), (2, 3, "payment", 1.0)]),
        DEFAULT_RELIABILITY,
    ).sort("a")
    only_network, both = fused["fused"].to_list()
    assert only_network == DEFAULT_RELIABILITY["network"]
    assert both > max(DEFAULT_RELIABILITY["network"], DEFAULT_RELIABILITY["payment"])


def test_links_inside_one_organisation_are_discounted() -> None:
    fused = fuse_edges(_edges([(0, 1, "payment", 1.0), (1, 2, "payment", 1.0)]), {"payment": 0.5})
    orgs = np.array(["acme", "acme", "other"], dtype=object)
    harvest = np.ones(3)
    w = clustering_weights(fused, orgs, harvest, ClusterConfig(same_org_discount=0.25)).sort("a")
    assert w["same_org"].to_list() == [True, False]
    assert w["weight"].to_list() == [0.125, 0.5]


def test_link_weight_follows_how_much_both_ends_harvest() -> None:
    fused = fuse_edges(_edges([(0, 1, "payment", 1.0), (2, 3, "payment", 1.0)]), {"payment": 0.5})
    orgs = np.array([None] * 4, dtype=object)
    harvest = np.array([0.9, 0.9, 0.9, 0.1])
    w = clustering_weights(fused, orgs, harvest, ClusterConfig()).sort("a")["weight"].to_list()
    assert w[0] > 2 * w[1]


def test_periphery_joins_the_campaign_its_links_lead_into() -> None:
    labels = np.array([0, 0, 0, 0, -1, -1, -1])
    rows = [(i, j, 0.5) for i in range(4) for j in range(i + 1, 4)]
    rows += [(4, j, 0.3) for j in range(4)]  # many links into the campaign
    rows += [(5, 0, 0.2), (5, 6, 0.9)]  # mostly linked elsewhere
    a, b, w = zip(*rows, strict=True)
    weighted = pl.DataFrame({"a": a, "b": b, "weight": w})
    out = attach_periphery(weighted, labels)
    assert out.tolist() == [0, 0, 0, 0, 0, -1, -1]


def test_links_spread_over_unrelated_light_users_do_not_outweigh_one_campaign() -> None:
    # Account 4 (a low-and-slow member) links into the campaign at 0.9 in all, and at 0.1 each
    # to 20 light users who share its home network or a template but nothing else. Against
    # their sum (2.0) the campaign's pull is too weak; against the strongest single other pull
    # it leads. Account 5 pulls harder into a community of its own (6-8) and stays out.
    labels = np.array([0, 0, 0, 0] + [-1] * 25)
    groups = np.array([0, 0, 0, 0, -1, -1, 1, 1, 1] + [-1] * 20)
    rows = [(i, j, 0.5) for i in range(4) for j in range(i + 1, 4)]
    rows += [(4, j, 0.3) for j in range(3)]
    rows += [(4, 9 + k, 0.1) for k in range(20)]
    rows += [(5, 0, 0.3), (5, 1, 0.3), (5, 6, 0.5), (5, 7, 0.5), (5, 8, 0.5), (6, 7, 0.5)]
    a, b, w = zip(*rows, strict=True)
    weighted = pl.DataFrame({"a": a, "b": b, "weight": w})
    assert attach_periphery(weighted, labels)[4] == -1, "against the sum of all other links"
    out = attach_periphery(weighted, labels, groups=groups)
    assert out[4] == 0
    assert out[5] == -1
    assert (out[6:] == -1).all()


def test_faint_links_do_not_add_up_to_a_pull_into_a_campaign() -> None:
    # Account 4 has hundreds of faint links (a common prompt template) into the campaign and
    # one real link elsewhere: with the noise floor it stays out, without it it would join.
    labels = np.array([0] * 200 + [-1, -1])
    rows = [(i, i + 1, 0.5) for i in range(199)]
    rows += [(200, j, 0.005) for j in range(200)]
    rows += [(200, 201, 0.4)]
    a, b, w = zip(*rows, strict=True)
    weighted = pl.DataFrame({"a": a, "b": b, "weight": w})
    assert attach_periphery(weighted, labels)[200] == 0
    assert attach_periphery(weighted, labels, min_edge=0.02)[200] == -1


def test_a_lookalike_of_a_campaigns_cover_traffic_is_not_attached() -> None:
    # Both outsiders link into the campaign alike; only the one that itself harvests joins.
    labels = np.array([0, 0, 0, 0, -1, -1])
    rows = [(i, j, 0.5) for i in range(4) for j in range(i + 1, 4)]
    rows += [(4, j, 0.3) for j in range(4)] + [(5, j, 0.3) for j in range(4)]
    a, b, w = zip(*rows, strict=True)
    weighted = pl.DataFrame({"a": a, "b": b, "weight": w})
    harvest = np.array([0.7, 0.75, 0.8, 0.72, 0.74, 0.3])
    out = attach_periphery(weighted, labels, harvest=harvest)
    assert out.tolist() == [0, 0, 0, 0, 0, -1]


def test_a_member_of_the_campaigns_lower_tail_is_attached() -> None:
    # Twenty members harvest 0.50-0.90; the outsider, linked like them, harvests 0.51: less than
    # the campaign's 5 % quantile but as much as its least-harvesting member. It is the same
    # operation's lower tail, not cover traffic (which harvests like ordinary accounts).
    labels = np.array([0] * 20 + [-1, -1])
    rows = [(i, j, 0.5) for i in range(20) for j in range(i + 1, 20)]
    rows += [(20, j, 0.5) for j in range(10)] + [(21, j, 0.5) for j in range(10)]
    a, b, w = zip(*rows, strict=True)
    weighted = pl.DataFrame({"a": a, "b": b, "weight": w})
    harvest = np.concatenate([np.linspace(0.5, 0.9, 20), [0.51, 0.3]])
    assert attach_periphery(weighted, labels, harvest=harvest).tolist()[20:] == [0, -1]
    assert attach_periphery(weighted, labels, harvest=harvest, harvest_quantile=0.05)[20] == -1


def _fleets(rng: np.random.Generator, centres: list[float], size: int = 40) -> np.ndarray:
    """Accounts' standardised profiles (12 columns), one fleet per centre."""
    return np.vstack([rng.normal(c, 1.0, (size, 12)) for c in centres])


def test_fleets_running_the_same_workload_merge_into_one_campaign() -> None:
    rng = np.random.default_rng(3)
    z = _fleets(rng, [0.0, 0.0, 4.0])
    z[40:80, 0] += 6.0  # the second fleet uses another output budget: one column differs
    labels = np.repeat([0, 1, 2], 40)
    out = merge_lookalikes(z, labels)
    assert out[0] == out[40]  # same workload, split by the communities
    assert out[80] != out[0]  # a different operation stays its own campaign


def test_a_near_miss_community_joins_only_the_campaign_it_behaves_like() -> None:
    rng = np.random.default_rng(4)
    z = _fleets(rng, [0.0, 0.0, 5.0])
    labels = np.array([0] * 40 + [-1] * 80)
    near = [np.arange(40, 80), np.arange(80, 120)]
    out = merge_lookalikes(z, labels, near)
    assert (out[40:80] == 0).all()
    assert (out[80:] == -1).all()


def _community(
    org: str | None, *, payment: float, same_org: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray], pl.DataFrame]:
    """Five harvesting accounts, every pair sharing a network (and maybe a payment card)."""
    members = np.arange(5)
    ids = np.array([f"a{i}" for i in range(5)])
    orgs = np.array([org] * 5, dtype=object)
    levels = {"trace_share": np.full(5, 0.9)}
    pairs = [(i, j) for i in range(5) for j in range(i + 1, 5)]
    intra = pl.DataFrame(
        {
            "a": [p[0] for p in pairs],
            "b": [p[1] for p in pairs],
            "network": [1.0] * len(pairs),
            "payment": [payment] * len(pairs),
            "same_org": [same_org] * len(pairs),
        }
    )
    return members, ids, orgs, levels, intra


def test_a_single_family_of_links_scores_low_coordination() -> None:
    result = score_community(*_community(None, payment=0.0, same_org=False), DEFAULT_RELIABILITY)
    assert result.coordination <= DEFAULT_RELIABILITY["network"] + 1e-9
    assert result.score < 0.5
    both = score_community(*_community(None, payment=1.0, same_org=False), DEFAULT_RELIABILITY)
    assert both.score >= 0.5


def test_one_organisations_own_fleet_is_not_a_campaign() -> None:
    result = score_community(*_community("acme", payment=1.0, same_org=True), DEFAULT_RELIABILITY)
    assert result.score < 0.5
    assert any(f.signal == "context.single_org" for f in result.findings)


def test_two_organisations_sharing_a_setup_are_customers_not_a_campaign() -> None:
    # The same harvest-shaped, fully linked group: split between two companies (a customer and
    # its contractor on one vendor's tool) it is scored as their fleets; spread over one
    # organisation per account (fraudulent sign-ups) it is a campaign.
    members, ids, _, levels, intra = _community(None, payment=1.0, same_org=False)
    two = np.array(["acme", "acme", "acme", "globex", "globex"], dtype=object)
    fleets = score_community(members, ids, two, levels, intra, DEFAULT_RELIABILITY)
    assert fleets.score < 0.5
    assert any(f.signal == "context.few_orgs" for f in fleets.findings)
    many = np.array([f"org{i}" for i in range(5)], dtype=object)
    spread = score_community(members, ids, many, levels, intra, DEFAULT_RELIABILITY)
    assert spread.score >= 0.5 and spread.org_factor == 1.0
    # accounts with no organisation count as their own, never as one shared fleet
    unknown = np.array(["acme", None, None, None, None], dtype=object)
    assert score_community(members, ids, unknown, levels, intra, DEFAULT_RELIABILITY).score >= 0.5


def test_members_that_harvest_far_more_than_their_own_organisation_are_reported() -> None:
    # Five accounts of a reseller with twenty ordinary customers: the five stand out from it.
    harvest = np.concatenate([np.full(5, 0.85), np.full(20, 0.2)])
    orgs = np.array(["reseller"] * 25, dtype=object)
    excess = org_excess(harvest, orgs)
    members, ids, _, levels, intra = _community(None, payment=1.0, same_org=False)
    ids = np.array([f"a{i}" for i in range(25)])
    result = score_community(
        members, ids, orgs, levels, intra, DEFAULT_RELIABILITY, org_excess=excess
    )
    found = [f for f in result.findings if f.signal == "context.org_outliers"]
    assert len(found) == 1 and found[0].strength == 1.0
    # A team whose accounts all run the same sweep is typical of its organisation.
    team = org_excess(np.full(25, 0.85), orgs)
    result = score_community(
        members, ids, orgs, levels, intra, DEFAULT_RELIABILITY, org_excess=team
    )
    assert not any(f.signal == "context.org_outliers" for f in result.findings)


def test_clustering_weights_accept_a_null_first_org_column() -> None:
    # LiteLLM logs whose first account has no org: a numpy object array starting with None.
    fused = pl.DataFrame({"a": [0, 1, 0], "b": [2, 2, 1], "fused": [0.5, 0.5, 0.5]})
    orgs = np.array([None, "o", "o"], dtype=object)
    out = clustering_weights(fused, orgs, np.ones(3), ClusterConfig())
    assert out["same_org"].to_list() == [False, True, False]
    assert out["weight"][1] < out["weight"][0]  # same-org pairs are discounted
    as_series = clustering_weights(fused, pl.Series([None, "o", "o"]), np.ones(3), ClusterConfig())
    assert as_series.equals(out)
    assert np.isnan(org_excess(np.array([0.1, 0.2, 0.3]), orgs)).all()  # too few peers


def test_communities_do_not_depend_on_unlinked_accounts() -> None:
    # Two dense groups of 6 and one of 4, faintly bridged; then the same graph inside a log of
    # 20,000 accounts that link to nobody (light users): the same groups with the same ids, and
    # the unlinked accounts in none.
    rng = np.random.default_rng(3)
    rows = []
    for lo, size in ((0, 6), (6, 6), (12, 4)):
        rows += [(lo + i, lo + j) for i in range(size) for j in range(i + 1, size)]
    rows += [(5, 6), (11, 12)]
    a, b = np.array(rows).T
    weighted = pl.DataFrame({"a": a, "b": b, "weight": rng.uniform(0.5, 1.0, len(rows))})
    config = ClusterConfig()
    small = find_communities(weighted, 16, config)
    assert small.tolist() == [0] * 6 + [1] * 6 + [2] * 4
    spread = 1000 * np.arange(16)  # the same accounts, far apart among the unlinked ones
    big = find_communities(
        weighted.with_columns(pl.Series("a", spread[a]), pl.Series("b", spread[b])), 20_000, config
    )
    assert big[spread].tolist() == small.tolist()
    assert (np.delete(big, spread) == -1).all()
    only = np.zeros(20_000, dtype=bool)
    only[spread[:6]] = True  # a regrouping restricted to some accounts sees only their links
    regrouped = find_communities(
        weighted.with_columns(pl.Series("a", spread[a]), pl.Series("b", spread[b])),
        20_000,
        config,
        nodes=only,
        min_edge=0.0,
    )
    assert regrouped[spread[:6]].tolist() == [0] * 6
    assert (regrouped >= 0).sum() == 6
