"""Hand-built ``campaigns.json`` v2 fixtures, with raw customer data planted in them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# Values that must never appear in a bundle exported without --allow-raw.
RAW_SECRETS = {
    "ip_prefix": "203.0.113.0/24",
    "ip": "203.0.113.77",
    "email_domain": "victim-customer.example",
    "payment_fingerprint": "pm_card_4242424242424242",
    "tls_fingerprint": "t13d1516h2_8daaf6152771_e5627efa2ab1",
    "user_agent": "AcmeInternalBot/7.1",
    "account": "acct_secret_000123",
    "org": "org_BigBankCorp",
    "prompt": "Summarise the merger memo for Project Nightingale",
}


def v2_campaign(cid: str = "camp-7f3a", **over: Any) -> dict[str, Any]:
    s = RAW_SECRETS
    doc: dict[str, Any] = {
        "campaign_id": cid,
        "score": 0.81,
        "score_parts": {"harvest": 0.7, "coordination": 0.9},
        "threshold": 0.5,
        "recommended_action": "block",
        "accounts": [s["account"], "acct_secret_000124", "acct_secret_000125"],
        "account_count": 3,
        "exchanges": 1200,
        "first_seen": "2026-03-02T01:00:00Z",
        "last_seen": "2026-03-08T23:00:00Z",
        "capabilities": {"reasoning_trace": 0.6, "agentic": 0.4},
        "indicators": [
            {
                "kind": "ip_prefix",
                "value": s["ip_prefix"],
                "accounts_in_campaign": 3,
                "accounts_in_log": 3,
                "blockable": True,
            },
            {
                "kind": "ip_prefix",
                "value": "198.51.100.0/24",
                "accounts_in_campaign": 2,
                "accounts_in_log": 40,
                "blockable": False,
            },
            {
                "kind": "payment_fingerprint",
                "value": s["payment_fingerprint"],
                "accounts_in_campaign": 3,
                "accounts_in_log": 3,
                "blockable": True,
            },
            {
                "kind": "email_domain",
                "value": s["email_domain"],
                "accounts_in_campaign": 3,
                "accounts_in_log": 3,
                "blockable": True,
            },
            {
                "kind": "tls_fingerprint",
                "value": s["tls_fingerprint"],
                "accounts_in_campaign": 3,
                "accounts_in_log": 4,
                "blockable": True,
            },
            {
                "kind": "user_agent",
                "value": s["user_agent"],
                "accounts_in_campaign": 3,
                "accounts_in_log": 3,
                "blockable": True,
            },
            {
                "kind": "asn",
                "value": "64500",
                "accounts_in_campaign": 3,
                "accounts_in_log": 5,
                "blockable": True,
            },
            {
                "kind": "prompt_template",
                "value": "00ab12cd34ef5678",
                "accounts_in_campaign": 3,
                "accounts_in_log": 3,
                "blockable": True,
            },
        ],
        "evidence": [
            {
                "signal": "linkage.payment",
                "strength": 0.9,
                "text": f"3 accounts of {s['org']} share a card; e.g. {s['prompt']}",
                "account_count": 3,
                "account_ids": [s["account"]],
                "account_ids_complete": False,
                "request_ids": ["req_1"],
                "observed": {"ip": s["ip"]},
            },
        ],
    }
    doc.update(over)
    return doc


def write_v2(out: Path, campaigns: list[dict[str, Any]]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    doc = {
        "schema_version": 2,
        "run": {
            "run_id": "r1",
            "tool_version": "0.1.0",
            "generated_at": "2026-03-09T00:00:00Z",
            "engine": "duckdb",
            "inputs": ["log.parquet"],
            "window": {"from": "2026-03-02T00:00:00Z", "to": "2026-03-09T00:00:00Z"},
            "exchanges_analysed": 5000,
        },
        "campaigns": campaigns,
        "review": [],
    }
    (out / "campaigns.json").write_text(json.dumps(doc))
    return out


@pytest.fixture
def detections_v2(tmp_path: Path) -> Path:
    return write_v2(tmp_path / "det", [v2_campaign(), v2_campaign("camp-91bb", exchanges=300)])
