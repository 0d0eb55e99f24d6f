"""The decision snapshot from campaign records alone: the strongest rule wins, dismissals and
the review queue apply, and indicators of both campaigns.json shapes index the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from distillguard.service.book import CampaignRecord
from distillguard.service.policy import Policy
from distillguard.service.state import build_snapshot, held_accounts

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
    small = _rec("B3", ["c"], 0.66, recommended_action="review", threshold=0.6)  # few accounts
    barely = _rec("B4", ["d"], 0.51, recommended_action="review", threshold=0.5)
    snap = build_snapshot([blockable, no_rule, small, barely], Policy(), {}, [])
    got = {a: d.decision for a, d in snap.decisions.items()}
    # Formed and clearly over its threshold: throttled; within 0.05 of it: the detector's review.
    assert got == {"a": "block", "b": "throttle", "c": "throttle", "d": "review"}
    assert build_snapshot([barely], Policy(formed_margin=0.0), {}, []).decisions["d"].decision == (
        "throttle"
    )
    # Dismissing its blockable indicators leaves the campaign nothing safe to block on.
    for ind in V2_INDICATORS:
        blockable.dismissed_indicators.add((ind["kind"], ind["value"]))
    assert build_snapshot([blockable], Policy(), {}, []).decisions["a"].decision == "throttle"
    # The policy before ``formed``: small or near-threshold campaigns go to review, none blocks.
    old = Policy(formed="allow", max_unreviewed="throttle")
    snap = build_snapshot([_rec("B1", ["a"], 0.9, recommended_action="block",
                                indicators=V2_INDICATORS), small], old, {}, [])  # fmt: skip
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


def test_an_account_once_throttled_for_a_campaign_stays_throttled_until_reviewed() -> None:
    camp = _rec("G1", ["a", "b"], 0.8, recommended_action="throttle", threshold=0.5)
    held = held_accounts(build_snapshot([camp], Policy(), {}, []), [camp], Policy(), {})
    assert held == {"a": "G1", "b": "G1"}
    # A later run leaves "a" out and scores the campaign at the line (the detector says review).
    camp.doc.update(accounts=["b", "c"], score=0.51, recommended_action="review")
    snap = build_snapshot([camp], Policy(), {}, [], held)
    got = {acc: d.decision for acc, d in snap.decisions.items()}
    assert got == {"a": "throttle", "b": "throttle", "c": "review"}
    assert "held until an analyst reviews it" in snap.decisions["a"].reasons[0]
    # ... or misses the campaign entirely: still held.
    camp.in_latest_run = False
    assert set(build_snapshot([camp], Policy(), {}, [], held).decisions) == {"a", "b"}
    # Without the hold each run decides afresh.
    assert build_snapshot([camp], Policy(hold_formed=False), {}, [], held).decisions == {}
    # Dismissing one account, then the campaign, releases them.
    camp.dismissed_accounts.add("a")
    assert set(held_accounts(snap, [camp], Policy(), held)) == {"b"}
    camp.status = "dismissed"
    assert build_snapshot([camp], Policy(), {}, [], held).decisions == {}
    assert held_accounts(snap, [camp], Policy(), held) == {}
