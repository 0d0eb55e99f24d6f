"""End to end on simulated traffic: campaigns are found, legitimate heavy users are left alone,
and the output files are exactly the contract's."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import jsonschema
import pyarrow.parquet as pq
import pytest

from distillguard.evaluate import evaluate
from distillguard.evaluate.metrics import Evaluation
from distillguard.ingest import Privacy
from distillguard.pipeline import run_detect
from distillguard.simulate import simulate

SEEDS = (11, 12)
# Two runs on one log give byte-identical files when the generation time is pinned.
PINNED = "1796000000"
SCHEMA = Path(__file__).parents[2] / "src/distillguard/campaigns/campaigns.schema.json"
# Quiet aged accounts in real multi-turn sessions with no shared infrastructure are not found yet
# (issue 12 stays open for them); test_known_misses fails the day they are, so this list is
# shortened then instead of silently hiding a regression.
KNOWN_MISSES = frozenset({"quiet-aged"})


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def detected(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, Evaluation]:
    root = tmp_path_factory.mktemp(f"bench{request.param}")
    sim, det = root / "sim", root / "det"
    simulate("benchmark", scale=0.5, seed=request.param, out=sim, obfuscation=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", PINNED)
        run_detect([sim / "requests"], det)
    return sim, det, evaluate(sim, det)


def test_campaigns_are_found(detected: tuple[Path, Path, Evaluation]) -> None:
    _, _, ev = detected
    assert ev.precision >= 0.98
    assert ev.recall >= 0.9
    assert ev.exchange_recall >= 0.95
    for campaign in ev.campaigns:
        if campaign.campaign_id in KNOWN_MISSES:
            continue
        assert (campaign.share_flagged or 0.0) >= 0.8, campaign
        assert (campaign.share_grouped or 0.0) >= 0.8, campaign


@pytest.mark.xfail(strict=True, reason="quiet aged campaigns are not detected yet (issue 12)")
def test_known_misses(detected: tuple[Path, Path, Evaluation]) -> None:
    _, _, ev = detected
    for campaign in ev.campaigns:
        if campaign.campaign_id in KNOWN_MISSES:
            assert (campaign.share_flagged or 0.0) >= 0.8, campaign


def test_legitimate_heavy_users_are_left_alone(detected: tuple[Path, Path, Evaluation]) -> None:
    _, _, ev = detected
    # Campus, eval runners, batch jobs, coding agents, resellers, synthetic-data customers...
    too_many = {p.persona: p.fpr for p in ev.personas if p.fpr > 0.005}
    assert too_many == {}


def test_the_same_log_gives_the_same_verdicts(
    detected: tuple[Path, Path, Evaluation], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An analyst re-running detect on the same log must see the same accounts and campaigns.
    sim, det, _ = detected
    if not sim.parent.name.startswith(f"bench{SEEDS[0]}"):
        pytest.skip("one seed is enough to check repeatability")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", PINNED)
    run_detect([sim / "requests"], tmp_path)
    for name in ("accounts.csv", "campaigns.json"):
        assert (tmp_path / name).read_text() == (det / name).read_text(), name


def test_outputs_follow_the_contract(detected: tuple[Path, Path, Evaluation]) -> None:
    sim, det, _ = detected
    accounts_in_log = set(
        pq.read_table(sim / "requests", columns=["account_id"]).column(0).to_pylist()
    )
    with (det / "accounts.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:4] == ["account_id", "score", "flagged", "campaign_id"]
    assert list(rows[0])[4:] == ["exchanges", "reasons"]
    assert all(int(r["exchanges"]) > 0 for r in rows)
    assert all(r["reasons"] for r in rows if r["flagged"] == "true")
    assert {r["account_id"] for r in rows} == accounts_in_log
    assert len(rows) == len(accounts_in_log)
    assert all(0.0 <= float(r["score"]) <= 1.0 for r in rows)
    assert {r["flagged"] for r in rows} <= {"true", "false"}
    doc = json.loads((det / "campaigns.json").read_text())
    assert doc["schema_version"] == 2
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    log_rows = pq.read_table(sim / "requests", columns=["request_id"]).num_rows
    assert doc["run"]["exchanges_analysed"] == log_rows
    assert doc["run"]["window"]["from"] <= doc["run"]["window"]["to"]
    ids = {c["campaign_id"] for c in doc["campaigns"]}
    assert {r["campaign_id"] for r in rows if r["campaign_id"]} == ids
    for c in doc["campaigns"]:
        for key in (
            "score",
            "accounts",
            "exchanges",
            "first_seen",
            "last_seen",
            "capabilities",
            "indicators",
            "evidence",
        ):
            assert key in c
        assert c["first_seen"].endswith("Z") and c["first_seen"] <= c["last_seen"]
        assert c["exchanges"] > 0
        members = {r["account_id"] for r in rows if r["campaign_id"] == c["campaign_id"]}
        assert members == set(c["accounts"])
        # One weak link alone never makes a campaign: at least two families of linkage evidence.
        families = {e["signal"] for e in c["evidence"] if e["signal"].startswith("linkage.")}
        assert len(families) >= 2, c["evidence"]
        assert all({"signal", "strength", "description"} <= set(e) for e in c["evidence"])
        assert c["account_count"] == len(c["accounts"])
        assert c["recommended_action"] in {"block", "throttle", "review"}
        assert c["score"] >= c["threshold"]
        for e in c["evidence"]:
            # True counts: the ids listed are complete, or say they are not.
            assert e["account_count"] >= len(e["account_ids"])
            assert e["account_ids_complete"] == (e["account_count"] == len(e["account_ids"]))
    summary = json.loads((det / "summary.json").read_text())
    assert summary["run"] == doc["run"]
    assert summary["rows_read"] >= summary["rows_stored"] > 0
    assert summary["rows_quarantined"] == 0
    assert "timings" in summary
    # Each linker's cost is reported, and together they are the linkage stage.
    spent = summary["linker_seconds"]
    assert {"network", "template", "system_prompt"} <= set(spent)
    assert 0 < sum(spent.values()) <= summary["timings"]["linkage"] + 0.01
    assert (det / "report.html").stat().st_size > 1000


def test_findings_can_be_checked_and_acted_on(detected: tuple[Path, Path, Evaluation]) -> None:
    sim, det, _ = detected
    doc = json.loads((det / "campaigns.json").read_text())
    findings = [e for c in doc["campaigns"] for e in c["evidence"]]
    # Counts are true counts, not capped at the number of ids listed.
    assert any(e["account_count"] > 50 for e in findings)
    assert all(e["request_ids"] for e in findings)
    # Excerpts exist and are redacted: no digits, e-mail addresses or URLs.
    excerpts = [x for e in findings for x in e["excerpts"]]
    assert excerpts
    assert not any(any(ch.isdigit() for ch in x) or "@" in x or "http" in x for x in excerpts)
    # A blockable indicator is used by legitimate accounts in at most 1 % of its users.
    con = duckdb.connect()
    con.execute(f"CREATE VIEW log AS SELECT * FROM read_parquet('{sim / 'requests'}/**/*.parquet')")
    con.execute(f"CREATE VIEW labels AS SELECT * FROM read_csv('{sim / 'labels.csv'}')")
    for c in doc["campaigns"]:
        for i in c["indicators"]:
            if i["blockable"] and i["kind"] in {"asn", "tls_fingerprint", "user_agent"}:
                users, benign = con.execute(
                    f"""SELECT count(DISTINCT account_id),
                               count(DISTINCT account_id) FILTER (label = 'benign')
                        FROM log JOIN labels USING (account_id)
                        WHERE CAST({i["kind"]} AS VARCHAR) = ?""",
                    [str(i["value"])],
                ).fetchone() or (0, 0)
                assert users == i["accounts_in_log"]
                assert benign <= 0.01 * users, i
    # The review queue is bounded and holds what the threshold missed.
    queued = {a for r in doc["review"] for a in r["accounts"]}
    assert 0 < len(queued) <= 300
    with (det / "accounts.csv").open() as fh:
        flagged = {r["account_id"] for r in csv.DictReader(fh) if r["flagged"] == "true"}
    assert not queued & flagged
    with (sim / "labels.csv").open() as fh:
        missed = {
            r["account_id"]
            for r in csv.DictReader(fh)
            if r["label"] == "attack"
            and r["account_id"] not in flagged
            and r["campaign_id"] not in KNOWN_MISSES
        }
    assert len(missed & queued) >= 0.5 * len(missed)


@pytest.mark.slow
def test_drop_text_publishes_no_excerpts_and_until_counts_what_was_analysed(
    tmp_path: Path,
) -> None:
    sim, det = tmp_path / "sim", tmp_path / "det"
    simulate("benchmark", scale=0.1, seed=3, out=sim)
    times = pq.read_table(sim / "requests", columns=["timestamp"]).column(0).to_pylist()
    until = sorted(times)[int(len(times) * 0.8)]
    run_detect([sim / "requests"], det, privacy=Privacy(hash_key=None, drop_text=True), until=until)
    doc = json.loads((det / "campaigns.json").read_text())
    for c in doc["campaigns"]:
        assert not any(e["excerpts"] for e in c["evidence"])
        assert not any("excerpt" in i for i in c["indicators"])
        assert not any(i["kind"] == "system_prompt" for i in c["indicators"])
    # With --until the run says how many exchanges were analysed, not how many rows were read.
    run, summary = doc["run"], json.loads((det / "summary.json").read_text())
    assert run["exchanges_analysed"] == sum(t < until for t in times) < summary["rows_read"]
    assert run["window"]["to"] < until.isoformat().replace("+00:00", "Z")


def test_unreadable_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"this is not parquet")
    proc = subprocess.run(
        [sys.executable, "-m", "distillguard", "detect", str(bad), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def test_hashed_json_lines_log_keeps_detection_and_leaks_no_raw_identifiers(
    tmp_path: Path,
) -> None:
    sim, det = tmp_path / "sim", tmp_path / "det"
    simulate("benchmark", scale=0.2, seed=5, out=sim, fmt="jsonl")
    log = sim / "requests.jsonl.gz"
    run_detect([log], det, privacy=Privacy(hash_key=b"test-key", drop_text=False))
    ev = evaluate(sim, det)
    assert ev.precision >= 0.95 and ev.recall >= 0.85
    raw = pq.read_table(sim / "request_labels.parquet").num_rows  # log was read in full
    assert json.loads((det / "summary.json").read_text())["rows_stored"] == raw
    with gzip.open(log, "rt") as fh:
        ips = {json.loads(line)["ip"] for line in list(fh)[:5000]} - {None}
    networks = {ip.rsplit(".", 1)[0] + ".0/24" for ip in ips}
    published = (det / "campaigns.json").read_text() + (det / "report.html").read_text()
    assert "ip_prefix" in published  # shared networks are reported...
    assert not any(v in published for v in ips | networks)  # ...but only as keyed hashes
