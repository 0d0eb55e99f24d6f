"""Detections as files: campaigns.json v2 validates against the shipped schema, counts are true
counts, accounts.csv keeps the contract's first columns and adds exchanges and reasons."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from distillguard.campaigns.model import (
    AccountVerdict,
    Campaign,
    Detections,
    Finding,
    ReviewItem,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _schema() -> dict[str, object]:
    text = resources.files("distillguard.campaigns").joinpath("campaigns.schema.json").read_text()
    doc: dict[str, object] = json.loads(text)
    return doc


def _detections(members: int) -> Detections:
    ids = [f"acct-{i:04d}" for i in range(members)]
    finding = Finding(
        signal="linkage.payment",
        strength=1.0,
        description=f"{members} of {members} accounts share payment instruments",
        account_ids=tuple(ids[:100]),
        account_count=members,
        request_ids=("req-1",),
        observed={"accounts_linked": members},
    )
    campaign = Campaign(
        campaign_id="C0001",
        score=0.8,
        accounts=ids,
        exchanges=10 * members,
        first_seen=T0,
        last_seen=T0,
        capabilities={"coding": 1.0},
        indicators=[
            {
                "kind": "asn",
                "value": 64500,
                "accounts_in_campaign": members,
                "accounts_in_log": members,
                "blockable": True,
            }
        ],
        evidence=[finding],
        score_parts={"harvest": 0.8, "coordination": 0.8, "org_factor": 1.0},
        threshold=0.5,
        recommended_action="block",
        indicator_totals={"asn": 1},
    )
    verdicts = [
        AccountVerdict(a, 0.8, True, "C0001", exchanges=10, reasons=("shares a card",)) for a in ids
    ] + [AccountVerdict("=cmd|x", 0.3, False, None, exchanges=4, reasons=())]
    review = [ReviewItem("account", ("=cmd|x",), 0.3, ("asks for long outputs",), 1)]
    run = {
        "run_id": "abc",
        "tool_version": "0.1.0",
        "generated_at": "2026-03-02T00:00:00Z",
        "engine": "duckdb",
        "inputs": ["log"],
        "window": {"from": "2026-03-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"},
        "exchanges_analysed": 10 * members + 4,
    }
    return Detections(verdicts, [campaign], {"accounts": members + 1}, review=review, run=run)


def test_v2_document_validates_and_counts_are_not_capped(tmp_path: Path) -> None:
    _detections(1499).write(tmp_path)
    doc = json.loads((tmp_path / "campaigns.json").read_text())
    jsonschema.validate(doc, _schema())
    finding = doc["campaigns"][0]["evidence"][0]
    assert finding["account_count"] == 1499
    assert len(finding["account_ids"]) == 100 and finding["account_ids_complete"] is False
    assert doc["campaigns"][0]["account_count"] == 1499
    assert doc["campaigns"][0]["indicators"][0]["value"] == 64500
    assert doc["review"][0]["accounts"] == ["=cmd|x"]


def test_accounts_csv_keeps_the_contract_columns_first(tmp_path: Path) -> None:
    _detections(3).write(tmp_path)
    with (tmp_path / "accounts.csv").open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["account_id", "score", "flagged", "campaign_id", "exchanges", "reasons"]
    assert rows[1][4:] == ["10", "shares a card"]


def test_a_document_missing_v2_fields_fails_the_schema(tmp_path: Path) -> None:
    _detections(3).write(tmp_path)
    doc = json.loads((tmp_path / "campaigns.json").read_text())
    doc["campaigns"][0]["indicators"][0]["value"] = "64500"  # an ASN as a string
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, _schema())
