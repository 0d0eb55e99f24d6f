"""Per-account summaries of request features, for the account stage (Polars group-bys)."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from distillguard.signals.capability import CAPABILITIES

ELICITATION_THRESHOLD = 0.5


def summarise_by_account(features: pa.Table, account_ids: pa.Array | pa.ChunkedArray) -> pa.Table:
    """One row per account: ``requests``, ``scored`` (non-null prompts), ``elicitation_share``
    (share with elicitation > 0.5), ``trace_share``, ``mean_elicitation``, one
    ``cap_<capability>`` share column per capability, ``top_capability``, ``templates``
    (distinct template ids), ``top_template_share`` (share of the commonest template) and
    ``langs`` (distinct languages)."""
    df = pl.from_arrow(features)
    assert isinstance(df, pl.DataFrame)
    df = df.with_columns(pl.Series("account_id", account_ids).cast(pl.String))
    scored = pl.col("elicitation").is_not_null()
    aggs = [
        pl.len().alias("requests"),
        scored.sum().alias("scored"),
        (pl.col("elicitation") > ELICITATION_THRESHOLD).mean().alias("elicitation_share"),
        (pl.col("trace_reconstruction") > ELICITATION_THRESHOLD).mean().alias("trace_share"),
        pl.col("elicitation").mean().alias("mean_elicitation"),
        pl.col("template_id").n_unique().alias("templates"),
        pl.col("lang").drop_nulls().n_unique().alias("langs"),
    ]
    aggs += [(pl.col("capability") == c).mean().alias(f"cap_{c}") for c in CAPABILITIES]
    out = df.group_by("account_id").agg(aggs)
    top_tpl = (
        df.filter(pl.col("template_id").is_not_null())
        .group_by("account_id", "template_id")
        .len()
        .group_by("account_id")
        .agg((pl.col("len").max() / pl.col("len").sum()).alias("top_template_share"))
    )
    top_cap = (
        df.filter(pl.col("capability").is_not_null())
        .group_by("account_id", "capability")
        .len()
        .sort(["account_id", "len", "capability"], descending=[False, True, False])
        .group_by("account_id", maintain_order=True)
        .first()
        .select("account_id", pl.col("capability").alias("top_capability"))
    )
    out = out.join(top_tpl, on="account_id", how="left").join(top_cap, on="account_id", how="left")
    return out.sort("account_id").to_arrow()
