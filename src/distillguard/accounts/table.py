"""Stage functions of the account stage: the account table and its harvest levels.

:func:`account_table` turns a (windowed) request table into one row per account, with a dense
integer ``idx`` (0..n-1, in ``account_id`` order) that every later stage uses to index arrays;
:func:`score_accounts` adds the harvest score and the per-indicator levels once the sample's
content summary is joined. A batch run and a windowed service call the same two functions.
"""

from __future__ import annotations

import ibis.expr.types as ir
import numpy as np
import polars as pl

from distillguard.accounts.features import HOURS, account_features
from distillguard.accounts.score import credible_harvest, harvest_scores, org_excess

__all__ = ["MIN_TOOL_LOOP_REQUESTS", "account_table", "derive_account_columns", "score_accounts"]

# Fewer requests than this say nothing about a tool loop (one request is always "never continued").
MIN_TOOL_LOOP_REQUESTS = 3


def account_table(requests: ir.Table) -> pl.DataFrame:
    """One row per account: the engine's behaviour features (see
    :func:`~distillguard.accounts.features.account_features`), the derived columns of
    :func:`derive_account_columns`, and ``idx``. ``requests`` must be conformed."""
    raw = pl.from_arrow(account_features(requests).to_pyarrow())
    assert isinstance(raw, pl.DataFrame)
    # Engines sum floats in different orders; rounding away the last bits keeps ties tied, so
    # population ranks (and every verdict) are the same on DuckDB and Spark.
    raw = raw.with_columns(pl.col(pl.Float64).round(9))
    return derive_account_columns(raw)


def derive_account_columns(raw: pl.DataFrame) -> pl.DataFrame:
    """``idx`` (dense, in ``account_id`` order) and the features computed from the aggregates:
    hour shares, log median gap, gap CV (timing regularity), IP rotation, youth at first use and
    tools without a tool loop."""
    acc = raw.sort("account_id").with_row_index("idx").with_columns(pl.col("idx").cast(pl.Int64))
    n = pl.col("n").cast(pl.Float64)
    hour_cols = [f"h{h:02d}" for h in range(HOURS)]
    age_hours = (pl.col("first_ts") - pl.col("created_at")).dt.total_seconds() / 3600.0
    return acc.with_columns(
        *[(pl.col(c) / n).alias(f"h_{c[1:]}") for c in hour_cols],
        (pl.col("gap_median").fill_null(0.0) + 1.0).log10().alias("log_gap_median"),
        # Timing regularity: a scheduler's even pacing (low) vs a person's bursts (high).
        (pl.col("gap_std") / pl.col("gap_mean")).fill_nan(None).alias("gap_cv"),
        # Share of requests that came from a network the account had not used before.
        ((pl.col("n_prefix").cast(pl.Float64) - 1.0) / (n - 1.0))
        .clip(0.0, 1.0)
        .fill_nan(None)
        .alias("ip_rotation"),
        (-(age_hours.clip(lower_bound=0.0) + 1.0).log10()).alias("young_at_first_use"),
        # Share of all requests that define tools in a conversation never continued: an
        # evaluation sweep with a few function-calling items stays low, an account whose agent
        # traffic never runs a tool loop is near 1. Null when the account sent no conversation ids
        # or too few requests to show a loop.
        pl.when(pl.col("n_conversations").is_not_null() & (pl.col("n") >= MIN_TOOL_LOOP_REQUESTS))
        .then(pl.col("tool_share") * pl.col("tool_no_loop_share").fill_null(0.0))
        .alias("tools_without_loop"),
    )


def score_accounts(accounts: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    """The account table with ``harvest`` (how much each account looks like capability
    harvesting, in [0, 1]), ``harvest_credible`` (the same, pulled toward the population for
    accounts with few requests: see :func:`~distillguard.accounts.score.credible_harvest`) and
    ``harvest_vs_org`` (its excess over its organisation's other accounts), plus each
    indicator's level per account (see :func:`~distillguard.accounts.score.harvest_scores`).
    Call it after the content summary is joined: several indicators come from the text
    signals."""
    harvest, levels = harvest_scores(accounts)
    out = accounts.with_columns(
        pl.Series("harvest", harvest),
        pl.Series("harvest_credible", credible_harvest(harvest, accounts["n"].to_numpy())),
        pl.Series("harvest_vs_org", org_excess(harvest, accounts["org_id"].to_numpy())),
    )
    return out, levels
