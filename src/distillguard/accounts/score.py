"""How much an account's traffic looks like harvesting, relative to the population.

No absolute thresholds: each feature is turned into a robust z-score against all accounts (median
and MAD) and squashed to (0, 1). The harvest score is a weighted mean over the features an account
has (missing optional fields simply drop out). Each feature names the public tactic it reflects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl


@dataclass(frozen=True)
class Indicator:
    """One behaviour feature: its column, direction (+1 high is suspicious), weight and meaning."""

    column: str
    direction: int
    weight: float
    meaning: str


HARVEST_INDICATORS: tuple[Indicator, ...] = (
    Indicator("elicitation_share", +1, 2.0, "asks the model to write out its reasoning"),
    Indicator("trace_share", +1, 2.0, "asks for reasoning behind a supplied answer"),
    Indicator("first_turn_share", +1, 1.0, "single-turn requests, no conversation"),
    Indicator("continuity", -1, 1.0, "turns missing from its conversations (fabricated history)"),
    Indicator("novelty", +1, 1.0, "sweeps a task space with few repeated prompts"),
    Indicator("max_tokens_mean", +1, 1.0, "large output budgets"),
    Indicator("out_in_ratio", +1, 0.5, "long outputs for short inputs"),
    Indicator("pivot_share", +1, 1.0, "moved to a newly released model within a day"),
    Indicator("prefix_churn", +1, 1.0, "rotates through many networks (proxy pool)"),
    Indicator("young_at_first_use", +1, 0.5, "account used at once after sign-up"),
    Indicator("cap_concentration", +1, 0.5, "concentrates on one capability"),
)


def robust_z(x: np.ndarray) -> np.ndarray:
    """(x - median) / (1.4826 * MAD), ignoring NaNs; 0 where the spread is nil.

    >>> robust_z(np.array([1.0, 2.0, 3.0, 100.0])).round(2).tolist()
    [-0.67, -0.22, 0.22, 43.84]
    """
    med = np.nanmedian(x) if np.isfinite(x).any() else 0.0
    mad = np.nanmedian(np.abs(x - med)) * 1.4826 if np.isfinite(x).any() else 0.0
    if not mad or not np.isfinite(mad):
        std = np.nanstd(x) if np.isfinite(x).any() else 0.0
        mad = std if std and np.isfinite(std) else 1.0
    z: np.ndarray = (x - med) / mad
    return z


def harvest_scores(accounts: pl.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Harvest score per account in (0, 1), and each indicator's squashed contribution."""
    n = accounts.height
    total = np.zeros(n)
    weight = np.zeros(n)
    parts: dict[str, np.ndarray] = {}
    for ind in HARVEST_INDICATORS:
        if ind.column not in accounts.columns:
            continue
        x = accounts[ind.column].cast(pl.Float64).fill_null(np.nan).to_numpy().astype(np.float64)
        if not np.isfinite(x).any():
            continue
        z = ind.direction * robust_z(x)
        s = 1.0 / (1.0 + np.exp(-np.clip(z, -20, 20) + 1.0))
        have = np.isfinite(s)
        parts[ind.column] = np.where(have, s, np.nan)
        total += np.where(have, s * ind.weight, 0.0)
        weight += np.where(have, ind.weight, 0.0)
    score = np.where(weight > 0, total / np.maximum(weight, 1e-9), 0.0)
    return score, parts
