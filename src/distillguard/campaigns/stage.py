"""Stage functions of the clustering stage: the evidence graph and the campaign groups.

:func:`build_graph` fuses the linkers' edges into one weighted account graph;
:func:`campaign_groups` finds communities in it, keeps those the decision stage scores as
campaigns (or nearly), regroups their accounts among themselves, merges interlinked and
lookalike groups and attaches the periphery. Deciding which groups are campaigns belongs to the
decision stage, so it is passed in as a :data:`Scorer`: a windowed service and a batch run call
the same two functions with the same scorer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from distillguard.accounts.profile import profile_columns, standardized_profiles
from distillguard.campaigns.cluster import (
    ClusterConfig,
    attach_periphery,
    clustering_weights,
    find_communities,
    fuse_edges,
    members_by_label,
    merge_interlinked,
    merge_lookalikes,
)

__all__ = [
    "AccountGraph",
    "CampaignGroups",
    "Scorer",
    "agreeing_families",
    "build_graph",
    "campaign_groups",
    "faint_groups",
]

Scorer = Callable[[np.ndarray, float], Sequence[tuple[np.ndarray, Any]]]
"""``(labels, slack) -> [(members, result), ...]``: the communities of ``labels`` that score
within ``slack`` of their flag threshold, each with a result carrying ``.score``."""


@dataclass
class AccountGraph:
    """The fused evidence graph: ``weighted`` has one row per linked pair (``a, b, fused``, one
    weight column per family, ``same_org``, and the clustering ``weight``); ``edge_counts`` is the
    number of raw edges per family (for the run summary)."""

    weighted: pl.DataFrame
    edge_counts: dict[str, int]
    n_accounts: int


@dataclass
class CampaignGroups:
    """What the clustering stage hands the decision stage: ``labels`` (group per account, ``-1``
    for none); the first-pass ``communities``; the ``near`` misses (member index arrays of
    communities within the slack of their threshold, not flagged); the standardised behaviour
    ``profiles`` (one row per account) the lookalike merge compared."""

    labels: np.ndarray
    communities: np.ndarray
    near: list[np.ndarray]
    profiles: np.ndarray


def build_graph(edges: pl.DataFrame, accounts: pl.DataFrame, config: ClusterConfig) -> AccountGraph:
    """Fuse ``edges`` (``a, b, family, weight`` from the linkers) with the families'
    reliabilities in ``config`` and weigh each pair for clustering by the accounts' ``harvest``
    and ``org_id`` (see :func:`~distillguard.campaigns.cluster.clustering_weights`)."""
    fused = fuse_edges(edges, config.reliability)
    counts = {str(k): int(v) for k, v in edges.group_by("family").len().iter_rows()}
    weighted = clustering_weights(
        fused, accounts["org_id"].to_numpy(), accounts["harvest"].to_numpy(), config
    )
    return AccountGraph(weighted=weighted, edge_counts=counts, n_accounts=accounts.height)


def campaign_groups(
    graph: AccountGraph,
    accounts: pl.DataFrame,
    score: Scorer,
    threshold: Callable[[int], float],
    config: ClusterConfig,
    *,
    small_campaign: int,
    lookalike_slack: float,
    lookalike_difference: float,
) -> CampaignGroups:
    """Group label per account (``-1``: in no group); the decision stage scores the groups.

    1. Leiden communities; those scoring at least ``threshold(size)`` are flagged, those within
       ``lookalike_slack`` of it (and of ``small_campaign`` accounts or more) are near misses.
       Among the accounts left, groups held together by many faint links of several families
       that agree (and reaching the threshold) are campaigns too (:func:`faint_groups`).
    2. Modularity splits large sparse campaigns: the flagged accounts are regrouped among
       themselves (every edge among them) and the regrouped communities that still pass are kept.
    3. Groups as densely linked to each other as inside merge; near misses that behave like a
       campaign (profiles within ``lookalike_difference`` spreads) join it.
    4. Unlabelled accounts whose links lead mostly into one group join it.

    Only groups that pass their threshold go into steps 3 and 4, and a step that would leave a
    group short of it is undone for that group (see :func:`_undo_failed`).
    """
    weighted, n = graph.weighted, graph.n_accounts
    communities = find_communities(weighted, n, config)
    flagged = np.zeros(n, dtype=bool)
    near: list[np.ndarray] = []
    for members, r in score(communities, lookalike_slack):
        if r.score >= threshold(len(members)):
            flagged[members] = True
        elif len(members) >= small_campaign:
            near.append(members)
    faint = faint_groups(weighted, n, flagged, score, config)
    groups = find_communities(weighted, n, config, nodes=flagged, min_edge=0.0)
    profiles = standardized_profiles(accounts, profile_columns(accounts))
    groups = split_operations(
        groups,
        communities,
        profiles,
        max_difference=lookalike_difference,
        quantile=config.lookalike_quantile,
        min_accounts=small_campaign,
    )
    confirmed = np.full(n, -1, dtype=np.int64)
    for members, _ in score(groups, 0.0):
        confirmed[members] = int(groups[members[0]])
    # Faint-link groups keep their own labels: regrouping their accounts by modularity over
    # faint links would cut them into pieces that no longer show the families' agreement.
    free = (faint >= 0) & (confirmed < 0)
    confirmed[free] = faint[free] + max(int(groups.max()), int(confirmed.max()), -1) + 1
    harvest = accounts["harvest"].to_numpy()
    steps: list[Callable[[np.ndarray], np.ndarray]] = [
        lambda labels: merge_interlinked(weighted, labels, ratio=config.interlink_ratio),
        lambda labels: merge_lookalikes(  # groups that behave alike
            profiles,
            labels,
            max_difference=lookalike_difference,
            quantile=config.lookalike_quantile,
        ),
        lambda labels: merge_lookalikes(  # near misses join the group they resemble
            profiles,
            labels,
            near,
            max_difference=lookalike_difference,
            quantile=config.lookalike_quantile,
        ),
        lambda labels: attach_periphery(
            weighted,
            labels,
            alpha=config.attach_alpha,
            beta=config.attach_beta,
            rounds=config.attach_rounds,
            min_edge=config.attach_min_edge,
            harvest=harvest,
            harvest_quantile=config.attach_harvest_quantile,
            groups=communities,
        ),
    ]
    # Every group here passes: regrouped ones were kept only if they did, faint-link ones reach
    # the threshold whole (they are formed among accounts no regrouped group holds).
    labels = confirmed
    for step in steps:
        labels = _undo_failed(labels, step(labels), score)
    return CampaignGroups(labels=labels, communities=communities, near=near, profiles=profiles)


def split_operations(
    regrouped: np.ndarray,
    first: np.ndarray,
    profiles: np.ndarray,
    *,
    max_difference: float,
    quantile: float,
    min_accounts: int = 1,
) -> np.ndarray:
    """``regrouped`` with each group that joined *distinct operations* split back into them.

    Regrouping the flagged accounts on every edge among them reassembles a campaign that the
    first search cut into pieces, but it can also join two campaigns that a few weak links
    connect (measured: agentic-swe and hydra-proxy-mix as one group at 80 K accounts). Within a
    regrouped group, the first-search communities (``first``) that behave alike are one
    operation's pieces (:func:`~distillguard.campaigns.cluster.merge_lookalikes`, the test the
    lookalike merge uses); where that leaves more than one operation, each of ``min_accounts``
    or more becomes a group of its own (a smaller piece's profile is too noisy to set apart: it
    stays with the largest)."""
    out = regrouped.copy()
    fresh = int(out.max(initial=-1)) + 1
    for _, members in members_by_label(regrouped):
        if len(np.unique(first[members])) < 2:
            continue
        operations = merge_lookalikes(
            profiles[members], first[members], max_difference=max_difference, quantile=quantile
        )
        ops, sizes = np.unique(operations, return_counts=True)
        for op in ops[np.argsort(-sizes, kind="stable")][1:]:  # the largest keeps the label
            piece = members[operations == op]
            if len(piece) >= min_accounts:
                out[piece] = fresh
                fresh += 1
    return out


def _undo_failed(before: np.ndarray, after: np.ndarray, score: Scorer) -> np.ndarray:
    """``after`` with each group that falls short of its threshold put back as it was in
    ``before``.

    Merging and attachment grow groups by rules that do not score them: the interlink test, for
    one, compares link density with the *sparser* group's, and a faint-link group that spans much
    of a large log of light users is sparse enough to absorb every campaign it touches, and then
    scores far below the threshold with all of them (measured: 80 K accounts, every campaign but
    one lost). A group that was a campaign before such a step stays one."""
    passed = np.zeros(len(after), dtype=bool)
    for members, _ in score(after, 0.0):
        passed[members] = True
    grown = (after >= 0) & ~passed
    out = after.copy()
    out[grown] = before[grown]
    return out


def agreeing_families(result: Any, coverage: float) -> int:
    """Evidence families that each link at least ``coverage`` of a scored group's members to a
    member of another organisation (its ``linkage.*`` findings)."""
    return sum(
        1
        for f in getattr(result, "findings", ())
        if f.signal.startswith("linkage.") and f.observed.get("coverage", 0.0) >= coverage
    )


def faint_groups(
    weighted: pl.DataFrame,
    n_accounts: int,
    flagged: np.ndarray,
    score: Scorer,
    config: ClusterConfig,
) -> np.ndarray:
    """Group label per account (``-1``: none) of groups formed by many faint but consistent
    links.

    A quiet operation — ordinary-looking accounts, each its own organisation, a card shared by
    two to four of them, a handful of wrappers and system prompts across the fleet — leaves no
    pair strongly linked: each pair shares one or two faint families, and after harvest scaling
    its clustering weight stays under ``min_edge``, so the first community search never sees it.
    What gives it away is that, over the group, several *different* families each tie a good
    share of the members together across organisations.

    Leiden is run again over the accounts the first pass left unflagged, on every link of weight
    ``faint_min_edge`` or more, at resolution ``faint_resolution`` (larger, sparser groups), and
    pieces as densely linked to each other as inside are put back together
    (:func:`~distillguard.campaigns.cluster.merge_interlinked`). A community found there is a
    campaign when at least
    ``faint_families`` evidence families each cover ``faint_coverage`` of its members across
    organisations **and** it reaches its threshold (the same scorer: harvest and coordination).
    The agreement of independent families is what the pairwise fusion cannot see (each pair
    carries only one or two of them). One faint family,
    however many accounts share it (an open-source agent's default prompt, a campus network),
    cannot pass, nor can two.
    """
    out = np.full(n_accounts, -1, dtype=np.int64)
    rest = ~flagged
    if config.faint_min_edge >= config.min_edge or rest.sum() < config.min_accounts:
        return out
    # A fleet linked evenly by faint links has no internal structure, and modularity at the
    # usual resolution cuts it into arcs anyway (the lattices of large shared-value groups are
    # rings), splitting the small cliques (cards shared by three) between them: search at a lower
    # resolution, and put back together pieces as densely linked to each other as inside.
    groups = find_communities(
        weighted,
        n_accounts,
        replace(config, resolution=config.faint_resolution),
        nodes=rest,
        min_edge=config.faint_min_edge,
        iterations=config.faint_iterations,
    )
    faint = weighted.filter(pl.col("weight") >= config.faint_min_edge)
    groups = merge_interlinked(faint, groups, ratio=config.interlink_ratio)
    for members, result in score(groups, 0.0):
        if agreeing_families(result, config.faint_coverage) >= config.faint_families:
            out[members] = int(groups[members[0]])
    return out
