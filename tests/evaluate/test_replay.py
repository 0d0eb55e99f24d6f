"""Time to detection from a day-by-day replay, with a fake detector standing in for the pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from distillguard.campaigns.model import AccountVerdict, Detections
from distillguard.evaluate import replay
from tests.evaluate.truth_fixtures import CAMPAIGNS, DAY0, all_accounts, make_truth


class FakeDetector:
    """Flags campaign A from the end of day 2, B from the end of day 3, never C."""

    def __init__(self, catch: dict[str, int]) -> None:
        self.catch = catch
        self.calls: list[tuple[Path, datetime | None]] = []

    def __call__(
        self,
        inputs: Sequence[Path],
        out_dir: Path,
        *,
        until: datetime | None = None,
        quiet: bool = True,
    ) -> Detections:
        assert until is not None and inputs[0].exists()
        self.calls.append((out_dir, until))
        day = (until - DAY0) // timedelta(days=1)
        flagged = {a for cid, d in self.catch.items() if day >= d for a in CAMPAIGNS[cid]}
        return Detections(
            [AccountVerdict(a, 1.0 if a in flagged else 0.0, a in flagged) for a in all_accounts()],
            [],
            {},
        )


def test_first_day_and_exchanges_before_detection(tmp_path: Path) -> None:
    make_truth(tmp_path / "sim")
    fake = FakeDetector({"A": 2, "B": 3})
    result = replay(tmp_path / "sim", detector=fake, work_dir=tmp_path / "work")
    assert (result.start, result.days, result.days_run) == (DAY0, 5, 5)
    # Cut-offs are the UTC midnights ending days 1..5.
    assert [u for _, u in fake.calls] == [DAY0 + timedelta(days=d) for d in range(1, 6)]
    assert fake.calls[0][0] == tmp_path / "work" / "day-001"
    t = {c.campaign_id: c for c in result.campaigns}
    # A sends 20 exchanges a day: detected at the end of day 2, after 40 of its 100.
    assert (t["A"].first_day, t["A"].exchanges_before, t["A"].exchanges_total) == (2, 40, 100)
    assert t["A"].detected_at == DAY0 + timedelta(days=2)
    assert t["A"].share_before == pytest.approx(0.4)
    assert (t["B"].first_day, t["B"].exchanges_before) == (3, 60)
    assert (t["C"].first_day, t["C"].exchanges_before, t["C"].share_before) == (None, None, None)
    doc = result.to_json()
    assert doc["campaigns"][0]["detected_at"] == "2026-03-03T00:00:00+00:00"


def test_stops_once_every_campaign_is_detected(tmp_path: Path) -> None:
    make_truth(tmp_path / "sim")
    fake = FakeDetector({"A": 1, "B": 1, "C": 2})
    result = replay(tmp_path / "sim", detector=fake)
    assert result.days_run == 2 and len(fake.calls) == 2
    assert {c.campaign_id: c.first_day for c in result.campaigns} == {"A": 1, "B": 1, "C": 2}
    assert {c.campaign_id: c.exchanges_before for c in result.campaigns} == {
        "A": 20,
        "B": 20,
        "C": 8,
    }


def test_max_days_limits_the_replay(tmp_path: Path) -> None:
    make_truth(tmp_path / "sim")
    fake = FakeDetector({"A": 4})
    result = replay(tmp_path / "sim", detector=fake, max_days=3)
    assert result.days_run == 3
    assert all(c.first_day is None for c in result.campaigns)
