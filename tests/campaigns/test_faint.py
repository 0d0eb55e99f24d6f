"""Campaign formation from faint links: several weak families agreeing over one group form a
campaign; one faint family alone, however many accounts share it, does not."""

from __future__ import annotations

import numpy as np
import polars as pl

from distillguard.campaigns.cluster import clustering_weights, find_communities, fuse_edges
from distillguard.campaigns.decide import score_communities
from distillguard.campaigns.stage import faint_groups
from distillguard.linkage.base import pairs_within_groups
from distillguard.pipeline import DetectConfig

CFG = DetectConfig().check()


def _world(families: tuple[str, ...]) -> tuple[pl.DataFrame, dict[str, np.ndarray], pl.DataFrame]:
    """40 quiet accounts of one operator (each its own organisation) tied by ``families`` of
    faint links, among 160 ordinary accounts tied to no one."""
    n_op, n = 40, 200
    op = np.arange(n_op)
    rows: list[tuple[int, int, str, float]] = []
    # Wrapper-like families: the whole fleet shares a few values, so each account is linked to
    # a sparse lattice of others at a modest weight (specificity-weighted, not 1).
    for k, fam in enumerate(f for f in families if f != "payment"):
        i, j = pairs_within_groups(np.zeros(n_op, np.int64), fanout=6, seed=k)
        rows += [(int(op[x]), int(op[y]), fam, 0.45) for x, y in zip(i, j, strict=True)]
    if "payment" in families:  # cards shared by three accounts each
        rows += [(a, a + d, "payment", 1.0) for a in range(0, n_op - 2, 3) for d in (1, 2)]
    a, b, fam, w = zip(*rows, strict=True)
    edges = pl.DataFrame({"a": np.minimum(a, b), "b": np.maximum(a, b), "family": fam, "weight": w})
    harvest = np.full(n, 0.1)
    harvest[op] = 0.45  # the fleet harvests visibly but not loudly: ordinary-looking accounts
    levels = {"trace_share": harvest.copy(), "elicitation_share": harvest.copy()}
    accounts = pl.DataFrame(
        {
            "account_id": [f"acct-{k:03d}" for k in range(n)],
            "org_id": [f"org-{k:03d}" for k in range(n)],
            "harvest": harvest,
        }
    )
    fused = fuse_edges(edges, CFG.cluster.reliability)
    weighted = clustering_weights(fused, accounts["org_id"], harvest, CFG.cluster)
    return accounts, levels, weighted


def _faint(families: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    accounts, levels, weighted = _world(families)
    n = accounts.height

    def scorer(labels: np.ndarray, slack: float) -> list[tuple[np.ndarray, object]]:
        return list(score_communities(labels, accounts, levels, weighted, CFG, slack))

    first = find_communities(weighted, n, CFG.cluster)
    flagged = np.zeros(n, dtype=bool)
    for members, _ in scorer(first, 0.0):
        flagged[members] = True
    extra = faint_groups(
        weighted,
        n,
        flagged,
        scorer,  # type: ignore[arg-type]
        CFG.cluster,
    )
    return flagged, extra >= 0


def test_faint_links_of_several_families_form_one_campaign() -> None:
    flagged, extra = _faint(("system_prompt", "template", "payment"))
    assert flagged[:40].sum() < 10, "no pair is strong enough for the first community search"
    assert extra[:40].mean() >= 0.9
    assert not extra[40:].any()


def test_one_faint_family_alone_forms_no_campaign() -> None:
    for family in ("system_prompt", "template", "payment"):
        flagged, extra = _faint((family,))
        assert not (flagged | extra).any(), family


def test_two_faint_families_are_not_enough_by_default() -> None:
    _, extra = _faint(("system_prompt", "template"))
    assert not extra.any()
