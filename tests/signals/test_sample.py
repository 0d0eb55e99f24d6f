"""The text-signal sample: evenly spaced requests per account, in a fixed row order."""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis

from distillguard.signals.sample import evenly_spaced_sample


def _requests() -> ibis.Table:
    start = datetime(2026, 1, 1)
    rows: dict[str, list[object]] = {"request_id": [], "account_id": [], "timestamp": []}
    rows["prompt"] = []
    # "big" has 30 requests, "small" 3; rows are shuffled so the engine's order is not time order.
    for account, n in (("big", 30), ("small", 3)):
        for k in range(n):
            rows["request_id"].append(f"{account}-{k:02d}")
            rows["account_id"].append(account)
            rows["timestamp"].append(start + timedelta(minutes=k))
            rows["prompt"].append(f"prompt {k}")
    order = sorted(range(33), key=lambda i: (i * 7919) % 33)
    return ibis.memtable({k: [v[i] for i in order] for k, v in rows.items()})


def test_every_kth_request_in_time_order() -> None:
    expr = evenly_spaced_sample(_requests(), 10, ["request_id", "account_id", "prompt"])
    sample = expr.to_pyarrow()
    assert sample.column_names == ["request_id", "account_id", "prompt"]
    ids = sample.column("request_id").to_pylist()
    big = [r for r in ids if r.startswith("big")]
    # 30 requests, at most 10 per account: every 3rd in time order.
    assert big == [f"big-{k:02d}" for k in range(0, 30, 3)]
    # An account under the budget is sampled whole.
    assert sorted(r for r in ids if r.startswith("small")) == ["small-00", "small-01", "small-02"]
    # Rows come back in request-id order, whatever order the engine stores them in.
    assert ids == sorted(ids)
    assert sample.column("prompt").to_pylist()[ids.index("big-06")] == "prompt 6"
