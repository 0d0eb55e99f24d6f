"""``distillguard evaluate`` on the command line: table, JSON, verdict, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from distillguard.cli import main
from tests.evaluate.truth_fixtures import CAMPAIGNS, make_detections, make_truth


@pytest.fixture()
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    make_truth(tmp_path / "sim", mixed_reseller=True)
    make_detections(
        tmp_path / "det",
        {"D-A": CAMPAIGNS["A"], "D-B1": CAMPAIGNS["B"][:5], "D-B2": CAMPAIGNS["B"][5:]},
        mixed=True,
    )
    return tmp_path / "sim", tmp_path / "det"


def test_prints_table_and_writes_json(
    dirs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim, det = dirs
    out = tmp_path / "eval" / "eval.json"
    code = main(["evaluate", "--truth", str(sim), "--detections", str(det), "--json", str(out)])
    assert code == 0  # reports, even though the bar is not met
    text = capsys.readouterr().out
    assert "RESULT: FAIL" in text
    assert "campaign C flagged" in text and "D-B1 (5), D-B2 (5)" in text
    doc = json.loads(out.read_text())
    assert doc["passed"] is False
    assert doc["recall"] == pytest.approx(20 / 24)
    assert doc["bar"]["min_precision"] == 0.99
    failed = {c["name"] for c in doc["checks"] if not c["passed"]}
    assert failed == {
        "account recall",
        "exchange recall",
        "campaign B under one id",
        "campaign C flagged",
        "campaign C under one id",
    }
    assert {p["persona"]: p["fpr"] for p in doc["personas"]}["reseller"] == 0.0
    assert {c["campaign_id"]: c["share_grouped"] for c in doc["campaigns"]}["B"] == 0.5


def test_bar_is_configurable(dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    sim, det = dirs
    args = ["evaluate", "--truth", str(sim), "--detections", str(det)]
    loose = [
        "--min-recall",
        "0.8",
        "--min-exchange-recall",
        "0",
        "--min-campaign-flagged",
        "0",
        "--min-campaign-grouped",
        "0",
    ]
    assert main(args + loose) == 0
    assert "RESULT: PASS" in capsys.readouterr().out
    assert main([*args, "--min-precision", "1.5"]) == 2
    assert "must be in [0, 1]" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("remove", "expected"),
    [
        ("sim/labels.csv", "labels.csv"),
        ("sim/request_labels.parquet", "request_labels.parquet"),
        ("sim/requests", "no request log"),
        ("det/accounts.csv", "accounts.csv"),
        ("det/campaigns.json", "campaigns.json"),
    ],
)
def test_missing_files_exit_2_with_one_line(
    dirs: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    remove: str,
    expected: str,
) -> None:
    target = tmp_path / remove
    if target.is_dir():
        for f in target.iterdir():
            f.unlink()
        target.rmdir()
    else:
        target.unlink()
    sim, det = dirs
    assert main(["evaluate", "--truth", str(sim), "--detections", str(det)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and err.startswith("distillguard evaluate:")


def test_bad_labels_exit_2(dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    sim, det = dirs
    (sim / "labels.csv").write_text("account_id,label,campaign_id,persona\nz,maybe,,batch\n")
    assert main(["evaluate", "--truth", str(sim), "--detections", str(det)]) == 2
    assert "attack/benign" in capsys.readouterr().err


def test_missing_directory_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["evaluate", "--truth", str(tmp_path / "nope"), "--detections", str(tmp_path)])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err


def test_replay_flag_uses_the_pipeline_detector(
    dirs: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import distillguard.pipeline
    from tests.evaluate.test_replay import FakeDetector

    fake = FakeDetector({"A": 1, "B": 2})
    monkeypatch.setattr(distillguard.pipeline, "run_detect", fake, raising=False)
    sim, det = dirs
    out = tmp_path / "e.json"
    args = [
        "evaluate",
        "--truth",
        str(sim),
        "--detections",
        str(det),
        "--replay",
        "--json",
        str(out),
    ]
    assert main([*args, "--replay-days", "3"]) == 0
    assert "TIME TO DETECTION" in capsys.readouterr().out
    ttd = {
        c["campaign_id"]: c["first_day"]
        for c in json.loads(out.read_text())["time_to_detection"]["campaigns"]
    }
    assert ttd == {"A": 1, "B": 2, "C": None}
    assert len(fake.calls) == 3
