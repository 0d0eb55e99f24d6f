"""The one per-account summary of the sampled request signals (Polars group-bys).

Which accounts ask for reasoning traces, how many templates they use, and how their requests
spread over the capability space: the text-derived columns of the account table.
"""

from __future__ import annotations

import numpy as np
import polars as pl

ELICITATION_THRESHOLD = 0.5  # a request "asks for reasoning" when its probability passes this
# The agentic shares need this many sampled requests: one state-pasting request makes a share of
# 1.0 for a one-request account, which is no evidence of a decomposed project.
MIN_AGENTIC_SAMPLE = 3

__all__ = [
    "ELICITATION_THRESHOLD",
    "MIN_AGENTIC_SAMPLE",
    "content_summary",
    "summarise_by_account",
]


def content_summary(sample: pl.DataFrame, key: str = "idx") -> pl.DataFrame:
    """One row per ``key`` value of the scored ``sample``: ``elicitation_share``,
    ``trace_share``, ``trajectory_share`` and ``state_carry_share`` (share of sampled requests
    whose probability passes :data:`ELICITATION_THRESHOLD`; the two agentic shares are null
    under :data:`MIN_AGENTIC_SAMPLE` sampled requests), ``n_templates`` (distinct template
    ids), ``sampled``, one ``cap_<capability>`` share per capability seen (over requests with a
    capability), and ``cap_concentration`` / ``cap_entropy`` (the largest share, and the
    normalised entropy of the mix: a systematic coverage sweep is broad, a product feature
    narrow).

    >>> s = pl.DataFrame({"idx": [0, 0], "elicitation": [0.9, 0.1],
    ...     "trace_reconstruction": [0.0, 0.0], "trajectory": [0.0, 0.8], "state_carry": [0.0, 0.0],
    ...     "template_id": [1, 1], "capability": ["a", "b"]})
    >>> content_summary(s).select("elicitation_share", "n_templates", "cap_entropy").row(0)
    (0.5, 1, 1.0)
    """
    per = sample.group_by(key).agg(
        (pl.col("elicitation") > ELICITATION_THRESHOLD).mean().alias("elicitation_share"),
        (pl.col("trace_reconstruction") > ELICITATION_THRESHOLD).mean().alias("trace_share"),
        (pl.col("trajectory") > ELICITATION_THRESHOLD).mean().alias("trajectory_share"),
        (pl.col("state_carry") > ELICITATION_THRESHOLD).mean().alias("state_carry_share"),
        pl.col("template_id").n_unique().alias("n_templates"),
        pl.len().alias("sampled"),
    )
    enough = pl.col("sampled") >= MIN_AGENTIC_SAMPLE
    per = per.with_columns(
        pl.when(enough).then(pl.col(c)).alias(c) for c in ("trajectory_share", "state_carry_share")
    )
    caps = (
        sample.filter(pl.col("capability").is_not_null())
        .group_by([key, "capability"])
        .agg(pl.len().alias("c"))
        .with_columns((pl.col("c") / pl.col("c").sum().over(key)).alias("share"))
        .pivot(on="capability", index=key, values="share")
    )
    caps = caps.rename({c: f"cap_{c}" for c in caps.columns if c != key})
    cap_cols = sorted(c for c in caps.columns if c.startswith("cap_"))
    caps = caps.select(key, *cap_cols)
    caps = caps.with_columns([pl.col(c).fill_null(0.0) for c in cap_cols])
    if cap_cols:
        logs = [
            pl.when(pl.col(c) > 0).then(-pl.col(c) * pl.col(c).log()).otherwise(0.0)
            for c in cap_cols
        ]
        caps = caps.with_columns(
            pl.max_horizontal(cap_cols).alias("cap_concentration"),
            (pl.sum_horizontal(logs) / max(np.log(len(cap_cols)), 1e-9)).alias("cap_entropy"),
        )
    return per.join(caps, on=key, how="left")


def summarise_by_account(accounts: pl.DataFrame, sample: pl.DataFrame) -> pl.DataFrame:
    """Stage function: the account table with the :func:`content_summary` columns of its
    sampled requests joined on ``idx`` (accounts without sampled requests get nulls; an empty
    sample leaves the table as it is)."""
    if sample.is_empty():
        return accounts
    return accounts.join(content_summary(sample), on="idx", how="left")
