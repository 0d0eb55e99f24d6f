"""Evaluation figures on hand-built cases where the right answer is known exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillguard.evaluate import Bar, Check, check_bar, evaluate
from tests.evaluate.truth_fixtures import BENIGN, CAMPAIGNS, make_detections, make_truth

A, B, C = CAMPAIGNS["A"], CAMPAIGNS["B"], CAMPAIGNS["C"]
PERFECT = {"D-A": A, "D-B": B, "D-C": C}


def _failed(checks: list[Check]) -> set[str]:
    return {c.name for c in checks if not c.passed}


def test_perfect_detection(tmp_path: Path) -> None:
    make_truth(tmp_path / "sim")
    make_detections(tmp_path / "det", PERFECT)
    ev = evaluate(tmp_path / "sim", tmp_path / "det")
    assert (ev.precision, ev.recall, ev.f1) == (1.0, 1.0, 1.0)
    assert (ev.attack_accounts, ev.benign_accounts, ev.true_positives) == (24, 30, 24)
    assert (ev.attack_exchanges, ev.exchange_recall) == (220, 1.0)
    assert ev.fpr_overall == 0.0
    assert [(p.persona, p.accounts, p.flagged) for p in ev.personas] == [
        ("batch", 20, 0),
        ("campus", 10, 0),
    ]
    by_id = {c.campaign_id: c for c in ev.campaigns}
    assert set(by_id) == {"A", "B", "C"}
    assert by_id["C"].accounts == 4 and by_id["C"].exchanges == 20
    assert all(c.share_flagged == 1.0 and c.share_grouped == 1.0 for c in ev.campaigns)
    assert by_id["A"].detected_ids == {"D-A": 10}
    assert [(d.campaign_id, d.dominant_campaign, d.purity) for d in ev.detected] == [
        ("D-A", "A", 1.0),
        ("D-B", "B", 1.0),
        ("D-C", "C", 1.0),
    ]
    assert _failed(check_bar(ev)) == set()


def test_one_false_positive_in_one_persona(tmp_path: Path) -> None:
    make_truth(tmp_path / "sim")
    make_detections(tmp_path / "det", PERFECT, loose=[BENIGN["batch"][3]])
    ev = evaluate(tmp_path / "sim", tmp_path / "det")
    assert ev.precision == pytest.approx(24 / 25)
    assert ev.recall == 1.0
    assert ev.f1 == pytest.approx(2 * (24 / 25) / (1 + 24 / 25))
    assert {p.persona: p.fpr for p in ev.personas} == {"batch": 1 / 20, "campus": 0.0}
    assert ev.fpr_overall == pytest.approx(1 / 30)
    assert _failed(check_bar(ev)) == {"account precision", "FPR persona batch"}
    # A looser bar passes.
    assert _failed(check_bar(ev, Bar(min_precision=0.95, max_persona_fpr=0.05))) == set()


def test_campaign_split_in_two_ids(tmp_path: Path) -> None:
    make_truth(tmp_path / "sim")
    make_detections(tmp_path / "det", {"D-A": A, "D-B1": B[:6], "D-B2": B[6:], "D-C": C})
    ev = evaluate(tmp_path / "sim", tmp_path / "det")
    b = next(c for c in ev.campaigns if c.campaign_id == "B")
    assert b.share_flagged == 1.0
    assert b.share_grouped == pytest.approx(0.6)
    assert b.detected_ids == {"D-B1": 6, "D-B2": 4}
    assert list(b.detected_ids) == ["D-B1", "D-B2"]  # largest first
    assert {d.campaign_id: d.purity for d in ev.detected}["D-B2"] == 1.0
    assert _failed(check_bar(ev)) == {"campaign B under one id"}


def test_missed_campaign(tmp_path: Path) -> None:
    make_truth(tmp_path / "sim")
    make_detections(tmp_path / "det", {"D-A": A, "D-B": B})
    ev = evaluate(tmp_path / "sim", tmp_path / "det")
    assert ev.precision == 1.0
    assert ev.recall == pytest.approx(20 / 24)
    assert ev.false_negatives == 4
    assert ev.exchange_recall == pytest.approx(200 / 220)
    c = next(c for c in ev.campaigns if c.campaign_id == "C")
    assert (c.share_flagged, c.share_grouped, c.exchange_recall, c.detected_ids) == (
        0.0,
        0.0,
        0.0,
        {},
    )
    assert _failed(check_bar(ev)) == {
        "account recall",
        "exchange recall",
        "campaign C flagged",
        "campaign C under one id",
    }


def test_mixed_reseller_left_alone(tmp_path: Path) -> None:
    """A benign reseller carrying campaign B traffic: not flagging it costs exchange recall only."""
    make_truth(tmp_path / "sim", mixed_reseller=True)
    make_detections(tmp_path / "det", PERFECT, mixed=True)
    ev = evaluate(tmp_path / "sim", tmp_path / "det")
    assert (ev.precision, ev.recall) == (1.0, 1.0)
    assert ev.attack_exchanges == 230
    assert ev.exchange_recall == pytest.approx(220 / 230)
    b = next(c for c in ev.campaigns if c.campaign_id == "B")
    assert (b.exchanges, b.exchange_recall) == (110, pytest.approx(100 / 110))
    assert {p.persona: p.fpr for p in ev.personas}["reseller"] == 0.0
    assert _failed(check_bar(ev)) == {"exchange recall"}


def test_mixed_reseller_flagged_with_campaign(tmp_path: Path) -> None:
    """Flagging the reseller catches every exchange but is a false positive and an impurity."""
    make_truth(tmp_path / "sim", mixed_reseller=True)
    make_detections(tmp_path / "det", {"D-A": A, "D-B": [*B, "r00"], "D-C": C}, mixed=True)
    ev = evaluate(tmp_path / "sim", tmp_path / "det")
    assert ev.precision == pytest.approx(24 / 25)
    assert ev.exchange_recall == 1.0
    assert {p.persona: p.fpr for p in ev.personas}["reseller"] == 0.5
    d = next(d for d in ev.detected if d.campaign_id == "D-B")
    assert (d.accounts, d.dominant_campaign, d.benign_accounts) == (11, "B", 1)
    assert d.purity == pytest.approx(10 / 11)
    assert _failed(check_bar(ev)) == {"account precision", "FPR persona reseller"}


def test_json_lines_log_gives_same_figures(tmp_path: Path) -> None:
    make_truth(tmp_path / "sim", jsonl=True)
    make_detections(tmp_path / "det", {"D-A": A, "D-B": B})
    ev = evaluate(tmp_path / "sim", tmp_path / "det")
    assert ev.exchange_recall == pytest.approx(200 / 220)


def test_accounts_unknown_to_truth_count_as_false_positives(tmp_path: Path) -> None:
    make_truth(tmp_path / "sim")
    make_detections(tmp_path / "det", PERFECT)
    with (tmp_path / "det" / "accounts.csv").open("a") as fh:
        fh.write("ghost,0.99,true,\n")
    ev = evaluate(tmp_path / "sim", tmp_path / "det")
    assert (ev.unknown_flagged, ev.false_positives) == (1, 1)
    assert ev.precision == pytest.approx(24 / 25)
    assert ev.fpr_overall == 0.0  # no labelled benign account was flagged


def test_calibration_measures_precision_in_score_bins(tmp_path: Path) -> None:
    # A campaign that is half legitimate accounts: its score bin's precision says so.
    make_truth(tmp_path / "sim")
    half = A[:5] + BENIGN["batch"][:5]
    make_detections(tmp_path / "det", {"D-A": half}, loose=[BENIGN["campus"][0]])
    cal = evaluate(tmp_path / "sim", tmp_path / "det").calibration
    top = cal["campaigns"][-1]  # scores 0.9-1.0
    assert (top.low, top.high, top.accounts, top.attack, top.campaigns) == (0.9, 1.0, 10, 5, 1)
    assert top.precision == 0.5
    flagged = cal["accounts"][-1]  # the flagged accounts scored 0.9, plus one loose benign
    assert (flagged.accounts, flagged.attack) == (11, 5)
    low = cal["accounts"][1]  # everything else scored 0.1
    assert low.accounts == 54 - 11 and low.attack == 24 - 5
    assert sum(b.accounts for b in cal["accounts"]) == 54
    assert all(b.precision is None for b in cal["campaigns"][:-1])
