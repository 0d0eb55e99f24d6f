"""Pool the calibration tables of several ``distillguard evaluate --json`` outputs into the table
shipped with the package (``src/distillguard/campaigns/calibration.json``).

Counts add up bin by bin across the runs; precision is recomputed from the pooled counts, so a
bin's figure weighs every labelled account once. Run::

    PYTHONPATH=src python benchmarks/calibrate.py EVAL.json... --label "benchmark seeds 0-2" \\
        --out src/distillguard/campaigns/calibration.json
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any


def pool(docs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name in ("accounts", "campaigns"):
        bins: dict[tuple[float, float], dict[str, Any]] = {}
        for doc in docs:
            for b in doc["calibration"][name]:
                key = (b["low"], b["high"])
                acc = bins.setdefault(
                    key, {"low": b["low"], "high": b["high"], "accounts": 0, "attack": 0, "runs": 0}
                )
                acc["accounts"] += b["accounts"]
                acc["attack"] += b["attack"]
                acc["runs"] += 1
                if name == "campaigns":
                    acc["campaigns"] = acc.get("campaigns", 0) + b.get("campaigns", 0)
        out[name] = [
            {
                **b,
                "precision": round(b["attack"] / b["accounts"], 4) if b["accounts"] else None,
                "precision_low95": wilson_low(b["attack"], b["accounts"]),
            }
            for _, b in sorted(bins.items())
        ]
    return out


def wilson_low(hits: int, n: int, z: float = 1.96) -> float | None:
    """Lower end of the 95 % Wilson interval: what the precision is at least, given how few
    accounts a bin may hold (accounts of one campaign are not independent, so read it as an
    upper bound on the certainty)."""
    if n == 0:
        return None
    p = hits / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return round((centre - spread) / (1 + z * z / n), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("evaluations", nargs="+", type=Path)
    parser.add_argument("--label", required=True, help="what the runs were, e.g. the seeds")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    docs = [json.loads(p.read_text()) for p in args.evaluations]
    table = {
        "measured_on": args.label,
        "runs": len(docs),
        "definition": (
            "precision = share of accounts labelled attack among those scored in the bin; "
            "accounts: each account's score in accounts.csv; campaigns: members of detected "
            "campaigns by the campaign's score"
        ),
        **pool(docs),
    }
    args.out.write_text(json.dumps(table, indent=2) + "\n")
    for row in table["campaigns"]:
        if row["accounts"]:
            print(f"campaign score {row['low']:.1f}-{row['high']:.1f}: {row}")


if __name__ == "__main__":
    main()
