"""Behavioural linkers: one workload sharded over many accounts.

* :class:`TemplateLinker` — accounts whose prompts are built from the same wrapper template
  (template ids come from the request-signal stage's MinHash over masked prompt skeletons).
* :class:`TwinLinker` — accounts whose whole usage profile (capability mix, output budget,
  sampling settings, prompt lengths, hours, conversation structure) is nearly identical. It survives
  IP rotation and paraphrased prompts, since it compares distributions rather than strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from sklearn.neighbors import NearestNeighbors

from distillguard.accounts.profile import profile_columns, standardized_profiles
from distillguard.linkage.base import LinkContext, Linker, canonical_edges, empty_edges
from distillguard.linkage.shared_keys import overlap_edges


@dataclass
class TemplateLinker(Linker):
    """Link accounts whose sampled prompts share template ids, by template-distribution overlap."""

    family: str = "template"
    fanout: int = 12
    # A template most accounts share (a stock wrapper, or one grown by chaining at scale) is not
    # evidence of one operator: weigh shared templates by how few accounts use them.
    idf: bool = True
    reliability: float = 0.5
    description: str = "build prompts from the same templates"

    def link(self, ctx: LinkContext) -> pl.DataFrame:
        s = ctx.sample
        if s.is_empty() or "template_id" not in s.columns:
            return empty_edges()
        shares = (
            s.filter(pl.col("template_id").is_not_null())
            .group_by(["idx", "template_id"])
            .agg(pl.len().alias("c"))
            .with_columns(
                (pl.col("c") / pl.col("c").sum().over("idx")).alias("share"),
                pl.col("template_id").cast(pl.String).alias("value"),
            )
            .select("idx", "value", "share")
        )
        return overlap_edges(
            shares,
            self.family,
            population=ctx.n_accounts,
            idf=self.idf,
            fanout=self.fanout,
            seed=ctx.seed,
        )


@dataclass
class TwinLinker(Linker):
    """Link each account to its nearest behavioural neighbours when they are unusually close.

    Closeness is judged against the population: ``weight = exp(-(d / d_ref)^2)`` where ``d_ref`` is
    the median distance from an account to its ``k``-th neighbour. Accounts with fewer than
    ``min_requests`` requests are skipped: their profiles are too noisy to compare.
    """

    family: str = "twin"
    k: int = 8
    min_requests: int = 20
    features: tuple[str, ...] = field(default=())
    reliability: float = 0.45
    description: str = "have near-identical usage profiles (one workload sharded)"

    def link(self, ctx: LinkContext) -> pl.DataFrame:
        acc = ctx.accounts
        cols = [c for c in (self.features or profile_columns(acc)) if c in acc.columns]
        eligible = acc.filter(pl.col("n") >= self.min_requests)
        if eligible.height <= self.k or not cols:
            return empty_edges()
        z = standardized_profiles(eligible, cols)
        nn = NearestNeighbors(n_neighbors=self.k + 1).fit(z)
        dist, ind = nn.kneighbors(z)
        d_ref = float(np.median(dist[:, -1])) or 1.0
        rows = np.repeat(np.arange(len(z)), self.k)
        nbr = ind[:, 1:].ravel()
        d = dist[:, 1:].ravel()
        weight = np.exp(-((d / d_ref) ** 2))
        idx = eligible["idx"].to_numpy()
        return canonical_edges(idx[rows], idx[nbr], weight, self.family, merge="max")
