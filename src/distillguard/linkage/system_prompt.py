"""System-prompt fingerprints as a cross-organisation linker, weighted by specificity.

An operator that runs many accounts through one harness sends the same (or a lightly paraphrased)
system prompt from all of them, whatever organisation each account claims. But a shared system
prompt is also what every user of a popular open-source agent sends (one default prompt, thousands
of organisations), and what every evaluation team running the same public benchmark harness sends.
Three things separate the operator, and this linker weighs each:

* **Fingerprint.** Each distinct system prompt is normalised (case, white space) and hashed; with
  ``near_duplicates`` it is grouped with its near-duplicates by the prompt-skeleton index the
  template signal uses (:class:`~distillguard.signals.skeleton.SkeletonIndex`: masked head and
  tail, MinHash + LSH), so a paraphrased or noised copy of the operator's prompt falls in one
  group.
* **Specificity over organisations.** A group's weight falls with the number of organisations using
  it relative to the log, ``1 − log(1 + o) / log(1 + O)``: a default prompt shared by a large part
  of the customer base says nothing about a common operator.
* **Task overlap.** Evaluation teams share a harness *and* its task list: most tasks sent under
  the prompt are sent by several accounts. A sweep's accounts each walk their own slice and never
  repeat one another. The group's weight is scaled by ``1 − r``, ``r`` being the share of
  (account, task) pairs under the prompt whose task another account also sent (tasks are exact
  normalised prompts, counted over every request by the engine).

Whether the accounts *harvest* is not this linker's business: the clustering stage scales every
link by both ends' harvest levels, so users of an agent's default prompt running real tool loops
stay apart however the prompt is shared. Edges are distribution overlaps like the other key
linkers (:func:`~distillguard.linkage.shared_keys.overlap_edges`), so an account that uses the
prompt for a sliver of its traffic is linked only weakly.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import polars as pl
import pyarrow as pa

from distillguard.linkage.base import LinkContext, empty_edges
from distillguard.linkage.shared_keys import CrossOrgLinker, shares_of_requests
from distillguard.signals.skeleton import SkeletonIndex

# Every white-space run becomes one space. Only the runs that change are matched (two or more
# white-space characters, or one that is not a space): the same result as replacing ``\s+``,
# at half the cost, since prose has a single space between most words and each regex match
# costs more than the scan between matches.
_WHITE_RUN = r"\s\s+|[^\S ]"


def normalised_text(col: ir.StringValue) -> ir.StringValue:
    """Case and white space folded, so trivially re-spaced copies share one fingerprint."""
    return col.lower().re_replace(_WHITE_RUN, " ").strip()


def prompt_groups(texts: pa.Array) -> np.ndarray:
    """Near-duplicate group id (int64) of each distinct text, by the prompt-skeleton index: the
    same masked MinHash grouping that gives prompt templates their ids."""
    if len(texts) == 0:
        return np.zeros(0, np.int64)
    _, groups = SkeletonIndex().update_and_assign(pa.table({"prompt": texts}))
    return np.asarray(groups.to_numpy(zero_copy_only=False), dtype=np.int64)


def system_prompt_usage(
    t: ir.Table, accounts: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two engine queries over every request with a system prompt.

    ``usage``: one row per (account, normalised prompt digest): ``account_id, digest, share`` (the
    share of the account's requests sent with it). ``prompts``: one row per digest with the
    normalised ``text`` and the task counts ``pairs`` (distinct (account, task) pairs under it)
    and ``repeated`` (those whose task another account also sent under it). With ``accounts``
    (``account_id`` and its request count ``n``), the shares divide by ``n`` instead of counting
    every account's requests once more.
    """
    # A log sends a handful of distinct system prompts millions of times (23 in 2.8 M requests
    # at 80 K accounts): each is normalised and hashed once, and the requests take its digest by
    # a join on the text as sent. Normalising every row instead took 42 s there (the engine's
    # request table is a temporary one, where strings are not dictionary-compressed).
    sent = t.filter(t.system_prompt.notnull())
    names = sent.select(_sent=sent.system_prompt).distinct()
    names = names.mutate(_text=normalised_text(names._sent))
    names = names.filter(names._text.length() > 0).mutate(_digest=names._text.hexdigest("sha256"))
    per_text = sent.group_by(["account_id", "system_prompt"]).aggregate(_c=ibis._.count())
    per_text = per_text.join(names, per_text.system_prompt == names._sent)
    counts = per_text.group_by(["account_id", "_digest"]).aggregate(_c=per_text._c.sum())
    sp = sent.join(names, sent.system_prompt == names._sent)
    if accounts is None:
        per = counts.join(t.group_by("account_id").aggregate(_n=ibis._.count()), "account_id")
        usage = per.select("account_id", digest=per._digest, share=per._c.cast("float64") / per._n)
    task = normalised_text(sp.prompt).hexdigest("sha256")
    tasks = (
        sp.filter(sp.prompt.notnull())
        .group_by([sp._digest.name("_digest"), task.name("_task")])
        .aggregate(_k=ibis._.account_id.nunique())
    )
    overlap = tasks.group_by("_digest").aggregate(
        pairs=tasks._k.sum(), repeated=(tasks._k >= 2).ifelse(tasks._k, 0).sum()
    )
    texts = names.group_by("_digest").aggregate(text=names._text.min())
    prompts = texts.left_join(overlap, "_digest").select(
        digest=texts._digest, text=texts.text, pairs=overlap.pairs, repeated=overlap.repeated
    )
    if accounts is None:
        u = pl.from_arrow(usage.to_pyarrow())
    else:
        u = shares_of_requests(counts, accounts, "_digest", "digest")
    p = pl.from_arrow(prompts.to_pyarrow())
    assert isinstance(u, pl.DataFrame) and isinstance(p, pl.DataFrame)
    return u, p.sort("digest")


@dataclass
class SystemPromptLinker(CrossOrgLinker):
    """Link accounts of different organisations that send the same uncommon system prompt, unless
    the prompt's users run the same tasks (a shared evaluation harness).

    ``near_duplicates``: group each prompt with its near-duplicates (paraphrased or noised copies)
    rather than with exact normalised copies only. Off by default: product system prompts are
    often one boilerplate with the brand name swapped, and grouping those links unrelated
    customers (measured on the holdout log: 117 of 120 small-app accounts linked at weights up to
    0.8, against none with exact grouping).
    ``min_orgs``: a prompt used inside fewer organisations links no one (a customer's own
    accounts share its prompt). ``fanout`` bounds the pairs drawn from one large group.
    ``groups`` (filled by :meth:`link`, for reports and diagnostics) describes each linked
    prompt group: ``accounts``, ``orgs``, ``specificity``, ``task_overlap``, ``weight``.
    """

    family: str = "system_prompt"
    near_duplicates: bool = False
    reliability: float = 0.4
    description: str = "send the same uncommon system prompt from different organisations"

    def link(self, ctx: LinkContext) -> pl.DataFrame:
        self.groups = []
        t = ctx.requests
        if "system_prompt" not in t.columns or ctx.n_accounts < 2:
            return empty_edges()
        usage, prompts = system_prompt_usage(
            t, ctx.accounts if "n" in ctx.accounts.columns else None
        )
        if usage.is_empty():
            return empty_edges()
        if self.near_duplicates:
            text = pa.array(prompts["text"].to_list(), pa.string())
            prompts = prompts.with_columns(pl.Series("group", prompt_groups(text)))
        else:
            prompts = prompts.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("group"))
        acc = ctx.accounts.select(
            "account_id", "idx", pl.coalesce(pl.col("org_id"), pl.col("account_id")).alias("org")
        )
        n_orgs = max(int(acc["org"].n_unique()), 2)
        usage = usage.join(prompts.select("digest", "group"), on="digest").join(
            acc, on="account_id"
        )
        overlap = prompts.group_by("group").agg(
            pl.col("pairs").fill_null(0).sum(), pl.col("repeated").fill_null(0).sum()
        )
        stats = (
            usage.group_by("group")
            .agg(
                pl.col("idx").n_unique().alias("accounts"),
                pl.col("org").n_unique().alias("orgs"),
            )
            .join(overlap, on="group", how="left")
            .with_columns(
                (1.0 - (pl.col("orgs") + 1).log() / np.log1p(n_orgs))
                .clip(0.0, 1.0)
                .alias("specificity"),
                (pl.col("repeated") / pl.col("pairs").clip(lower_bound=1))
                .fill_null(0.0)
                .alias("task_overlap"),
            )
            .with_columns((pl.col("specificity") * (1.0 - pl.col("task_overlap"))).alias("weight"))
            .filter((pl.col("orgs") >= self.min_orgs) & (pl.col("weight") > 0))
            .sort("group")
        )
        self.groups = stats.to_dicts()
        shares = (
            usage.join(stats.select("group", "weight"), on="group")
            .group_by(["idx", "group"])
            .agg(
                (pl.col("share").sum().clip(upper_bound=1.0) * pl.col("weight").first()).alias(
                    "share"
                )
            )
            .select("idx", pl.col("group").cast(pl.String).alias("value"), "share")
        )
        return self.group_edges(shares, ctx)
