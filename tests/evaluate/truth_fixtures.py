"""Hand-built ground truth and detections whose right answers are known by construction.

Truth (``make_truth``), all timestamps over 5 days from 2026-03-01:

- campaign ``A``: accounts a00..a09, 10 attack exchanges each (20 a day in total);
- campaign ``B``: accounts b00..b09, 10 attack exchanges each (20 a day);
- campaign ``C``: accounts c00..c03, 5 attack exchanges each (4 a day);
- benign ``batch`` x00..x19 and ``campus`` y00..y09, 2 benign exchanges each;
- with ``mixed_reseller``: benign ``reseller`` r00 carries 10 benign exchanges and 10 attack
  exchanges of campaign ``B``; reseller r01 is clean (2 benign exchanges).
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from distillguard.campaigns.model import AccountVerdict, Detections

DAY0 = datetime(2026, 3, 1, tzinfo=UTC)
CAMPAIGNS = {
    "A": [f"a{i:02d}" for i in range(10)],
    "B": [f"b{i:02d}" for i in range(10)],
    "C": [f"c{i:02d}" for i in range(4)],
}
PER_ACCOUNT = {"A": 10, "B": 10, "C": 5}
BENIGN = {"batch": [f"x{i:02d}" for i in range(20)], "campus": [f"y{i:02d}" for i in range(10)]}


def _ts(j: int) -> datetime:
    return DAY0 + timedelta(days=j % 5, hours=1 + j // 5)


def make_truth(sim_dir: Path, *, mixed_reseller: bool = False, jsonl: bool = False) -> None:
    sim_dir.mkdir(parents=True, exist_ok=True)
    labels: list[tuple[str, str, str, str]] = []
    reqs: list[tuple[str, str, datetime, str, str | None]] = []

    def add(account: str, n: int, label: str, campaign: str | None) -> None:
        start = sum(1 for r in reqs if r[1] == account)
        reqs.extend(
            (f"{account}-r{start + j}", account, _ts(start + j), label, campaign) for j in range(n)
        )

    for cid, accounts in CAMPAIGNS.items():
        for a in accounts:
            labels.append((a, "attack", cid, "attacker"))
            add(a, PER_ACCOUNT[cid], "attack", cid)
    personas = dict(BENIGN)
    if mixed_reseller:
        personas["reseller"] = ["r00", "r01"]
    for persona, accounts in personas.items():
        for a in accounts:
            labels.append((a, "benign", "", persona))
            add(a, 10 if a == "r00" else 2, "benign", None)
    if mixed_reseller:
        add("r00", 10, "attack", "B")

    with (sim_dir / "labels.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["account_id", "label", "campaign_id", "persona"])
        w.writerows(labels)
    pq.write_table(
        pa.table(
            {
                "request_id": [r[0] for r in reqs],
                "label": [r[3] for r in reqs],
                "campaign_id": pa.array([r[4] for r in reqs], pa.string()),
            }
        ),
        sim_dir / "request_labels.parquet",
    )
    if jsonl:
        with gzip.open(sim_dir / "requests.jsonl.gz", "wt") as fh:
            for rid, acc, ts, _, _ in reqs:
                row = {
                    "request_id": rid,
                    "timestamp": ts.isoformat().replace("+00:00", "Z"),
                    "account_id": acc,
                    "model": "m1",
                    "prompt": "p",
                    "asn": 64500,
                }
                fh.write(json.dumps(row) + "\n")
    else:
        (sim_dir / "requests").mkdir(exist_ok=True)
        half = len(reqs) // 2
        for k, part in enumerate([reqs[:half], reqs[half:]]):
            pq.write_table(
                pa.table(
                    {
                        "request_id": [r[0] for r in part],
                        "timestamp": pa.array([r[2] for r in part], pa.timestamp("us", "UTC")),
                        "account_id": [r[1] for r in part],
                        "model": ["m1"] * len(part),
                        "prompt": ["p"] * len(part),
                    }
                ),
                sim_dir / "requests" / f"part-{k}.parquet",
            )


def all_accounts(mixed_reseller: bool = False) -> list[str]:
    out = [a for accs in CAMPAIGNS.values() for a in accs]
    out += [a for accs in BENIGN.values() for a in accs]
    return out + (["r00", "r01"] if mixed_reseller else [])


def make_detections(
    det_dir: Path, groups: dict[str, list[str]], loose: Sequence[str] = (), *, mixed: bool = False
) -> Detections:
    """Flag every account in ``groups`` (detected id -> accounts) and in ``loose`` (no campaign)."""
    member = {a: cid for cid, accs in groups.items() for a in accs}
    verdicts = [
        AccountVerdict(
            a, 0.9 if (a in member or a in loose) else 0.1, a in member or a in loose, member.get(a)
        )
        for a in all_accounts(mixed)
    ]
    det = Detections(verdicts, [], {})
    det.write(det_dir)
    doc = {
        "schema_version": 1,
        "campaigns": [
            {
                "campaign_id": cid,
                "score": 0.9,
                "accounts": accs,
                "exchanges": 0,
                "first_seen": "2026-03-01T00:00:00Z",
                "last_seen": "2026-03-05T00:00:00Z",
                "capabilities": {},
                "indicators": {},
                "evidence": [],
            }
            for cid, accs in groups.items()
        ],
    }
    (det_dir / "campaigns.json").write_text(json.dumps(doc))
    return det
