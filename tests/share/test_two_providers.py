"""Two providers, one operator: A's bundle lets B catch the operator earlier, with no more false
positives, and tells B nothing about A's customers.

Prints the figures (with and without the bundle) for the closing note; see docs/sharing.md.
"""

from __future__ import annotations

import csv
import json
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from distillguard.cli import main
from distillguard.evaluate.metrics import evaluate
from distillguard.evaluate.replay import replay
from distillguard.pipeline import run_detect
from tests.share.providers import two_providers
from tests.share.test_export import assert_valid_stix

GROUP_KEY = "fmf-distillation-group-2026"


def _customer_values(sim: Path) -> dict[str, set[str]]:
    """Every identifier of the provider's legitimate customers (and account ids of all)."""
    con = duckdb.connect()
    log = f"read_parquet('{sim}/requests/*.parquet')"
    labels = f"read_csv('{sim}/labels.csv', all_varchar=true)"
    out: dict[str, set[str]] = {}
    out["account_id"] = {
        str(r[0]) for r in con.execute(f"SELECT DISTINCT account_id FROM {log}").fetchall()
    }
    for col in ("org_id", "ip", "email_domain", "payment_fingerprint", "user_agent"):
        rows = con.execute(
            f"SELECT DISTINCT CAST(r.{col} AS VARCHAR) FROM {log} r JOIN {labels} l "
            f"ON r.account_id = l.account_id WHERE l.label = 'benign' AND r.{col} IS NOT NULL"
        ).fetchall()
        out[col] = {str(r[0]) for r in rows if len(str(r[0])) >= 6}
    out["ip_prefix"] = {ip.rsplit(".", 1)[0] + ".0/24" for ip in out["ip"] if ip.count(".") == 3}
    rows = con.execute(f"SELECT DISTINCT left(prompt, 40) FROM {log} WHERE length(prompt) >= 40")
    out["prompt"] = {str(r[0]) for r in rows.fetchall()}
    con.close()
    return out


def _attack_accounts(sim: Path) -> set[str]:
    with (sim / "labels.csv").open(newline="") as fh:
        return {r["account_id"] for r in csv.DictReader(fh) if r["label"] == "attack"}


@pytest.mark.slow
def test_partner_bundle_finds_the_operator_earlier_at_b_without_more_false_positives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = two_providers(tmp_path)
    assert not _attack_accounts(a) & _attack_accounts(b)

    # Provider A: detect, export (group key), validate.
    run_detect([a / "requests"], tmp_path / "det-a", report=False)
    bundle = tmp_path / "provider-a.json"
    assert main(["share", "export", "--detections", str(tmp_path / "det-a"), "--all",
                 "--out", str(bundle), "--identity", "Provider A", "--tlp", "amber",
                 "--share-key", GROUP_KEY]) == 0  # fmt: skip
    text = bundle.read_text()
    assert_valid_stix(text)
    assert any(o["type"] == "indicator" for o in json.loads(text)["objects"])
    # The bundle reveals none of A's customers: no account id, organisation, IP, prefix, card,
    # e-mail domain, client string or prompt text of A's traffic appears in it.
    for kind, values in _customer_values(a).items():
        leaked = sorted(v for v in values if v in text)
        assert not leaked, f"{kind} of provider A's customers in the bundle: {leaked[:3]}"

    # Provider B: import, then detect day by day with and without the bundle.
    ws = tmp_path / "workspace-b"
    assert main(["share", "import", str(bundle), "--workspace", str(ws)]) == 0
    without = replay(b, detector=partial(run_detect, report=False), work_dir=tmp_path / "rb0")
    det_b1 = str(tmp_path / "det-b1")
    assert main(["detect", str(b / "requests"), "--out", det_b1, "--intel", str(ws / "intel"),
                 "--share-key", GROUP_KEY, "--quiet", "--no-report"]) == 0  # fmt: skip
    # Time to detection with the bundle, through the command line.
    ttd = tmp_path / "ttd.json"
    assert main(["evaluate", "--truth", str(b), "--detections", det_b1, "--replay", "--intel",
                 str(ws / "intel"), "--share-key", GROUP_KEY, "--json", str(ttd)]) == 0  # fmt: skip
    (t1,) = json.loads(ttd.read_text())["time_to_detection"]["campaigns"]
    t1 = SimpleNamespace(**t1)
    ev0 = evaluate(b, tmp_path / "rb0" / f"day-{without.days_run:03d}")
    ev1 = evaluate(b, tmp_path / "det-b1")
    (t0,) = without.campaigns
    figures = {
        "days": without.days,
        "without_bundle": {"first_day": t0.first_day, "exchanges_before": t0.exchanges_before,
                           "recall": ev0.recall, "false_positives": ev0.false_positives},
        "with_bundle": {"first_day": t1.first_day, "exchanges_before": t1.exchanges_before,
                        "recall": ev1.recall, "false_positives": ev1.false_positives},
        "exchanges_total": t0.exchanges_total,
    }  # fmt: skip
    with capsys.disabled():
        print("\ntwo providers, B's figures:", json.dumps(figures))

    assert t1.first_day is not None
    earlier = t0.first_day is None or t1.first_day < t0.first_day
    assert earlier or ev1.recall > ev0.recall
    assert ev1.recall >= ev0.recall
    assert ev1.false_positives <= ev0.false_positives
    # The finding names the partner and the bundle.
    doc = json.loads((tmp_path / "det-b1" / "campaigns.json").read_text())
    intel_findings = [
        e
        for c in doc["campaigns"]
        for e in c["evidence"]
        if e["signal"] == "intel.partner_indicator"
    ]
    assert intel_findings and intel_findings[0]["details"]["partner"] == "Provider A"
    assert intel_findings[0]["details"]["bundle"] == json.loads(text)["id"]
