"""How much an account's traffic looks like capability harvesting.

Each indicator reflects one tactic from the public record and is put on a [0, 1] scale without
absolute cut-offs: *shares* (of requests asking for reasoning traces, of conversations with
missing turns...) are already probabilities and are used as they are; *levels* (output budget,
output/input ratio, account age) become their percentile rank in the population. Tactics are
alternatives — one operation elicits reasoning traces, another fakes agent histories — so the
indicators combine as independent evidence, ``1 - prod(1 - w_i * s_i)``, rather than as an average
that a single-tactic campaign would dilute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
import pyarrow as pa


@dataclass(frozen=True)
class Indicator:
    """One behaviour feature: its column, how it is scaled, its weight and what it means."""

    column: str
    kind: Literal["share", "inverse_share", "rank"]
    weight: float
    meaning: str


HARVEST_INDICATORS: tuple[Indicator, ...] = (
    Indicator("trace_share", "share", 0.6, "asks for the reasoning behind a supplied answer"),
    Indicator("elicitation_share", "share", 0.35, "asks the model to write out its reasoning"),
    Indicator("continuity", "inverse_share", 0.6, "sends turns of conversations it never had"),
    Indicator("cap_grading_reward", "share", 0.4, "uses the model as a grader / reward model"),
    Indicator("first_turn_share", "share", 0.15, "single-turn requests, no conversation"),
    Indicator("pivot_share", "share", 0.3, "moved to a newly released model within two days"),
    Indicator("max_tokens_mean", "rank", 0.25, "asks for large output budgets"),
    Indicator("out_in_ratio", "rank", 0.2, "long outputs for short inputs"),
    Indicator("young_at_first_use", "rank", 0.15, "account used at once after sign-up"),
    Indicator("ip_rotation", "share", 0.3, "a new network for nearly every request (proxy pool)"),
    Indicator(
        "trajectory_share", "share", 0.5, "asks for a whole agent trajectory in one response"
    ),
    Indicator("state_carry_share", "share", 0.4, "pastes a long project's state for its next step"),
    Indicator(
        "tools_without_loop", "share", 0.25, "defines tools but never sends a tool result back"
    ),
)


def percentile_rank(x: np.ndarray) -> np.ndarray:
    """Mid-rank percentile of each finite value among the finite values; NaN stays NaN.

    >>> percentile_rank(np.array([1.0, 3.0, np.nan, 2.0])).round(3).tolist()
    [0.167, 0.833, nan, 0.5]
    """
    out = np.full(len(x), np.nan)
    finite = np.isfinite(x)
    if finite.any():
        v = x[finite]
        order = np.sort(v)
        lo = np.searchsorted(order, v, side="left")
        hi = np.searchsorted(order, v, side="right")
        out[finite] = (lo + hi) / (2.0 * len(v))
    return out


def indicator_levels(accounts: pl.DataFrame) -> dict[str, np.ndarray]:
    """Each available indicator on its [0, 1] scale (NaN where the account lacks the data)."""
    levels: dict[str, np.ndarray] = {}
    for ind in HARVEST_INDICATORS:
        if ind.column not in accounts.columns:
            continue
        x = accounts[ind.column].cast(pl.Float64).fill_null(np.nan).to_numpy().astype(np.float64)
        if not np.isfinite(x).any():
            continue
        if ind.kind == "share":
            s = np.clip(x, 0.0, 1.0)
        elif ind.kind == "inverse_share":
            s = 1.0 - np.clip(x, 0.0, 1.0)
        else:
            s = percentile_rank(x)
        levels[ind.column] = s
    return levels


def combine(levels: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Noisy-OR of weighted indicator levels; missing indicators contribute nothing."""
    weights = {ind.column: ind.weight for ind in HARVEST_INDICATORS}
    miss = np.ones(n)
    for column, s in levels.items():
        miss *= 1.0 - weights[column] * np.nan_to_num(s, nan=0.0)
    out: np.ndarray = 1.0 - miss
    return out


def harvest_scores(accounts: pl.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Harvest score per account in [0, 1), and each indicator's level."""
    levels = indicator_levels(accounts)
    return combine(levels, accounts.height), levels


# How many requests the population's level counts for when judging one account's: an account
# with one request that asks for reasoning is not yet an account that harvests.
PRIOR_REQUESTS = 3.0


def credible_harvest(
    harvest: np.ndarray, requests: np.ndarray, prior_requests: float = PRIOR_REQUESTS
) -> np.ndarray:
    """Each account's harvest level pulled toward the population median in proportion to how
    little traffic it rests on: ``(k h + m median) / (k + m)`` for ``k`` requests and a prior
    worth ``m = prior_requests`` of them. Shares measured on one or two requests are 0 or 1 by
    construction; on a log of many light users, hundreds of them otherwise outrank every real
    harvester. Accounts with hundreds of requests keep their level.

    >>> h = np.array([0.9, 0.9, 0.2, 0.2, 0.2])
    >>> credible_harvest(h, np.array([1, 300, 1, 1, 1])).round(3).tolist()
    [0.375, 0.893, 0.2, 0.2, 0.2]
    """
    if len(harvest) == 0:
        return harvest
    k = np.asarray(requests, dtype=np.float64)
    median = float(np.median(harvest))
    out: np.ndarray = (k * harvest + prior_requests * median) / (k + prior_requests)
    return out


def category_codes(values: np.ndarray | pl.Series) -> np.ndarray:
    """An int64 code per element of a string column (equal strings, equal codes), -1 for null.

    Goes through Arrow, never a numpy object array cast, so a column whose first values are
    null (``np.array([None, "o"], dtype=object)``) works like any other.

    >>> category_codes(np.array([None, "o", "p", "o"], dtype=object)).tolist()
    [-1, 0, 1, 0]
    >>> category_codes(pl.Series([None, None], dtype=pl.String)).tolist()
    [-1, -1]
    """
    if isinstance(values, pl.Series):
        strings = values.cast(pl.String)
    else:
        strings = pl.Series(pa.array(values, pa.string()))
    return strings.cast(pl.Categorical).to_physical().cast(pl.Int64).fill_null(-1).to_numpy()


def org_excess(
    values: np.ndarray, org_ids: np.ndarray | pl.Series, *, min_peers: int = 3
) -> np.ndarray:
    """Each account's value minus the median of the *other* accounts of its organisation.

    An account is judged against its own organisation as well as the population: a reseller's or
    an enterprise's accounts that harvest far more than the rest of it stand out, while a team
    whose accounts all run the same evaluation sweep does not. NaN where the account has no
    organisation, fewer than ``min_peers`` peers, or no value.

    >>> v = np.array([0.9, 0.2, 0.3, 0.25, 0.5, 0.6])
    >>> org_excess(v, np.array(["a", "a", "a", "a", "b", None], dtype=object)).round(2).tolist()
    [0.65, -0.1, 0.05, -0.05, nan, nan]
    """
    out = np.full(len(values), np.nan)
    all_codes = category_codes(org_ids)
    known = np.flatnonzero((all_codes >= 0) & np.isfinite(values))
    if len(known) == 0:
        return out
    org = all_codes[known]
    order = np.lexsort((values[known], org))
    v, g = values[known][order], org[order]
    starts = np.searchsorted(g, g, side="left")
    size = np.searchsorted(g, g, side="right") - starts
    rank = np.arange(len(g)) - starts  # position within the organisation, by value
    peers = size - 1
    ok = peers >= min_peers
    # The median of the others: middle positions of the peers' order, skipping the account itself.
    lo, hi = (peers - 1) // 2, peers // 2
    lo = np.where(lo < rank, lo, lo + 1)
    hi = np.where(hi < rank, hi, hi + 1)
    top = len(v) - 1
    median = (v[np.minimum(starts + lo, top)] + v[np.minimum(starts + hi, top)]) / 2.0
    result = np.where(ok, v - median, np.nan)
    out[known[order]] = result
    return out
