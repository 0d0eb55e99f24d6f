"""Per-account state merges: two windows merged give the aggregates of the whole log, so a
service can add new exchanges without recomputing history."""

from __future__ import annotations

import ibis
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.accounts.features import account_features
from distillguard.accounts.state import AccountState
from distillguard.checks import contract_log
from distillguard.engine.tables import conform

EXACT = ["n", "first_ts", "last_ts", "created_at", "n_prefix", "n_asn", "n_models", "active_days"]


def _halves() -> tuple[ibis.Table, ibis.Table, ibis.Table]:
    """The contract log, and its first and second half in time (two consecutive windows)."""
    log = contract_log(requests=40)
    span = pc.min_max(log["timestamp"])
    lo, hi = span["min"].as_py(), span["max"].as_py()
    early = pc.less(log["timestamp"], pa.scalar(lo + (hi - lo) / 2, log["timestamp"].type))
    whole = conform(ibis.memtable(log))
    first = conform(ibis.memtable(log.filter(early)))
    second = conform(ibis.memtable(log.filter(pc.invert(early))))
    return whole, first, second


def test_two_windows_merged_equal_the_whole_log() -> None:
    whole, first, second = _halves()
    want = AccountState.of(whole).features()
    merged = AccountState.of(first).update_batch(second).features()
    reverse = AccountState.of(second).merge(AccountState.of(first)).features()
    assert merged.columns == want.columns
    for got in (merged, reverse):
        for c in want.columns:
            a, b = got[c], want[c]
            if a.dtype.is_float():
                assert np.allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9, equal_nan=True), c
            else:
                assert a.to_list() == b.to_list(), c


def test_merged_state_matches_the_engine_features_where_documented_exact() -> None:
    whole, first, second = _halves()
    state = AccountState.of(first).update_batch(second).features()
    engine = pl.from_arrow(account_features(whole).to_pyarrow())
    assert isinstance(engine, pl.DataFrame)
    engine = engine.sort("account_id")
    for c in [*EXACT, "first_turn_share", "tool_share", "error_share"]:
        assert state[c].to_list() == engine[c].to_list(), c
    for c in [
        "max_tokens_mean",
        "max_tokens_std",
        "out_in_ratio",
        "gap_mean",
        "gap_std",
        "novelty",
    ]:
        assert np.allclose(state[c].to_numpy(), engine[c].to_numpy(), rtol=1e-6, equal_nan=True), c
    # the median gap is approximate: within one histogram bucket (~19 % apart)
    ratio = state["gap_median"].to_numpy() / engine["gap_median"].to_numpy()
    assert np.all((ratio > 0.8) & (ratio < 1.25))


def test_empty_state_and_one_account() -> None:
    whole, _, _ = _halves()
    assert len(AccountState()) == 0
    assert AccountState().features().height == 0
    one = whole.filter(whole.account_id == "fleet-00")
    state = AccountState().merge(AccountState.of(one))
    assert state.features()["account_id"].to_list() == ["fleet-00"]
