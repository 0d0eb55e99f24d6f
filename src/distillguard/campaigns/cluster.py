"""Fuse evidence edges and find communities of accounts with Leiden.

Families of evidence are not equally telling: a shared payment instrument means more than a shared
client library. Each family has a *reliability* ``c_f`` in (0, 1) and the edges of one pair fuse as
independent evidence, ``1 - prod_f(1 - c_f * w_f)``.

Two adjustments turn that into the graph that is clustered:

* links inside one organisation are expected (a customer's own accounts share a card, an office
  network and a domain), so they are discounted: a campaign is coordination *across* identities;
* a link matters in proportion to how much both ends look like harvesting, so the fused weight is
  scaled by ``sqrt(h_a * h_b)`` (see :mod:`distillguard.accounts.score`).

Communities come from Leiden with the modularity objective, which judges density relative to the
degrees in the graph rather than against an absolute weight. Scoring (``campaigns.score``) then
decides which communities are campaigns, and needs more than one family of evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import igraph as ig
import leidenalg
import numpy as np
import polars as pl

from distillguard.accounts.profile import group_difference
from distillguard.accounts.score import category_codes
from distillguard.bounds import check_fields, knob
from distillguard.errors import ConfigError


@dataclass
class ClusterConfig:
    """How edges fuse and how communities are found and regrouped (every number range-checked).

    ``reliability`` overrides the reliability the linkers declare for their families (empty: the
    linkers' own, see :func:`distillguard.linkage.reliability`); the detection stage fills it in
    at start-up so fusion and scoring read one table.
    """

    reliability: dict[str, float] = field(default_factory=dict)
    min_edge: float = knob(0.2, 0.0, 1.0, "fused weight an edge needs to enter community search")
    # Links weaker than this are noise to attach_periphery: hundreds of faint shared-template
    # links would otherwise add up to a pull towards whichever campaign is largest.
    attach_min_edge: float = knob(0.02, 0.0, 1.0, "weakest link attach_periphery counts")
    same_org_discount: float = knob(0.25, 0.0, 1.0, "weight kept by links inside one org")
    resolution: float = knob(1.0, 1e-6, 100.0, "Leiden resolution (higher: smaller groups)")
    min_accounts: int = knob(3, 2, None, "smallest community scored")
    seed: int = knob(0, 0, None, "Leiden seed")
    attach_alpha: float = knob(0.3, 0.0, None, "joiner's pull vs the median member's")
    attach_beta: float = knob(0.5, 0.0, None, "joiner's pull into a campaign vs elsewhere")
    attach_rounds: int = knob(5, 0, 100, "rounds of periphery attachment")
    # The campaign's least-harvesting member (as found, before attachment) sets the floor: the
    # members left outside are its lower tail, and a 5 % quantile kept them out (measured: 9 %
    # of hc-sweep on holdout seed 3), with no false positive admitted by the lower floor on any
    # benchmark or holdout seed.
    attach_harvest_quantile: float = knob(0.0, 0.0, 1.0, "member quantile a joiner must harvest")
    interlink_ratio: float = knob(0.5, 0.0, None, "between/within link density that merges")
    lookalike_quantile: float = knob(0.9, 0.0, 1.0, "profile columns compared by lookalikes")
    # Campaign formation from faint links (campaigns.stage.faint_groups): a second community
    # search over the links too weak for the first, among accounts it left unflagged.
    faint_min_edge: float = knob(0.02, 0.0, 1.0, "weakest link the faint-link pass uses")
    faint_families: int = knob(3, 1, None, "families that must agree in a faint-link group")
    faint_coverage: float = knob(0.3, 0.0, 1.0, "members a family must cover to agree")
    faint_resolution: float = knob(0.3, 1e-6, 100.0, "Leiden resolution of the faint-link pass")
    # Leiden passes of the faint-link search (-1: until no move improves it). Its graph holds
    # nearly every account on a log of many light users (1.6 M links among 74 K accounts at
    # 80 K accounts), where running to convergence took 36 s and two passes 12 s, with the same
    # groups kept (none) on every benchmark and holdout log.
    faint_iterations: int = knob(2, -1, 100, "Leiden passes of the faint-link search")

    def __post_init__(self) -> None:
        check_fields(self)
        for family, value in self.reliability.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
                raise ConfigError(
                    f"ClusterConfig.reliability[{family!r}] must be in (0, 1], got {value!r}"
                )


def fuse_edges(edges: pl.DataFrame, reliability: dict[str, float]) -> pl.DataFrame:
    """One row per account pair: ``a, b, fused`` and one weight column per family (0 if absent).

    Works on sorted integer keys in NumPy rather than grouping and pivoting the edge table: at
    10 M requests there are millions of edges and the group-by/pivot route held several gigabytes
    of intermediates. A family's weight for a pair is its strongest edge; families fuse in
    name order.
    """
    families = sorted(reliability)
    empty = pl.DataFrame(
        schema={"a": pl.Int64, "b": pl.Int64, "fused": pl.Float64}
        | {f: pl.Float64 for f in families}
    )
    if edges.is_empty():
        return empty
    code = edges["family"].replace_strict(
        families, list(range(len(families))), default=None, return_dtype=pl.Int16
    )
    known = code.is_not_null()
    fam = code.filter(known).to_numpy().astype(np.int64)
    if len(fam) == 0:
        return empty
    a = edges["a"].filter(known).to_numpy()
    b = edges["b"].filter(known).to_numpy()
    weight = edges["weight"].filter(known).to_numpy().astype(np.float64)
    span = int(b.max()) + 1
    pair = a.astype(np.int64) * span + b
    del a, b
    # One sort on a single (pair, family) key: a stable argsort of one int64 array is several
    # times faster than lexsort on two, and gives the same order.
    order = np.argsort(pair * len(families) + fam, kind="stable")
    pair, fam, weight = pair[order], fam[order], weight[order]
    del order
    # Strongest edge per (pair, family), then one row per pair with a column per family.
    starts = np.flatnonzero(
        np.concatenate(([True], (pair[1:] != pair[:-1]) | (fam[1:] != fam[:-1])))
    )
    w_max = np.maximum.reduceat(weight, starts)
    pair, fam = pair[starts], fam[starts]
    del weight, starts
    # ``pair`` is sorted: its distinct values and each row's index in them without a second sort.
    first = np.concatenate(([True], pair[1:] != pair[:-1]))
    pairs, row = pair[first], np.cumsum(first) - 1
    wide = np.zeros((len(pairs), len(families)), dtype=np.float64)
    wide[row, fam] = w_max
    del pair, fam, w_max, row, first
    keep = np.ones(len(pairs), dtype=np.float64)
    for k, f in enumerate(families):
        keep *= 1.0 - reliability[f] * wide[:, k]
    return pl.DataFrame(
        {"a": pairs // span, "b": pairs % span, "fused": 1.0 - keep}
        | {f: wide[:, k] for k, f in enumerate(families)}
    )


def clustering_weights(
    fused: pl.DataFrame,
    org_ids: np.ndarray | pl.Series,
    harvest: np.ndarray,
    config: ClusterConfig,
) -> pl.DataFrame:
    """Add ``same_org`` and the clustering ``weight`` (org discount and harvest scaling)."""
    a = fused["a"].to_numpy()
    b = fused["b"].to_numpy()
    org = category_codes(org_ids)
    same_org = (org[a] >= 0) & (org[a] == org[b])
    w = fused["fused"].to_numpy() * np.sqrt(np.clip(harvest[a] * harvest[b], 0.0, 1.0))
    w = np.where(same_org, w * config.same_org_discount, w)
    return fused.with_columns(pl.Series("same_org", same_org), pl.Series("weight", w))


def find_communities(
    weighted: pl.DataFrame,
    n_accounts: int,
    config: ClusterConfig,
    *,
    nodes: np.ndarray | None = None,
    min_edge: float | None = None,
    iterations: int = -1,
) -> np.ndarray:
    """Community label per account (``-1`` for accounts in no community of ``min_accounts``+).

    ``weighted`` needs ``a, b, weight``; ``nodes`` (a boolean mask) restricts the graph to some
    accounts, as when regrouping the accounts of flagged communities (with every edge among them:
    ``min_edge=0``). ``iterations``: Leiden passes (-1: until none improves the partition).
    """
    floor = config.min_edge if min_edge is None else min_edge
    # Only the three columns the graph needs: filtering and sorting the whole frame (a column
    # per evidence family) copied gigabytes at 10 M requests.
    strong = weighted.select("a", "b", "weight").filter(pl.col("weight") >= floor)
    if nodes is not None:
        strong = strong.filter(
            pl.Series(nodes[strong["a"].to_numpy()]) & pl.Series(nodes[strong["b"].to_numpy()])
        )
    labels = np.full(n_accounts, -1, dtype=np.int64)
    if strong.is_empty():
        return labels
    strong = strong.sort(["a", "b"])  # Leiden's result depends on edge order
    # Only accounts with an edge enter the graph. An isolated vertex adds nothing to the
    # objective (zero degree) and always ends alone, below ``min_accounts``; but Leiden visits
    # every vertex in every pass, so on a log of many light users (most of them unlinked at
    # this floor) the isolated ones cost nearly all of the time (measured: 6 K edges among
    # 2 K accounts took 30 s inside 25 K accounts, 1 s alone). Renumbering keeps the accounts'
    # order, so the edge order is unchanged.
    a, b = strong["a"].to_numpy(), strong["b"].to_numpy()
    linked, ends = np.unique(np.concatenate([a, b]), return_inverse=True)
    graph = _graph(len(linked), ends[: len(a)], ends[len(a) :])
    part = leidenalg.find_partition(
        graph,
        leidenalg.RBConfigurationVertexPartition,
        weights=strong["weight"].to_numpy(),
        resolution_parameter=config.resolution,
        seed=config.seed,
        n_iterations=iterations,
    )
    del graph, strong
    membership = np.asarray(part.membership, dtype=np.int64)
    sizes = np.bincount(membership)
    keep = sizes[membership] >= config.min_accounts
    # Relabel surviving communities 0..k-1, largest first and, among equal sizes, by their
    # first account: ids that depend on the partition alone, not on Leiden's numbering.
    _, first = np.unique(membership, return_index=True)  # ``linked`` is sorted: the first member
    order = np.lexsort((first, -sizes))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    _, found = np.unique(rank[membership[keep]], return_inverse=True)
    labels[linked[keep]] = found
    return labels


def _graph(n: int, a: np.ndarray, b: np.ndarray, chunk: int = 1_000_000) -> ig.Graph:
    """Undirected graph on ``n`` vertices with edges ``(a[k], b[k])`` in that order.

    igraph reads edges as Python pairs; tuples of ints are several times faster to read than
    numpy rows or nested lists, and adding them a chunk at a time bounds the Python objects
    alive at once (millions of edges would otherwise cost gigabytes of tuples).
    """
    graph = ig.Graph(n=n, directed=False)
    for lo in range(0, len(a), chunk):
        hi = lo + chunk
        graph.add_edges(list(zip(a[lo:hi].tolist(), b[lo:hi].tolist(), strict=True)))
    return graph


def attach_periphery(
    weighted: pl.DataFrame,
    labels: np.ndarray,
    *,
    alpha: float = 0.3,
    beta: float = 0.5,
    rounds: int = 5,
    min_edge: float = 0.0,
    harvest: np.ndarray | None = None,
    harvest_quantile: float = 0.0,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Attach unlabelled accounts whose links lead mostly into one campaign.

    Low-and-slow members have many weak links rather than a few strong ones, so community
    detection leaves some outside. An unlabelled account joins campaign ``c`` when its summed link
    weight into ``c`` is at least ``alpha`` times the median member's weight into ``c`` (relative
    to the campaign itself, not an absolute level) and at least ``beta`` times its weight to
    everyone else, counting only links of at least ``min_edge``. Given ``harvest`` levels, it must
    also harvest at least as much as the campaign's ``harvest_quantile`` member: a lookalike of
    the campaign's ordinary cover traffic is not part of it. Repeated up to ``rounds`` times,
    since an account that joins strengthens the pull on its own neighbours. Returns new labels;
    ``-1`` stays for accounts that fit no campaign.

    Given ``groups`` (each account's community in the first search, ``-1`` for none), "everyone
    else" is the strongest *one* other pull: into another campaign, into the neighbours' own
    community, or to one neighbour in none. On a log of many light users a campaign member on a
    home network or behind a shared template has dozens of faint links to unrelated users; their
    sum outweighs its campaign, though none of them is a competing group.
    """
    out = labels.copy()
    weighted = weighted.filter(pl.col("weight") >= min_edge)
    floor = _floors(out, harvest, harvest_quantile)  # from the campaigns as found, fixed
    for _ in range(rounds):
        before = int((out >= 0).sum())
        out = _attach_once(
            weighted, out, alpha=alpha, beta=beta, harvest=harvest, floor=floor, groups=groups
        )
        if int((out >= 0).sum()) == before:
            break
    return out


def _floors(labels: np.ndarray, harvest: np.ndarray | None, q: float) -> np.ndarray | None:
    """Per account, the harvest level a joiner needs: its campaign's ``q``-quantile member's."""
    if harvest is None:
        return None
    floor = np.zeros(int(labels.max(initial=-1)) + 1)
    for label, members in members_by_label(labels):
        floor[label] = float(np.quantile(harvest[members], q))
    return floor


def members_by_label(labels: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """``(label, member indices)`` for every label >= 0, in one sort rather than a scan each.

    >>> [(k, m.tolist()) for k, m in members_by_label(np.array([1, -1, 0, 1]))]
    [(0, [2]), (1, [0, 3])]
    >>> members_by_label(np.array([-1, -1]))
    []
    """
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    start = np.searchsorted(sorted_labels, 0)
    if start == len(sorted_labels):
        return []  # no account in any community (a clean log): np.split would give one chunk
    values, first = np.unique(sorted_labels[start:], return_index=True)
    chunks = np.split(order[start:], first[1:])
    return [(int(v), np.sort(c)) for v, c in zip(values, chunks, strict=True)]


def _attach_once(
    weighted: pl.DataFrame,
    labels: np.ndarray,
    *,
    alpha: float,
    beta: float,
    harvest: np.ndarray | None = None,
    floor: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    out = labels.copy()
    if weighted.is_empty() or (labels < 0).all():
        return out
    a = weighted["a"].to_numpy()
    b = weighted["b"].to_numpy()
    w = weighted["weight"].to_numpy()
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    ww = np.concatenate([w, w])
    totals = pl.DataFrame({"i": src, "w": ww}).group_by("i").agg(pl.col("w").sum().alias("total"))
    into = dst >= 0
    into &= labels[dst] >= 0
    aff = (
        pl.DataFrame({"i": src[into], "c": labels[dst[into]], "w": ww[into]})
        .group_by(["i", "c"])
        .agg(pl.col("w").sum())
        .join(totals, on="i")
    )
    aff = aff.with_columns(pl.Series("own", labels[aff["i"].to_numpy()]))
    reference = (
        aff.filter(pl.col("own") == pl.col("c"))
        .group_by("c")
        .agg(pl.col("w").median().alias("ref"))
    )
    candidates = aff.filter(pl.col("own") < 0).join(reference, on="c")
    if groups is None:
        candidates = candidates.with_columns((pl.col("total") - pl.col("w")).alias("elsewhere"))
    else:
        candidates = candidates.join(_strongest_pulls(src, dst, ww, labels, groups), on="i")
        candidates = candidates.with_columns(
            pl.when(pl.col("key1") == pl.col("c"))
            .then(pl.col("w2"))
            .otherwise(pl.col("w1"))
            .alias("elsewhere")
        )
    joiners = (
        candidates.filter(
            (pl.col("w") >= alpha * pl.col("ref")) & (pl.col("w") >= beta * pl.col("elsewhere"))
        )
        .sort(["i", "w"], descending=[False, True])
        .unique("i", keep="first")
    )
    i, c = joiners["i"].to_numpy(), joiners["c"].to_numpy()
    if harvest is not None and floor is not None:
        keep = harvest[i] >= floor[c]
        i, c = i[keep], c[keep]
    out[i] = c
    return out


def _strongest_pulls(
    src: np.ndarray, dst: np.ndarray, w: np.ndarray, labels: np.ndarray, groups: np.ndarray
) -> pl.DataFrame:
    """Per account ``i``: ``key1, w1`` (the one destination its links pull hardest into) and
    ``w2`` (the next). A destination is a labelled group, else the neighbour's own ``groups``
    community, else the neighbour alone."""
    n_labels = int(labels.max(initial=-1)) + 1
    n_groups = int(groups.max(initial=-1)) + 1
    key = np.where(
        labels[dst] >= 0,
        labels[dst],
        np.where(groups[dst] >= 0, n_labels + groups[dst], n_labels + n_groups + dst),
    )
    pulls = (
        pl.DataFrame({"i": src, "key": key, "w": w})
        .group_by(["i", "key"])
        .agg(pl.col("w").sum())
        .sort(["i", "w", "key"], descending=[False, True, False])
        .with_columns(pl.int_range(pl.len()).over("i").alias("rank"))
        .filter(pl.col("rank") < 2)
    )
    first = pulls.filter(pl.col("rank") == 0).select("i", key1="key", w1="w")
    second = pulls.filter(pl.col("rank") == 1).select("i", w2="w")
    return first.join(second, on="i", how="left").with_columns(pl.col("w2").fill_null(0.0))


def merge_interlinked(
    weighted: pl.DataFrame, labels: np.ndarray, *, ratio: float = 0.5
) -> np.ndarray:
    """Merge campaigns that are as densely linked to each other as they are inside.

    Modularity can cut one large, sparsely linked campaign into pieces. Two labelled groups ``i``
    and ``j`` merge when the link density between them is at least ``ratio`` times the smaller
    of their internal densities: distinct operations are far sparser between than within.
    """
    out = labels.copy()
    if weighted.is_empty() or out.max(initial=-1) < 1:
        return out
    a = weighted["a"].to_numpy()
    b = weighted["b"].to_numpy()
    w = weighted["weight"].to_numpy()
    la, lb = out[a], out[b]
    keep = (la >= 0) & (lb >= 0)
    lo, hi = np.minimum(la[keep], lb[keep]), np.maximum(la[keep], lb[keep])
    blocks = (
        pl.DataFrame({"i": lo, "j": hi, "w": w[keep]}).group_by(["i", "j"]).agg(pl.col("w").sum())
    )
    sizes = np.bincount(out[out >= 0])
    internal = {
        int(i): 2.0 * wsum / max(sizes[i] * (sizes[i] - 1), 1)
        for i, j, wsum in blocks.iter_rows()
        if i == j
    }
    pairs = [
        (int(i), int(j))
        for i, j, wsum in blocks.iter_rows()
        if i != j
        and wsum / (sizes[i] * sizes[j])
        >= ratio * min(internal.get(i, 0.0), internal.get(j, 0.0))
        > 0
    ]
    return _union(out, pairs)


def merge_lookalikes(
    profiles: np.ndarray,
    labels: np.ndarray,
    candidates: list[np.ndarray] | None = None,
    *,
    max_difference: float = 1.0,
    quantile: float = 0.9,
) -> np.ndarray:
    """Merge campaigns that behave alike: one workload sharded into fleets with little linking.

    An operation that rotates every request through fresh residential IPs leaves few links
    between its fleets, so communities split it; what it cannot hide is that the fleets run the
    same job. Two labelled groups merge when their mean profiles differ by less than
    ``max_difference`` pooled within-group spreads in all but the top ``1 - quantile`` of
    profile columns (see :func:`~distillguard.accounts.profile.group_difference`); distinct
    operations differ by several spreads. Each of ``candidates`` (member arrays of groups that
    came close to being flagged) joins the campaign it resembles most, if it is such a
    lookalike: the same workload, split further. Returns new labels.
    """
    out = labels.copy()
    # Member arrays come from one sort and are kept up to date as candidates join, rather than
    # a scan of every account per group and candidate (accounts x groups x candidates).
    groups = members_by_label(out)
    pairs = [
        (gi, gj)
        for x, (gi, mi) in enumerate(groups)
        for gj, mj in groups[x + 1 :]
        if group_difference(profiles, mi, mj, quantile=quantile) < max_difference
    ]
    out = _union(out, pairs)
    current = dict(members_by_label(out))
    for members in candidates or []:
        free = members[out[members] < 0]
        if len(free) == 0 or not groups:
            continue
        diffs = [
            (group_difference(profiles, free, current[k], quantile=quantile), k)
            for k in sorted(current)
        ]
        best, k = min(diffs)
        if best < max_difference:
            out[free] = k
            current[k] = np.sort(np.concatenate([current[k], free]))
    return out


def _union(labels: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    """Labels with each pair of groups merged (transitively) under one label."""
    out = labels.copy()
    if not pairs:
        return out
    parent = {int(k): int(k) for k in np.unique(out[out >= 0])}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs:
        parent[find(i)] = find(j)
    top = int(out.max()) + 1
    mapped = np.array([find(x) if x in parent else -1 for x in range(top)])
    out[out >= 0] = mapped[out[out >= 0]]
    return out
