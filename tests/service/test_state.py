"""The decision snapshot from campaign records alone: the strongest rule wins, dismissals and
the review queue apply, and indicators of both campaigns.json shapes index the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from distillguard.service.book import CampaignRecord
from distillguard.service.policy import Policy
from distillguard.service.state import build_snapshot

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _rec(
    cid: str, accounts: list[str], score: float, status: str = "open", **doc: Any
) -> CampaignRecord:
    rec = CampaignRecord(cid, {"campaign_id": cid, "score": score, "accounts": accounts, **doc},
                         NOW, NOW)  # fmt: skip
    rec.status = status
    return rec


V2_INDICATORS = [
    {"kind": "payment_fingerprint", "value": "pm-1", "blockable": True},
    {"kind": "asn", "value": "64500", "blockable": False},
    {"kind": "tls_fingerprint", "value": "ja3-x", "blockable": True},
]


def test_strongest_rule_wins_and_dismissals_and_review_apply() -> None:
    records = [
        _rec("C1", ["a", "b"], 0.9, "blocked", indicators=V2_INDICATORS),
        _rec("C2", ["b", "c"], 0.55),
        _rec("C3", ["d"], 0.95, "dismissed"),
        _rec("C4", ["e", "f"], 0.8),
    ]
    records[3].dismissed_accounts.add("f")
    review = [{"kind": "account", "accounts": ["g", "c"], "score": 0.4, "reasons": ["near miss"]}]
    snap = build_snapshot(records, Policy(), {}, review)
    got = {a: (d.decision, d.campaign_id) for a, d in snap.decisions.items()}
    assert got == {
        "a": ("block", "C1"),
        "b": ("block", "C1"),  # blocked beats the other campaign's review
        "c": ("throttle", "C2"),  # the detector formed C2: throttled while it is unreviewed
        "e": ("throttle", "C4"),  # unreviewed, nothing recommends a block: not above throttle
        "g": ("review", None),
    }
    assert "d" not in got and "f" not in got
    # Only blockable indicators of the blocked campaign decide newcomers on arrival.
    assert snap.index.by_kind == {
        "payment_fingerprint": {"pm-1": "C1"},
        "tls_fingerprint": {"ja3-x": "C1"},
    }


def test_an_unreviewed_campaign_is_blocked_only_when_recommended_with_a_blockable_indicator() -> (
    None
):
    blockable = _rec("B1", ["a"], 0.9, recommended_action="block", indicators=V2_INDICATORS)
    context = [{"kind": "asn", "value": "64500", "blockable": False}]
    no_rule = _rec("B2", ["b"], 0.9, recommended_action="block", indicators=context)
    barely = _rec("B3", ["c"], 0.51, recommended_action="review", threshold=0.5)
    snap = build_snapshot([blockable, no_rule, barely], Policy(), {}, [])
    got = {a: d.decision for a, d in snap.decisions.items()}
    assert got == {"a": "block", "b": "throttle", "c": "throttle"}
    # Dismissing its blockable indicators leaves the campaign nothing safe to block on.
    for ind in V2_INDICATORS:
        blockable.dismissed_indicators.add((ind["kind"], ind["value"]))
    assert build_snapshot([blockable], Policy(), {}, []).decisions["a"].decision == "throttle"
    # The policy before ``formed``: a near-threshold campaign goes to review, nothing blocks.
    old = Policy(formed=None, max_unreviewed="throttle")
    snap = build_snapshot([_rec("B1", ["a"], 0.9, recommended_action="block",
                                indicators=V2_INDICATORS), barely], old, {}, [])  # fmt: skip
    assert {a: d.decision for a, d in snap.decisions.items()} == {"a": "throttle", "c": "review"}


def test_v1_indicators_count_as_blockable_by_kind_and_match_whole_columns() -> None:
    v1 = {"payment_fingerprint": [{"value": "pm-9", "accounts": 3}], "asn": [{"value": "64500"}]}
    snap = build_snapshot([_rec("C9", ["a"], 0.9, "blocked", indicators=v1)], Policy(), {}, [])
    assert snap.index.by_kind == {"payment_fingerprint": {"pm-9": "C9"}}
    rows = pa.table({
        "account_id": ["x", "x", "y", "z"],
        "payment_fingerprint": ["pm-9", "pm-9", None, "pm-2"],
    })  # fmt: skip
    assert snap.index.match(rows) == [("x", "C9", "payment_fingerprint", "pm-9")]


def test_a_formed_campaign_a_later_run_misses_stays_throttled_until_reviewed() -> None:
    gone = _rec("G1", ["a"], 0.9, recommended_action="block", indicators=V2_INDICATORS)
    gone.in_latest_run = False
    snap = build_snapshot([gone], Policy(), {}, [])
    d = snap.decisions["a"]
    assert (d.decision, d.campaign_id) == ("throttle", "G1")  # held, but no block on old evidence
    assert "not in the latest run" in d.reasons[0]
    assert build_snapshot([gone], Policy(hold_formed=False), {}, []).decisions == {}
    gone.status = "dismissed"
    assert build_snapshot([gone], Policy(), {}, []).decisions == {}
