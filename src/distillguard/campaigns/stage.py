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
from dataclasses import dataclass
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
    merge_interlinked,
    merge_lookalikes,
)

__all__ = ["AccountGraph", "CampaignGroups", "Scorer", "build_graph", "campaign_groups"]

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
    2. Modularity splits large sparse campaigns: the flagged accounts are regrouped among
       themselves (every edge among them) and the regrouped communities that still pass are kept.
    3. Groups as densely linked to each other as inside merge; near misses that behave like a
       campaign (profiles within ``lookalike_difference`` spreads) join it.
    4. Unlabelled accounts whose links lead mostly into one group join it.
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
    groups = find_communities(weighted, n, config, nodes=flagged, min_edge=0.0)
    confirmed = np.full(n, -1, dtype=np.int64)
    for members, _ in score(groups, 0.0):
        confirmed[members] = int(groups[members[0]])
    profiles = standardized_profiles(accounts, profile_columns(accounts))
    merged = merge_lookalikes(
        profiles,
        merge_interlinked(weighted, confirmed, ratio=config.interlink_ratio),
        near,
        max_difference=lookalike_difference,
        quantile=config.lookalike_quantile,
    )
    labels = attach_periphery(
        weighted,
        merged,
        alpha=config.attach_alpha,
        beta=config.attach_beta,
        rounds=config.attach_rounds,
        min_edge=config.attach_min_edge,
        harvest=accounts["harvest"].to_numpy(),
        harvest_quantile=config.attach_harvest_quantile,
    )
    return CampaignGroups(labels=labels, communities=communities, near=near, profiles=profiles)
