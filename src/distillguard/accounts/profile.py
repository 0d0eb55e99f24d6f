"""Behaviour profiles: each account's usage as one standardised vector.

The profile covers what an account asks for and how (capability mix, reasoning-trace requests,
output budget, sampling settings, prompt lengths, conversation structure, hours of activity), not
where it comes from, so it survives IP rotation and paraphrased prompts. Columns are put on a
robust population scale (median and MAD), so a distance between two profiles, or between two
groups' mean profiles, reads in units of "typical spread among accounts".
"""

from __future__ import annotations

import numpy as np
import polars as pl

_BASE = (
    "first_turn_share",
    "continuity",
    "novelty",
    "max_tokens_mean",
    "max_tokens_std",
    "out_in_ratio",
    "out_tokens_mean",
    "in_tokens_mean",
    "temp_mean",
    "temp_std",
    "tool_share",
    "prompt_len_mean",
    "prompt_len_std",
    "elicitation_share",
    "trace_share",
    "sys_prompt_share",
    "log_gap_median",
    "gap_cv",
)
# Capability shares, concentration and spread; share of requests in each hour of the day.
_PREFIXES = ("cap_", "h_")
CLIP = 8.0


def profile_columns(accounts: pl.DataFrame) -> list[str]:
    """The profile columns present in ``accounts``."""
    return [c for c in _BASE if c in accounts.columns] + [
        c for c in accounts.columns if c.startswith(_PREFIXES)
    ]


def standardized_profiles(accounts: pl.DataFrame, columns: list[str]) -> np.ndarray:
    """One row per account: ``columns`` centred on the median, scaled by the MAD (the standard
    deviation where the MAD is zero) and clipped to ``[-8, 8]``; missing values count as 0.

    >>> df = pl.DataFrame({"x": [1.0, 2.0, 3.0, 100.0]})
    >>> standardized_profiles(df, ["x"]).ravel().round(2).tolist()
    [-1.01, -0.34, 0.34, 8.0]
    """
    x = accounts.select(columns).fill_null(0.0).fill_nan(0.0).to_numpy().astype(np.float64)
    if len(x) == 0:
        return x
    center = np.median(x, axis=0)
    scale = np.median(np.abs(x - center), axis=0) * 1.4826
    scale = np.where(scale > 1e-9, scale, np.maximum(x.std(axis=0), 1e-9))
    z: np.ndarray = np.clip((x - center) / scale, -CLIP, CLIP)
    return z


def group_difference(z: np.ndarray, a: np.ndarray, b: np.ndarray, *, quantile: float) -> float:
    """How far apart two groups of accounts behave: the ``quantile`` of the per-column
    standardised mean difference (difference of group means over the pooled within-group
    spread). A quantile below 1 ignores a few columns in which one operation's sub-fleets are
    configured differently (say two output budgets) while the rest of the profile coincides.

    >>> rng = np.random.default_rng(0)
    >>> z = np.vstack([rng.normal(0, 1, (40, 10)), rng.normal(3, 1, (40, 10))])
    >>> round(group_difference(z, np.arange(20), np.arange(20, 40), quantile=0.9), 1) < 1
    True
    >>> round(group_difference(z, np.arange(20), np.arange(40, 80), quantile=0.9), 1) > 2
    True
    """
    za, zb = z[a], z[b]
    pooled = np.sqrt((za.var(axis=0) * len(a) + zb.var(axis=0) * len(b)) / (len(a) + len(b)))
    d = np.abs(za.mean(axis=0) - zb.mean(axis=0)) / (pooled + 0.05)
    return float(np.quantile(d, quantile))
