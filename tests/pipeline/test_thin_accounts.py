"""An account with a single request in the window is not flagged, however strongly its one
request links it to a campaign: one observation is not a harvest (``min_requests``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from distillguard.pipeline import run_detect
from distillguard.pipeline.config import DetectConfig
from distillguard.simulate import simulate

THIN = [f"thin-{k}" for k in range(4)]


def _flagged(out: Path) -> set[str]:
    with (out / "accounts.csv").open(newline="") as f:
        return {r["account_id"] for r in csv.DictReader(f) if r["flagged"] == "true"}


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    """A demo log, plus four new accounts that each send one request copied from a member of
    its largest campaign (same network, client, payment, wrapper and system prompt)."""
    root = tmp_path_factory.mktemp("thin")
    sim = root / "sim"
    simulate("demo", scale=1.0, seed=4, out=sim)
    base = root / "base"
    run_detect([sim / "requests"], base, quiet=True)
    doc = json.loads((base / "campaigns.json").read_text())
    largest = max(doc["campaigns"], key=lambda c: c["account_count"])
    table = pq.read_table(sim / "requests")
    rows = table.filter(pc.is_in(table["account_id"], pa.array(largest["accounts"][:4])))
    picked = [
        rows.filter(pc.equal(rows["account_id"], a)).slice(0, 1) for a in largest["accounts"][:4]
    ]
    thin = pa.concat_tables(picked)
    thin = thin.set_column(
        thin.schema.get_field_index("account_id"), "account_id", pa.array(THIN, pa.string())
    )
    ids = pa.array([f"thin-req-{k}" for k in range(len(THIN))], pa.string())
    thin = thin.set_column(thin.schema.get_field_index("request_id"), "request_id", ids)
    extra = root / "thin.parquet"
    pq.write_table(thin, extra)
    return [sim / "requests", extra], root


def test_single_request_accounts_linked_to_a_campaign_are_not_flagged(
    logs: tuple[list[Path], Path],
) -> None:
    inputs, root = logs
    # Counting every account, the copies join the campaign they copy...
    run_detect(inputs, root / "all", quiet=True, config=DetectConfig(min_requests=1))
    assert set(THIN) & _flagged(root / "all")
    # ...by default they do not, and the campaigns are found as before.
    run_detect(inputs, root / "default", quiet=True)
    flagged = _flagged(root / "default")
    assert not set(THIN) & flagged
    assert _flagged(root / "all") - set(THIN) == flagged
