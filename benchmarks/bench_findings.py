"""Check the findings bar of ``campaigns.json`` v2 against simulator ground truth.

Prints, for one simulator output directory and the ``detect --out`` directory made from it:

* blockable indicators: how many, and the share of each one's users (accounts in the log using
  the value) that are legitimate (labelled ``benign``): the bar is at most 1 % for every one;
* review queue: how many accounts it lists, and the share of the attack accounts the threshold
  missed (labelled ``attack``, not flagged) that it holds: the bar is at least 50 % while listing
  at most a few hundred accounts.

Field indicators are recounted from the raw log (not from the detector's own figures);
``prompt_template`` values are sample-based fingerprints and are recounted from the detector's
``accounts_in_log`` only. Run::

    PYTHONPATH=src python benchmarks/bench_findings.py --truth SIM --detections DET [--json OUT]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import ibis
import polars as pl

from distillguard.campaigns.decide import FIELD_KINDS
from distillguard.engine.tables import conform
from distillguard.evaluate.inputs import find_request_log


def measure(truth: Path, detections: Path) -> dict[str, Any]:
    doc = json.loads((detections / "campaigns.json").read_text())
    labels = pl.read_csv(truth / "labels.csv", schema_overrides={"campaign_id": pl.String})
    verdicts = pl.read_csv(detections / "accounts.csv", schema_overrides={"campaign_id": pl.String})
    con = ibis.duckdb.connect()
    log = find_request_log(truth)
    raw = con.read_parquet(str(log)) if log.suffix != ".gz" else con.read_json(str(log))
    t = conform(raw).join(
        ibis.memtable(labels.select("account_id", "label").to_arrow()), "account_id"
    )
    blockable = [
        (c["campaign_id"], i)
        for c in doc["campaigns"]
        for i in c["indicators"]
        if i.get("blockable")
    ]
    rows: list[dict[str, Any]] = []
    for kind in (*FIELD_KINDS, "system_prompt"):
        values = sorted({str(i["value"]) for _, i in blockable if i["kind"] == kind})
        if not values:
            continue
        col = (
            t.system_prompt.hexdigest("sha256").substr(0, 16)
            if kind == "system_prompt"
            else t[kind].cast("string")
        )
        q = (
            t.filter(col.isin(values))
            .group_by(col.name("value"))
            .aggregate(
                users=t.account_id.nunique(),
                benign=t.account_id.nunique(where=t.label == "benign"),
            )
        )
        rows.extend({"kind": kind, **r} for r in q.to_pyarrow().to_pylist())
    checked = [{**r, "benign_share": r["benign"] / r["users"]} for r in rows]
    worst = max((r["benign_share"] for r in checked), default=0.0)
    over = [r for r in checked if r["benign_share"] > 0.01]
    templates = [i for _, i in blockable if i["kind"] == "prompt_template"]

    missed = verdicts.join(labels, on="account_id").filter(
        (pl.col("label") == "attack") & (pl.col("flagged").cast(pl.String) == "false")
    )
    queued = {a for r in doc.get("review", []) for a in r["accounts"]}
    missed_ids = set(missed["account_id"].to_list())
    benign_ids = set(labels.filter(pl.col("label") == "benign")["account_id"].to_list())
    by_kind: dict[str, int] = {}
    for r in doc.get("review", []):
        by_kind[r["kind"]] = by_kind.get(r["kind"], 0) + len(r["accounts"])
    return {
        "blockable_indicators": len(blockable),
        "blockable_field_indicators_checked": len(checked),
        "blockable_templates": len(templates),
        "worst_benign_share_of_users": worst,
        "blockable_over_1pct": over,
        "missed_attack_accounts": len(missed_ids),
        "missed_in_review": len(missed_ids & queued),
        "missed_share_in_review": len(missed_ids & queued) / len(missed_ids) if missed_ids else 1.0,
        "review_accounts": len(queued),
        "review_by_kind": by_kind,
        "review_benign_accounts": len(queued & benign_ids),
        "review_attack_accounts": len(queued - benign_ids),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truth", type=Path, required=True)
    parser.add_argument("--detections", type=Path, required=True)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    m = measure(args.truth, args.detections)
    print(
        f"blockable indicators: {m['blockable_indicators']} "
        f"({m['blockable_field_indicators_checked']} field values recounted, "
        f"{m['blockable_templates']} templates); worst legitimate share of users "
        f"{m['worst_benign_share_of_users']:.2%}; over 1 %: {len(m['blockable_over_1pct'])}"
    )
    print(
        f"review queue: {m['review_accounts']} accounts {m['review_by_kind']}; holds "
        f"{m['missed_in_review']} of {m['missed_attack_accounts']} missed attack accounts "
        f"({m['missed_share_in_review']:.0%}); {m['review_benign_accounts']} legitimate"
    )
    ok = m["worst_benign_share_of_users"] <= 0.01 and (
        m["missed_share_in_review"] >= 0.5 and m["review_accounts"] <= 500
    )
    print("bar:", "pass" if ok else "fail")
    if args.json:
        args.json.write_text(json.dumps(m, indent=2, default=str))


if __name__ == "__main__":
    main()
