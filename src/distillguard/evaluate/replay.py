"""Time to detection: replay the log day by day and note when each true campaign is first flagged.

For day ``d = 1..D`` (day 1 ends at the first UTC midnight after the log's first request) the
detector runs on the log truncated at the end of day ``d`` (``until`` = that midnight). A campaign
is detected on the first day any of its attack-labelled accounts is flagged (for a campaign seen
only through mixed accounts: any account that carried its traffic). The replay stops early once
every campaign is detected, since later days cannot change a first detection.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from distillguard.campaigns.model import Detections
from distillguard.errors import DistillguardError, InputError
from distillguard.evaluate.inputs import connect, load_truth


class Detector(Protocol):
    """The detector API: ``distillguard.pipeline.run_detect``."""

    def __call__(
        self,
        inputs: Sequence[Path],
        out_dir: Path,
        *,
        until: datetime | None = None,
        quiet: bool = True,
    ) -> Detections: ...


@dataclass(frozen=True)
class DetectionTime:
    """When one true campaign was first caught in the replay."""

    campaign_id: str
    first_day: int | None
    detected_at: datetime | None
    """The cut-off (end of ``first_day``) of the run that first flagged it."""
    exchanges_before: int | None
    """Attack exchanges of the campaign before that cut-off (harvested before detection)."""
    exchanges_total: int

    @property
    def share_before(self) -> float | None:
        if self.exchanges_before is None or not self.exchanges_total:
            return None
        return self.exchanges_before / self.exchanges_total


@dataclass
class ReplayResult:
    start: datetime
    days: int
    days_run: int
    campaigns: list[DetectionTime] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["start"] = self.start.isoformat()
        for c, row in zip(self.campaigns, out["campaigns"], strict=True):
            row["detected_at"] = c.detected_at.isoformat() if c.detected_at else None
            row["share_before"] = c.share_before
        return out


def replay(
    sim_dir: Path,
    *,
    detector: Detector | None = None,
    work_dir: Path | None = None,
    max_days: int | None = None,
) -> ReplayResult:
    """Run ``detector`` (default: the real pipeline) once per day of the log; see module doc."""
    if detector is None:
        try:
            from distillguard.pipeline import run_detect  # type: ignore[attr-defined,unused-ignore]
        except ImportError as exc:
            raise DistillguardError(
                "the detector (distillguard.pipeline.run_detect) is not available for --replay"
            ) from exc
        detector = run_detect
    con = connect()
    try:
        log = load_truth(con, sim_dir)
        bounds = con.execute(
            """
            SELECT date_trunc('day', min("timestamp")),
                   date_diff('day', date_trunc('day', min("timestamp")), max("timestamp")) + 1
            FROM requests
            """
        ).fetchall()[0]
        if bounds[0] is None:
            raise InputError("the request log is empty", source=str(log))
        start: datetime = bounds[0]
        days = int(bounds[1])
        # Exchanges of each campaign per day index (0-based), whole-table in DuckDB.
        per_day = con.execute(
            """
            SELECT rl.campaign_id, date_diff('day', $start, r."timestamp") AS d, count(*)
            FROM req_labels rl JOIN requests r USING (request_id)
            WHERE rl.label = 'attack' AND rl.campaign_id IS NOT NULL
            GROUP BY 1, 2
            """,
            {"start": start},
        ).fetchall()
        members = con.execute(
            """
            WITH labelled AS (
                SELECT campaign_id, account_id FROM labels
                WHERE label = 'attack' AND campaign_id IS NOT NULL
            ),
            carriers AS (
                SELECT DISTINCT rl.campaign_id, r.account_id
                FROM req_labels rl JOIN requests r USING (request_id)
                WHERE rl.label = 'attack' AND rl.campaign_id IS NOT NULL
                  AND rl.campaign_id NOT IN (SELECT campaign_id FROM labelled)
            )
            SELECT campaign_id, list(account_id) FROM (
                SELECT * FROM labelled UNION ALL SELECT * FROM carriers
            ) GROUP BY 1 ORDER BY 1
            """
        ).fetchall()
    finally:
        con.close()

    campaign_ids = [str(c) for c, _ in members]
    accounts = {str(c): {str(a) for a in accs} for c, accs in members}
    counts = np.zeros((len(campaign_ids), days + 1), dtype=np.int64)
    index = {c: i for i, c in enumerate(campaign_ids)}
    for cid, d, n in per_day:  # one row per (campaign, day)
        if str(cid) in index:
            counts[index[str(cid)], int(d)] += int(n)
    # before[i, d] = exchanges of campaign i strictly before the end of day d (1-based).
    before = np.concatenate([np.zeros((len(campaign_ids), 1), np.int64), counts.cumsum(1)], 1)

    first: dict[str, int] = {}
    last_day = days if max_days is None else min(days, max_days)
    days_run = 0
    with tempfile.TemporaryDirectory(prefix="distillguard-replay-") as tmp:
        root = work_dir or Path(tmp)
        for d in range(1, last_day + 1):
            if len(first) == len(campaign_ids):
                break
            det = detector(
                [log], root / f"day-{d:03d}", until=start + timedelta(days=d), quiet=True
            )
            days_run = d
            flagged = {a.account_id for a in det.accounts if a.flagged}
            for cid in campaign_ids:
                if cid not in first and accounts[cid] & flagged:
                    first[cid] = d

    return ReplayResult(
        start=start,
        days=days,
        days_run=days_run,
        campaigns=[
            DetectionTime(
                campaign_id=cid,
                first_day=first.get(cid),
                detected_at=start + timedelta(days=first[cid]) if cid in first else None,
                exchanges_before=int(before[i, first[cid]]) if cid in first else None,
                exchanges_total=int(counts[i].sum()),
            )
            for i, cid in enumerate(campaign_ids)
        ],
    )
