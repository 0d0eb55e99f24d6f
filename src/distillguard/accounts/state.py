"""Mergeable per-account state: partial aggregates and sketches that windows and shards combine.

A service that sees exchanges as they arrive cannot recompute every account's history at each
window. :class:`AccountState` keeps, per account, only what merges: counts, sums and sums of
squares (so means and standard deviations), minima and maxima, hour-of-day counts, exact sets of
the few values an account uses (networks, ASNs, clients, keys, models, days), a KMV sketch of
its distinct prompts, and inter-arrival gap moments plus a log-scale gap histogram. The
datasketch vocabulary applies: ``update_batch`` folds in new exchanges, ``merge`` combines two
states (windows or shards, in any order), :meth:`features` gives the account features.

Which features are exact and which approximate (see ``docs/detection.md``):

* exact after any merge: ``n``, ``first_ts``, ``last_ts``, ``created_at``, hour counts, every
  share (``first_turn_share``, ``tool_share``, ``sys_prompt_share``, ``temp_known``,
  ``error_share``), every mean, every distinct count but prompts (``n_prefix``, ``n_asn``,
  ``n_country``, ``n_ua``, ``n_tls``, ``n_keys``, ``n_models``, ``active_days``);
* exact up to floating-point rounding: standard deviations (from sums of squares), and
  ``gap_mean`` / ``gap_std`` when the merged parts cover disjoint time spans (consecutive
  windows; the gap across a boundary is added at merge time);
* approximate: ``novelty`` (distinct prompts from a KMV sketch of :data:`KMV_SIZE` hashes: exact
  up to that many distinct prompts, about ``1/sqrt(k)`` relative error beyond), and
  ``gap_median`` (the geometric midpoint of the median's bucket in a histogram with
  :data:`GAP_BUCKETS_PER_DOUBLING` buckets per doubling: within about 9 %).

Conversation continuity and new-model pivots depend on other windows' conversations and on
release times, so :func:`~distillguard.accounts.features.account_features` keeps computing them
over the window it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import numpy as np
import polars as pl

from distillguard.accounts.features import HOURS

__all__ = ["GAP_BUCKETS_PER_DOUBLING", "KMV_SIZE", "AccountState"]

KMV_SIZE = 256  # smallest prompt hashes kept per account
GAP_BUCKETS_PER_DOUBLING = 4
GAP_BUCKETS = 32 * GAP_BUCKETS_PER_DOUBLING  # gaps up to 2**32 s
_HASH_SPACE = float(2**63)

# value column -> how it is derived from a request (moments: count, sum, sum of squares)
_MOMENTS = ("max_tokens_log", "out_tokens_log", "in_tokens_log", "out_in_log", "temp", "plen_log")
_FLAGS = ("first_turn", "tool", "sys_prompt", "temp_known", "error")
_SETS = {
    "n_prefix": "ip_prefix",
    "n_asn": "asn",
    "n_country": "country",
    "n_ua": "user_agent",
    "n_tls": "tls_fingerprint",
    "n_keys": "api_key_id",
    "n_models": "model",
    "active_days": "_day",
}


def _empty() -> pl.DataFrame:
    return pl.DataFrame({"account_id": pl.Series([], dtype=pl.String)})


@dataclass
class AccountState:
    """Per-account partial aggregates (one row per account in :attr:`parts`)."""

    parts: pl.DataFrame = field(default_factory=_empty)

    @classmethod
    def of(cls, requests: ir.Table) -> AccountState:
        """The state of a (conformed) request table: one engine aggregation per part."""
        return cls(_partials(requests))

    def update_batch(self, requests: ir.Table) -> AccountState:
        """Fold in new exchanges (a later window: gaps across the boundary are counted)."""
        return self.merge(AccountState.of(requests))

    def merge(self, other: AccountState) -> AccountState:
        """This state combined with ``other`` (commutative: parts are ordered by time)."""
        if self.parts.height == 0:
            self.parts = other.parts
        elif other.parts.height:
            self.parts = _merge(pl.concat([self.parts, other.parts], how="diagonal_relaxed"))
        return self

    def __len__(self) -> int:
        return self.parts.height

    def features(self) -> pl.DataFrame:
        """The mergeable account features (names as in
        :func:`~distillguard.accounts.features.account_features`), one row per account."""
        p = self.parts
        if "n" not in p.columns:  # nothing seen yet
            return _empty()
        n = pl.col("n").cast(pl.Float64)
        cols: list[pl.Expr] = [
            pl.col("account_id"),
            pl.col("n"),
            pl.col("first_ts"),
            pl.col("last_ts"),
            pl.col("created_at"),
            *[pl.col(f"h{h:02d}") for h in range(HOURS)],
            *[(pl.col(f"c_{f}") / n).alias(f"{f}_share") for f in _FLAGS if f != "temp_known"],
            (pl.col("c_temp_known") / n).alias("temp_known"),
            *[pl.col(c).list.len().fill_null(0).alias(name) for name, c in _sets().items()],
            (_kmv_estimate() / n).alias("novelty"),
            (pl.col("g_s") / pl.col("g_k")).alias("gap_mean"),
            _std("g").alias("gap_std"),
        ]
        names = {
            "max_tokens_log": "max_tokens",
            "out_tokens_log": "out_tokens",
            "in_tokens_log": "in_tokens",
            "out_in_log": "out_in_ratio",
            "temp": "temp",
            "plen_log": "prompt_len",
        }
        for m in _MOMENTS:
            stem = names[m]
            mean = (pl.col(f"{m}_s") / pl.col(f"{m}_k")).alias(
                stem if stem == "out_in_ratio" else f"{stem}_mean"
            )
            cols.append(mean)
            if m in ("max_tokens_log", "temp", "plen_log"):
                cols.append(_std(m).alias(f"{stem}_std"))
        out = p.select(cols)
        return out.with_columns(pl.Series("gap_median", _hist_median(p))).sort("account_id")


def _sets() -> dict[str, str]:
    return {name: f"set_{col.lstrip('_')}" for name, col in _SETS.items()}


def _std(m: str) -> pl.Expr:
    k, s, q = pl.col(f"{m}_k").cast(pl.Float64), pl.col(f"{m}_s"), pl.col(f"{m}_q")
    var = ((q - s * s / k) / (k - 1.0)).clip(lower_bound=0.0)
    return pl.when(k > 1).then(var.sqrt()).otherwise(None)


def _kmv_estimate() -> pl.Expr:
    """Distinct count from the k smallest hashes: exact below k, ``(k - 1) / h_k`` above."""
    size = pl.col("kmv").list.len()
    kth = pl.col("kmv").list.max().cast(pl.Float64) / _HASH_SPACE
    return pl.when(size < KMV_SIZE).then(size.cast(pl.Float64)).otherwise((KMV_SIZE - 1) / kth)


def _hist_median(p: pl.DataFrame) -> np.ndarray:
    if p.height == 0:
        return np.zeros(0)
    hist = np.asarray(p["g_hist"].to_list(), dtype=np.float64).reshape(p.height, GAP_BUCKETS + 1)
    total = hist.sum(axis=1)
    cum = np.cumsum(hist, axis=1)
    bucket = (cum < (total[:, None] / 2.0)).sum(axis=1)
    # bucket 0 holds zero gaps; bucket b >= 1 holds [2**((b-1)/B), 2**(b/B)) seconds
    mid = np.where(bucket == 0, 0.0, 2.0 ** ((bucket - 0.5) / GAP_BUCKETS_PER_DOUBLING))
    return np.where(total > 0, mid, np.nan)


def _gap_bucket(gap: pl.Expr) -> pl.Expr:
    b = (gap.clip(lower_bound=1.0).log(2) * GAP_BUCKETS_PER_DOUBLING).floor().cast(pl.Int64) + 1
    return pl.when(gap <= 0).then(0).otherwise(b.clip(1, GAP_BUCKETS))


def _partials(t: ir.Table) -> pl.DataFrame:
    """One row per account of ``t``: the partial aggregates (engine side), the prompt KMV
    sketch and the gap moments/histogram (over this part's own consecutive requests)."""
    f = t.mutate(
        _day=t.timestamp.date().cast("string"),
        _hour=t.timestamp.hour(),
        max_tokens_log=t.max_tokens.cast("float64").log10(),
        out_tokens_log=(t.output_tokens.cast("float64") + 1).log10(),
        in_tokens_log=(t.input_tokens.cast("float64") + 1).log10(),
        out_in_log=(
            (t.output_tokens.cast("float64") + 1.0) / (t.input_tokens.cast("float64") + 1.0)
        ).log10(),
        temp=t.temperature,
        plen_log=(t.prompt.length().cast("float64") + 1).log10(),
    )
    aggs: dict[str, ir.Value] = {
        "n": f.count(),
        "first_ts": f.timestamp.min(),
        "last_ts": f.timestamp.max(),
        "created_at": f.account_created_at.min(),
        "c_first_turn": (f.turn_index.fill_null(0) == 0).cast("int64").sum(),
        "c_tool": (f.tool_count.fill_null(0) > 0).cast("int64").sum(),
        "c_sys_prompt": f.system_prompt.notnull().cast("int64").sum(),
        "c_temp_known": f.temperature.notnull().cast("int64").sum(),
        "c_error": f.status.isin(["error", "refused"]).cast("int64").sum(),
    }
    aggs |= {f"h{h:02d}": (f._hour == h).cast("int64").sum() for h in range(HOURS)}
    for m in _MOMENTS:
        aggs |= {f"{m}_k": f[m].count(), f"{m}_s": f[m].sum(), f"{m}_q": (f[m] * f[m]).sum()}
    for name, col in _SETS.items():
        aggs[_sets()[name]] = f[col].cast("string").collect(distinct=True)
    agg = pl.from_arrow(f.group_by("account_id").aggregate(**aggs).to_pyarrow())
    assert isinstance(agg, pl.DataFrame)
    if agg.height == 0:
        return _empty()
    # KMV: the smallest distinct prompt hashes per account, chosen in the engine.
    h = t.select("account_id", _h=t.prompt.lower().hash().abs())
    h = h.distinct()
    ranked = h.mutate(_r=ibis.row_number().over(group_by=h.account_id, order_by=h._h))
    small = pl.from_arrow(
        ranked.filter(ranked._r < KMV_SIZE).select("account_id", "_h").to_pyarrow()
    )
    assert isinstance(small, pl.DataFrame)
    kmv = small.group_by("account_id").agg(pl.col("_h").sort().alias("kmv"))
    # Gap moments and histogram over this part's consecutive requests.
    times = pl.from_arrow(
        t.select("account_id", _e=t.timestamp.epoch_seconds().cast("float64")).to_pyarrow()
    )
    assert isinstance(times, pl.DataFrame)
    gaps = times.sort(["account_id", "_e"]).with_columns(
        (pl.col("_e") - pl.col("_e").shift(1).over("account_id")).alias("_g")
    )
    gaps = gaps.filter(pl.col("_g").is_not_null()).with_columns(
        _gap_bucket(pl.col("_g")).alias("_b")
    )
    moments = gaps.group_by("account_id").agg(
        pl.len().alias("g_k"),
        pl.col("_g").sum().alias("g_s"),
        (pl.col("_g") ** 2).sum().alias("g_q"),
    )
    hist = _histograms(gaps)
    out = agg.join(kmv, on="account_id", how="left").join(moments, on="account_id", how="left")
    out = out.join(hist, on="account_id", how="left")
    return _fill(out)


def _histograms(gaps: pl.DataFrame) -> pl.DataFrame:
    counts = gaps.group_by("account_id", "_b").len()
    ids = counts["account_id"].unique().sort()
    pos = {a: i for i, a in enumerate(ids.to_list())}
    row = counts["account_id"].replace_strict(pos, return_dtype=pl.Int64).to_numpy()
    hist = np.zeros((len(ids), GAP_BUCKETS + 1), dtype=np.int64)
    np.add.at(hist, (row, counts["_b"].to_numpy()), counts["len"].to_numpy())
    return pl.DataFrame({"account_id": ids, "g_hist": list(hist)})


def _fill(p: pl.DataFrame) -> pl.DataFrame:
    zero_hist = [0] * (GAP_BUCKETS + 1)
    return p.with_columns(
        pl.col("kmv").fill_null(pl.lit([], dtype=pl.List(pl.Int64))),
        pl.col("g_k").fill_null(0),
        pl.col("g_s").fill_null(0.0),
        pl.col("g_q").fill_null(0.0),
        pl.col("g_hist").fill_null(pl.lit(zero_hist, dtype=pl.List(pl.Int64))),
    )


def _union(column: str) -> pl.Expr:
    """The sorted union of a list column's values within a group."""
    return pl.col(column).list.explode(keep_nulls=False, empty_as_null=False).unique().sort()


def _merge(parts: pl.DataFrame) -> pl.DataFrame:
    """Combine several parts per account; the gap across each boundary between consecutive
    parts (ordered by first request) joins the moments and the histogram."""
    parts = parts.sort(["account_id", "first_ts"])
    boundary = (
        (pl.col("first_ts") - pl.col("last_ts").shift(1).over("account_id")).dt.total_seconds(
            fractional=True
        )
    ).clip(lower_bound=0.0)
    parts = parts.with_columns(boundary.alias("_bg"))
    hist = np.asarray(parts["g_hist"].to_list(), dtype=np.int64).reshape(parts.height, -1)
    bg = parts["_bg"].to_numpy()
    has = ~np.isnan(bg)
    b = parts.select(_gap_bucket(pl.col("_bg")).alias("b"))["b"].to_numpy()
    hist[np.flatnonzero(has), b[has].astype(np.int64)] += 1
    parts = parts.with_columns(pl.Series("g_hist", list(hist)))
    g = pl.col("_bg").fill_null(0.0)
    parts = parts.with_columns(
        (pl.col("g_k") + pl.col("_bg").is_not_null().cast(pl.Int64)).alias("g_k"),
        (pl.col("g_s") + g).alias("g_s"),
        (pl.col("g_q") + g * g).alias("g_q"),
    )
    sums = [c for c in parts.columns if c == "n" or c.startswith(("c_", "h", "g_"))]
    sums = [c for c in sums if c not in ("g_hist",)]
    sums += [f"{m}_{x}" for m in _MOMENTS for x in "ksq"]
    aggs: list[pl.Expr] = [pl.col(c).sum() for c in sums]
    aggs += [
        pl.col("first_ts").min(),
        pl.col("last_ts").max(),
        pl.col("created_at").min(),
        pl.col("kmv")
        .list.explode(keep_nulls=False, empty_as_null=False)
        .unique()
        .sort()
        .head(KMV_SIZE)
        .alias("kmv"),
        *[
            pl.col(c).list.explode(keep_nulls=False, empty_as_null=False).unique().sort().alias(c)
            for c in _sets().values()
        ],
    ]
    merged = parts.group_by("account_id").agg(aggs)
    # histograms: element-wise sum per account
    ids = merged["account_id"].to_list()
    pos = {a: i for i, a in enumerate(ids)}
    row = parts["account_id"].replace_strict(pos, return_dtype=pl.Int64).to_numpy()
    total = np.zeros((len(ids), GAP_BUCKETS + 1), dtype=np.int64)
    np.add.at(total, row, hist)
    return merged.with_columns(pl.Series("g_hist", list(total))).sort("account_id")
