"""Complementary coverage: accounts that split one task space between them under shared wrappers.

A coverage sweep hands each account its own slice of a task grid (task family x environment x
tool set) and sends every task through one of a handful of wrappers. What the accounts share is
the wrapper; what they never share is a task. Two other populations share wrappers too, and this
linker tells them apart by the tasks:

* evaluation teams running one public benchmark harness send the *same* task list through the
  same wrapper: most tasks under it are sent by several accounts (heavy overlap);
* unrelated users of a common wrapper from different organisations are the template family's
  business, weighed by how many organisations use the wrapper.

For each prompt template (the request-signal stage's template ids over the sample) used by
accounts of at least ``min_orgs`` organisations, each of them with at least ``min_tasks``
distinct tasks under it (a slice, not a one-off), the *repeat share* ``r`` is the share of
(account, task) pairs whose task another account of the group also sent; a task is the prompt's
exact masked skeleton. The group links its accounts with weight ``overlap x specificity x
(1 - r / max_repeat)`` (zero at or above ``max_repeat``), ``overlap`` being the accounts' shares
of sampled traffic under the template and ``specificity`` falling with the organisations that
use it, as for system prompts. A slice is walked one task per new conversation, so each
account's share is also scaled by its share of requests that open a conversation: the later
turns of a real tool loop wrap tool results in the agent framework's fixed format, which is one
template across all the framework's users but not a task.

This evidence is not independent of the template family (both start from a shared wrapper), so
its reliability is low; it adds what the template family cannot see: that the accounts' tasks
are disjoint slices of one space, not one task list run by several teams.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from distillguard.errors import ConfigError
from distillguard.linkage.base import LinkContext, empty_edges
from distillguard.linkage.shared_keys import CrossOrgLinker


@dataclass
class CoverageLinker(CrossOrgLinker):
    """Link accounts whose sampled tasks under a shared template are disjoint slices.

    ``groups`` (filled by :meth:`link`, for reports and diagnostics) describes each linking
    template: ``orgs``, ``repeat`` and ``weight``."""

    family: str = "coverage"
    min_orgs: int = 3
    min_tasks: int = 2
    max_repeat: float = 0.2
    reliability: float = 0.25
    description: str = "split one task space between them under shared wrappers"

    def check(self) -> None:
        super().check()
        if not 0 < self.max_repeat <= 1:
            raise ConfigError(f"linker family {self.family!r}: max_repeat must be in (0, 1]")

    def link(self, ctx: LinkContext) -> pl.DataFrame:
        self.groups = []
        s = ctx.sample
        if s.is_empty() or not {"template_id", "skeleton"} <= set(s.columns):
            return empty_edges()
        s = s.filter(pl.col("template_id").is_not_null() & pl.col("skeleton").is_not_null())
        if s.is_empty():
            return empty_edges()
        opener = (
            pl.col("first_turn_share").fill_null(1.0)
            if "first_turn_share" in ctx.accounts.columns
            else pl.lit(1.0)
        )
        org = ctx.accounts.select(
            "idx",
            pl.coalesce(pl.col("org_id"), pl.col("account_id")).alias("org"),
            opener.alias("opener"),
        )
        n_orgs = max(int(org["org"].n_unique()), 2)
        totals = ctx.sample.group_by("idx").agg(pl.len().alias("total"))
        # one row per (template, account, task)
        cells = s.group_by(["template_id", "idx", "skeleton"]).agg(pl.len().alias("c"))
        cells = cells.with_columns(
            pl.col("idx").n_unique().over(["template_id", "skeleton"]).alias("k")
        )
        per_account = (
            cells.group_by(["template_id", "idx"])
            .agg(pl.len().alias("tasks"), pl.col("c").sum().alias("c"))
            .filter(pl.col("tasks") >= self.min_tasks)
            .join(org, on="idx")
        )
        repeat = (
            cells.join(per_account.select("template_id", "idx"), on=["template_id", "idx"])
            .group_by("template_id")
            .agg(((pl.col("k") >= 2).sum() / pl.len()).alias("repeat"))
        )
        stats = (
            per_account.group_by("template_id")
            .agg(pl.col("org").n_unique().alias("orgs"))
            .filter(pl.col("orgs") >= self.min_orgs)
            .join(repeat, on="template_id")
            .with_columns(
                (
                    (1.0 - (pl.col("orgs") + 1).log() / np.log1p(n_orgs)).clip(0.0, 1.0)
                    * (1.0 - pl.col("repeat") / self.max_repeat).clip(0.0, 1.0)
                ).alias("weight")
            )
            .filter(pl.col("weight") > 0)
            .sort("template_id")
        )
        self.groups = stats.to_dicts()
        shares = (
            per_account.join(stats.select("template_id", "weight"), on="template_id")
            .join(totals, on="idx")
            .select(
                "idx",
                pl.col("template_id").cast(pl.String).alias("value"),
                (pl.col("c") / pl.col("total") * pl.col("opener") * pl.col("weight")).alias(
                    "share"
                ),
            )
        )
        return self.group_edges(shares, ctx)
