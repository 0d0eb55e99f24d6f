"""``detect`` on logs as real gateways write them: LiteLLM and OpenTelemetry files (committed
fixtures from the real libraries), a placeholder master-key account, and metadata-only logs."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from distillguard.cli import main
from distillguard.evaluate import evaluate
from distillguard.simulate import simulate

FIX = Path(__file__).parents[1] / "ingest" / "fixtures"
TEXT_SIGNALS = {"elicitation", "capability", "language", "prompt_template", "system_prompt"}

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "files",
    [
        # the first account's org_id is null, later ones are set (used to break clustering)
        ("litellm_proxy.jsonl.gz", "litellm_team.jsonl.gz"),
        ("litellm_sdk.jsonl.gz",),
        ("otel_span.traces.jsonl",),
        ("otel_event.traces.jsonl", "otel_event.logs.jsonl"),
        ("otel_legacy.logs.jsonl", "otel_legacy.traces.jsonl"),
        ("otel_off.traces.jsonl",),
    ],
    ids=lambda f: f[0].split(".")[0],
)
def test_detect_runs_on_every_real_client_log(files: tuple[str, ...], tmp_path: Path) -> None:
    out = tmp_path / "det"
    assert main(["detect", *(str(FIX / f) for f in files), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rows_quarantined"] == 0 and summary["rows_stored"] > 0
    assert summary["warnings"] == []
    accounts = (out / "accounts.csv").read_text().splitlines()
    assert len(accounts) - 1 == summary["accounts"] >= 1
    if files == ("otel_off.traces.jsonl",):
        # content capture off: every text signal is named as having had no data
        assert set(summary["signals_without_data"]) >= TEXT_SIGNALS
        assert summary["field_coverage"]["prompt"] == 0.0
        assert "No data for these signals" in (out / "report.html").read_text()
    else:
        assert not TEXT_SIGNALS & set(summary["signals_without_data"])
        assert summary["field_coverage"]["prompt"] == 1.0


def test_master_key_placeholder_account_is_reported(tmp_path: Path) -> None:
    out = tmp_path / "det"
    files = [FIX / "litellm_master.jsonl.gz", FIX / "litellm_proxy.jsonl.gz"]
    assert main(["detect", *map(str, files), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    [warning] = summary["warnings"]
    assert warning["kind"] == "placeholder_account"
    assert warning["account_id"] == "default_user_id"
    assert warning["exchanges"] == 12 and warning["share"] == pytest.approx(12 / 30, abs=1e-3)
    assert "master key" in warning["message"]
    report = (out / "report.html").read_text()
    assert "Warnings about this run" in report and "default_user_id" in report


def test_metadata_only_log_still_finds_infrastructure_campaigns(tmp_path: Path) -> None:
    sim = tmp_path / "sim"
    simulate("benchmark", scale=0.15, seed=7, out=sim, obfuscation=True)
    bare = tmp_path / "bare.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * EXCLUDE (prompt, system_prompt, response) FROM "
        f"read_parquet('{sim}/requests/*.parquet')) TO '{bare}' (FORMAT parquet)"
    )
    out = tmp_path / "det"
    assert main(["detect", str(bare), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rows_quarantined"] == 0  # no text is never a reason to quarantine
    assert set(summary["signals_without_data"]) >= TEXT_SIGNALS
    assert "network" not in summary["signals_without_data"]
    ev = evaluate(sim, out)
    assert ev.precision >= 0.99  # no legitimate account flagged on infrastructure alone
    # 0.35 before network links were weighted by specificity; on this 616-account log a /24
    # shared by a few accounts weighs less than on a full-size one (1 - log(1+k)/log(1+N)), so
    # hydra-proxy-mix keeps 16 of 22 accounts. On the full benchmark log (4,108 accounts) the
    # metadata-only recall is unchanged by it (0.454 -> 0.452, seed 0).
    assert summary["campaigns"] >= 1 and ev.recall > 0.25
