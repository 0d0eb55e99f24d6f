"""Hand-built detections directories for the report tests.

:func:`write_v2` writes a ``campaigns.json`` schema v2 (contract section 2) exercising every part of
the report: run metadata, score parts, threshold, each recommended action, blockable and context
indicators with their prevalence, paged indicator lists, evidence with true counts, example request
ids, redacted excerpts and observed values, timelines with gaps, and every kind of review item;
plus a ``summary.json`` with warnings and an ``accounts.csv`` with the v2 columns. With
``hostile=True`` every client-controlled string carries markup or a spreadsheet formula.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

SCRIPT = '<script>alert("x")</script>'
ATTR = '"onerror=alert(1) x="'
FORMULA = '=HYPERLINK("http://evil.example","click")'
IMG = "<img src=x onerror=alert(2)>"
HOSTILE = (SCRIPT, ATTR, FORMULA, IMG)


def _ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}-{i:04d}" for i in range(n)]


def write_v2(out: Path, *, hostile: bool = False) -> dict[str, Any]:
    """Write the fixture into ``out`` and return the campaigns.json document."""
    out.mkdir(parents=True, exist_ok=True)
    big = _ids("acct-big", 120)
    mid = _ids("acct-mid", 12)
    small = _ids("acct-small", 5)
    if hostile:
        big[:3] = [SCRIPT, ATTR, FORMULA]
    ua = IMG if hostile else "python-httpx/0.27"
    model_new = "<b>m-new</b>" if hostile else "m-new"
    excerpt = (
        "</blockquote>" + SCRIPT if hostile else "Solve step by step and show all reasoning: [N]…"
    )
    days = ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-09", "2026-03-10"]  # a 5-day gap
    campaigns = [
        {
            "campaign_id": "cmp-7f3a" if not hostile else '"><svg onload=alert(3)>',
            "score": 0.91,
            "score_parts": {"harvest": 0.88, "coordination": 0.95},
            "threshold": 0.5,
            "recommended_action": "block",
            "action_reasons": ["120 accounts share 2 blockable indicators"],
            "calibration": {
                "precision": 0.97,
                "score_from": 0.8,
                "score_to": 1.0,
                "n": 31,
                "seeds": [0, 1, 2],
            },
            "accounts": big,
            "account_count": len(big),
            "exchanges": 48_000,
            "first_seen": "2026-03-01T02:13:44.123456Z",
            "last_seen": "2026-03-10T23:59:01.999999Z",
            "capabilities": {"reasoning_trace": 0.7, "coding": 0.3},
            "indicators": [
                {
                    "kind": "tls_fingerprint",
                    "value": "t13d1516h2_aaaa",
                    "accounts_in_campaign": 118,
                    "accounts_in_log": 119,
                    "blockable": True,
                },
                {
                    "kind": "asn",
                    "value": 64501,
                    "accounts_in_campaign": 110,
                    "accounts_in_log": 110,
                    "blockable": True,
                },
                {
                    "kind": "user_agent",
                    "value": ua,
                    "accounts_in_campaign": 120,
                    "accounts_in_log": 1112,
                    "blockable": False,
                },
                {
                    "kind": "prompt_template",
                    "value": "tmpl-9c1e",
                    "accounts_in_campaign": 96,
                    "accounts_in_log": 400,
                    "blockable": False,
                    "excerpt": excerpt,
                },
            ],
            "indicators_truncated": True,
            "indicator_totals": {"user_agent": 14, "tls_fingerprint": 1, "asn": 1},
            "evidence": [
                {
                    "signal": "linkage.shared_payment",
                    "strength": 0.93,
                    "text": "118 of 120 accounts share payment instruments",
                    "account_count": 118,
                    "account_ids": big[:100],
                    "account_ids_complete": False,
                    "request_ids": ["req-000001", "req-000002"],
                    "excerpts": [excerpt],
                    "observed": {"accounts_linked": 118, "coverage": 0.9833},
                },
                {
                    "signal": "behaviour.reasoning_elicitation",
                    "strength": 0.41,
                    "text": "asks for full reasoning: level 0.72 vs 0.31 for the median account",
                    "account_count": 97,
                    "account_ids": big[:97],
                    "account_ids_complete": True,
                    "request_ids": ["req-000010"],
                    "excerpts": [excerpt],
                    "observed": {
                        "level": 0.72,
                        "population_level": 0.31,
                        "requests_per_account_day": {
                            "campaign_median": 37.4,
                            "population_median": 12,
                        },
                    },
                },
            ],
            "timeline": [
                [d, n] for d, n in zip(days, [9000, 9500, 9500, 10000, 10000], strict=True)
            ],
            "models": {"m-old": 20_000, model_new: 28_000},
            "timeline_by_model": {
                "m-old": [[d, n] for d, n in zip(days, [9000, 9500, 1500], strict=False)],
                model_new: [[days[2], 8000], [days[3], 10000], [days[4], 10000]],
            },
        },
        {
            "campaign_id": "cmp-22b0",
            "score": 0.66,
            "score_parts": {"harvest": 0.7, "coordination": 0.6},
            "threshold": 0.5,
            "recommended_action": "throttle",
            "action_reasons": ["no indicator is safe to block"],
            "accounts": mid,
            "account_count": len(mid),
            "exchanges": 4_000,
            "first_seen": "2026-03-04T10:00:00Z",
            "last_seen": "2026-03-06T18:30:00Z",
            "capabilities": {"coding": 1.0},
            "indicators": [
                {
                    "kind": "ip_prefix",
                    "value": "198.51.100.0/24",
                    "accounts_in_campaign": 12,
                    "accounts_in_log": 300,
                    "blockable": False,
                }
            ],
            "evidence": [
                {
                    "signal": "linkage.sync",
                    "strength": 0.6,
                    "text": "12 of 12 accounts send in lock-step",
                    "account_count": 12,
                    "account_ids": mid,
                    "account_ids_complete": True,
                    "request_ids": [],
                    "observed": {"requests_per_day": 333.3},
                }
            ],
            "timeline": [["2026-03-04", 1000], ["2026-03-05", 2000], ["2026-03-06", 1000]],
            "models": {"m-old": 4000},
        },
        {
            "campaign_id": "cmp-0c55",
            "score": 0.62,
            "score_parts": {"harvest": 0.62, "coordination": 0.62},
            "threshold": 0.6,
            "recommended_action": "review",
            "accounts": small,
            "account_count": len(small),
            "exchanges": 500,
            "first_seen": "2026-03-08T00:00:00Z",
            "last_seen": "2026-03-08T12:00:00Z",
            "capabilities": {},
            "indicators": [],
            "evidence": [],
            "timeline": [["2026-03-08", 500]],
            "models": {"m-old": 500},
        },
    ]
    review = [
        {
            "kind": "near_miss",
            "accounts": _ids("acct-near", 10),
            "account_count": 218,
            "accounts_complete": False,
            "score": 0.44,
            "reasons": ["linked by shared payment instruments", "harvest level 0.8"],
            "exchanges": 9000,
        },
        {
            "kind": "lookalike",
            "campaign_id": campaigns[0]["campaign_id"],
            "accounts": _ids("acct-look", 6),
            "account_count": 6,
            "score": 0.38,
            "reasons": ["behaves like the flagged campaign (profile distance 0.4)"],
            "exchanges": 1200,
        },
        {
            "kind": "account",
            "accounts": [FORMULA if hostile else "acct-solo"],
            "account_count": 1,
            "score": 0.35,
            "reasons": [SCRIPT if hostile else "harvest level 0.9"],
            "exchanges": 3000,
        },
    ]
    doc = {
        "schema_version": 2,
        "run": {
            "run_id": "run-20260311-01",
            "tool_version": "0.9.0",
            "generated_at": "2026-03-11T08:00:00.654321Z",
            "engine": "duckdb",
            "inputs": ["logs/march.parquet"],
            "window": {"from": "2026-03-01T00:00:00Z", "to": "2026-03-10T23:59:59Z"},
            "exchanges_analysed": 100_000,
            "models": {"m-old": 70_000, model_new: 30_000},
        },
        "campaigns": campaigns,
        "review": review,
    }
    (out / "campaigns.json").write_text(json.dumps(doc, indent=2))
    summary = {
        "rows_read": 262_500,
        "rows_stored": 262_000,
        "rows_duplicate": 0,
        "rows_quarantined": 500,
        "quarantine_reasons": {"bad timestamp": 500},
        "exchanges": 100_000,
        "until": "2026-03-11T00:00:00Z",
        "warnings": [
            "account 'unknown' carries 61% of all exchanges: a placeholder id?",
            {"message": SCRIPT if hostile else "prompt text absent: text signals had no data"},
        ],
        "signals_without_data": ["capability"],
        "timings": {"ingest": 1.2, "linkage": 2.5},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    with (out / "accounts.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["account_id", "score", "flagged", "campaign_id", "exchanges", "reasons"])
        for c in campaigns:
            for i, a in enumerate(c["accounts"]):
                shown = "'" + a if a[:1] in "=+-@" else a  # as the contract neutralises it
                cid = c["campaign_id"]
                w.writerow([shown, f"{0.95 - i / 1000:.4f}", "true", cid, 400, "harvest; linked"])
        for i in range(40):
            w.writerow([f"benign-{i:03d}", "0.0500", "false", "", 50, ""])
        w.writerow(["'" + FORMULA if hostile else "acct-solo", "0.3500", "false", "", 3000, "x"])
    return doc


def write_v1(out: Path) -> None:
    """A schema v1 directory as distillguard wrote before v2 (indicator object, no review)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "accounts.csv").write_text(
        "account_id,score,flagged,campaign_id\nu1,0.9,true,X\nu2,0.8,true,X\nu3,0.2,false,\n"
        "lone,0.7,true,\n"
    )
    campaign = {
        "campaign_id": "X",
        "score": 0.9,
        "accounts": ["u1", "u2"],
        "exchanges": 42,
        "first_seen": "2026-02-01T00:00:00.250000Z",
        "last_seen": "2026-02-02T00:00:00Z",
        "capabilities": {"coding": 1.0},
        "indicators": {
            "ip_prefix": [{"value": "203.0.113.0/24", "accounts": 2}],
            "asn": [64500],
            "template_id": {"tmpl-<b>": 2},
            "weird_kind": ["v1"],
        },
        "evidence": [
            {
                "signal": "shared_payment",
                "strength": 2.5,
                "description": "2 accounts share one card & one <subnet>",
                "account_ids": ["u1", "u2"],
                "details": {"accounts": 2},
            },
            {"signal": "behaviour.max_tokens", "strength": 0.5, "description": "big budgets"},
        ],
        "timeline": [["2026-02-01", 30], ["2026-02-02", 12]],
    }
    (out / "campaigns.json").write_text(json.dumps({"schema_version": 1, "campaigns": [campaign]}))
    (out / "summary.json").write_text(json.dumps({"rows_read": 50, "rows_quarantined": 8}))
