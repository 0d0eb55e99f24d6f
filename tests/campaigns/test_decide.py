"""The campaign decision on small hand-built data: indicator prevalence and ``blockable``, the
review queue, the recommended action and what a score means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import ibis
import numpy as np
import polars as pl
import pyarrow as pa

from distillguard.campaigns.decide import (
    FindingsConfig,
    calibration_at,
    indicator_prevalence,
    recommended_action,
    review_queue,
)
from distillguard.engine.tables import conform
from distillguard.pipeline.detect import DetectConfig

T0 = datetime(2026, 3, 1, tzinfo=UTC)
CAMPAIGN = [f"fraud-{i}" for i in range(6)]
BENIGN = [f"dev-{i}" for i in range(4)]


def _log() -> ibis.Table:
    """Six campaign accounts sharing a client build (TLS) and a network (ASN 64500); one benign
    developer happens to use the same TLS fingerprint, the other benign accounts use their own."""
    rows: dict[str, list[object]] = {
        k: []
        for k in (
            "request_id",
            "timestamp",
            "account_id",
            "model",
            "prompt",
            "tls_fingerprint",
            "asn",
        )
    }
    for i, account in enumerate(CAMPAIGN + BENIGN):
        for r in range(3):
            rows["request_id"].append(f"{account}-r{r}")
            rows["timestamp"].append(T0 + timedelta(minutes=10 * i + r))
            rows["account_id"].append(account)
            rows["model"].append("m")
            rows["prompt"].append(f"question {r}")
            fraud = account.startswith("fraud")
            rows["tls_fingerprint"].append("tls-shared" if fraud or account == "dev-0" else None)
            rows["asn"].append(64500 if fraud else 64600 + i)
    return conform(ibis.memtable(pa.table(rows)))


def _membership(ids: list[str]) -> np.ndarray:
    return np.array([0 if a.startswith("fraud") else -1 for a in ids])


def test_prevalence_counts_every_user_in_the_log_and_a_benign_user_makes_it_unblockable() -> None:
    ids = np.array(CAMPAIGN + BENIGN, dtype=object)
    listed, totals = indicator_prevalence(
        _log(), ids, _membership(list(ids)), {0: "C1"}, pl.DataFrame()
    )
    by_kind = {i["kind"]: i for i in listed["C1"]}
    tls, asn = by_kind["tls_fingerprint"], by_kind["asn"]
    # The TLS fingerprint: 6 campaign accounts, 7 users in the log (one benign developer).
    assert (tls["accounts_in_campaign"], tls["accounts_in_log"]) == (6, 7)
    assert tls["blockable"] is False
    # The ASN: used only by the campaign here, and a JSON number; but a whole network is context
    # by default (a rule on it would hit every future customer behind it) ...
    assert (asn["accounts_in_campaign"], asn["accounts_in_log"]) == (6, 6)
    assert asn["blockable"] is False
    assert asn["value"] == 64500 and isinstance(asn["value"], int)
    assert totals["C1"] == {"tls_fingerprint": 1, "asn": 1}
    # ... and safe to block only where an operator says networks may be blocked.
    networks = FindingsConfig(context_only_kinds=())
    listed, _ = indicator_prevalence(
        _log(), ids, _membership(list(ids)), {0: "C1"}, pl.DataFrame(), networks
    )
    assert {i["kind"]: i for i in listed["C1"]}["asn"]["blockable"] is True


def test_too_few_campaign_users_is_not_blockable_and_lists_are_paged_with_totals() -> None:
    ids = np.array(CAMPAIGN + BENIGN, dtype=object)
    strict = FindingsConfig(blockable_min_accounts=10, indicator_page=1)
    listed, totals = indicator_prevalence(
        _log(), ids, _membership(list(ids)), {0: "C1"}, pl.DataFrame(), strict
    )
    assert not any(i["blockable"] for i in listed["C1"])
    assert len([i for i in listed["C1"] if i["kind"] == "asn"]) == 1
    assert totals["C1"]["asn"] == 1


def test_no_campaign_no_indicators() -> None:
    ids = np.array(BENIGN, dtype=object)
    assert indicator_prevalence(_log(), ids, np.full(len(ids), -1), {}, pl.DataFrame()) == ({}, {})


def _accounts(n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "account_id": [f"a{i:03d}" for i in range(n)],
            "org_id": [None] * n,
            "n": [10 + i for i in range(n)],
        },
        schema={"account_id": pl.String, "org_id": pl.String, "n": pl.Int64},
    )


def test_review_queue_lists_near_misses_then_the_unflagged_accounts_that_harvest_most() -> None:
    n = 40
    accounts = _accounts(n)
    trace = np.linspace(0.0, 0.9, n)  # a000 harvests least, a039 most
    levels = {"trace_share": trace}
    scores = 0.45 * trace
    flagged = np.zeros(n, dtype=bool)
    flagged[35:] = True  # a campaign already took the top five
    near = [np.array([0, 1, 2, 3, 4])]  # a linked group just under the threshold
    weighted = pl.DataFrame(schema={"a": pl.Int64, "b": pl.Int64})
    queue = review_queue(
        accounts,
        levels,
        weighted,
        DetectConfig(),
        flagged=flagged,
        scores=scores,
        near=near,
        findings=FindingsConfig(review_max_accounts=12, review_top_accounts=6),
    )
    assert queue[0].kind == "near_miss"
    assert queue[0].accounts == ("a000", "a001", "a002", "a003", "a004")
    singles = [r for r in queue if r.kind == "account"]
    # The rest of the budget goes to the highest unflagged scores, never to flagged accounts.
    assert [r.accounts[0] for r in singles] == [f"a{i:03d}" for i in range(34, 27, -1)]
    assert sum(len(r.accounts) for r in queue) == 12
    assert all(r.reasons for r in queue)
    assert "reasoning behind a supplied answer" in singles[0].reasons[0]


def test_a_near_miss_group_larger_than_the_budget_is_listed_in_part_with_its_size() -> None:
    n = 30
    accounts = _accounts(n)
    levels = {"trace_share": np.linspace(0.0, 0.9, n)}
    queue = review_queue(
        accounts,
        levels,
        pl.DataFrame(schema={"a": pl.Int64, "b": pl.Int64}),
        DetectConfig(),
        flagged=np.zeros(n, dtype=bool),
        scores=0.45 * levels["trace_share"],
        near=[np.arange(20)],
        findings=FindingsConfig(review_max_accounts=10, review_top_accounts=4),
    )
    group = queue[0]
    assert (group.kind, group.account_count, len(group.accounts)) == ("near_miss", 20, 6)
    assert group.to_json()["accounts_complete"] is False
    assert sum(len(r.accounts) for r in queue) == 10


def test_small_or_marginal_campaigns_go_to_review_large_clear_ones_can_be_blocked() -> None:
    cfg = DetectConfig()
    assert recommended_action(0.9, 0.6, 3, 5, cfg)[0] == "review"
    assert recommended_action(0.52, 0.5, 300, 5, cfg)[0] == "review"
    assert recommended_action(0.8, 0.5, 300, 2, cfg)[0] == "block"
    # Clear score but nothing safe to block and no calibrated precision: throttle.
    assert recommended_action(0.8, 0.5, 300, 0, cfg)[0] == "throttle"
    assert recommended_action(0.8, 0.5, 300, 0, cfg, precision=1.0)[0] == "block"


def test_a_score_comes_with_the_precision_measured_at_it() -> None:
    at = calibration_at(0.65)
    assert at is not None
    assert at["bin"] == [0.6, 0.7]
    assert 0.0 <= at["precision"] <= 1.0 and at["accounts"] > 0
    assert "seed" in at["measured_on"]


def test_without_near_misses_the_queue_holds_the_top_accounts_only() -> None:
    n = 8
    levels = {"trace_share": np.linspace(0.0, 0.9, n)}
    queue = review_queue(
        _accounts(n),
        levels,
        pl.DataFrame(schema={"a": pl.Int64, "b": pl.Int64}),
        DetectConfig(),
        flagged=np.zeros(n, dtype=bool),
        scores=0.45 * levels["trace_share"],
        findings=FindingsConfig(review_max_accounts=3, review_top_accounts=1),
    )
    assert [(r.kind, r.accounts) for r in queue] == [
        ("account", ("a007",)),
        ("account", ("a006",)),
        ("account", ("a005",)),
    ]


def test_an_unflagged_group_that_behaves_like_a_campaign_is_queued_as_its_lookalike() -> None:
    n = 15
    rng = np.random.default_rng(0)
    profiles = np.vstack(
        [
            rng.normal(3.0, 0.3, (5, 6)),  # the flagged campaign
            rng.normal(3.0, 0.3, (5, 6)),  # same job, unlinked fleet
            rng.normal(-3.0, 0.3, (5, 6)),  # something else entirely
        ]
    )
    communities = np.repeat([0, 1, 2], 5)
    flagged = communities == 0
    levels = {"trace_share": np.full(n, 0.5)}
    queue = review_queue(
        _accounts(n),
        levels,
        pl.DataFrame(schema={"a": pl.Int64, "b": pl.Int64}),
        DetectConfig(),
        flagged=flagged,
        scores=np.full(n, 0.2),
        communities=communities,
        profiles=profiles,
        campaigns=[("C0001", np.flatnonzero(flagged))],
        findings=FindingsConfig(review_max_accounts=10, review_top_accounts=0),
    )
    lookalikes = [r for r in queue if r.kind == "lookalike"]
    assert len(lookalikes) == 1
    assert lookalikes[0].campaign_id == "C0001"
    assert lookalikes[0].accounts == tuple(f"a{i:03d}" for i in range(5, 10))
    assert "behaves like campaign C0001" in lookalikes[0].reasons[0]
