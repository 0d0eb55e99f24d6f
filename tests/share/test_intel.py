"""A partner's bundle as evidence: which of our accounts match, and what the finding says."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import ibis
import polars as pl
import pytest

from distillguard.campaigns.model import Campaign
from distillguard.cli import main
from distillguard.linkage.base import LinkContext
from distillguard.share import ExportOptions, Rekeyer, export_bundle, group_hash, read_detections
from distillguard.share.intel import IntelLinker, import_bundle, load_intel
from tests.share.conftest import RAW_SECRETS, v2_campaign, write_v2

CARD = RAW_SECRETS["payment_fingerprint"]
PREFIX = RAW_SECRETS["ip_prefix"]
UA = RAW_SECRETS["user_agent"]


def _bundle(tmp_path: Path, key: bytes = b"group") -> Path:
    run = read_detections(write_v2(tmp_path / "det", [v2_campaign()]))
    res = export_bundle(run, run.campaigns, ExportOptions(Rekeyer(key), identity="Provider A"))
    path = tmp_path / "provider-a.json"
    path.write_text(res.bundle.serialize())
    return path


def _context(stored: dict[str, list[str | None]] | None = None) -> LinkContext:
    """Our traffic: op1..op3 use the partner's card or proxy prefix, ben1 only its client build,
    ben2 nothing the partner shared."""
    rows = {
        "account_id": ["op1", "op1", "op2", "op2", "op3", "ben1", "ben1", "ben2"],
        "payment_fingerprint": [CARD, CARD, CARD, CARD, "pm_other", "pm_b1", "pm_b1", "pm_b2"],
        "ip_prefix": ["10.0.0.0/24", "10.0.0.0/24", PREFIX, PREFIX, PREFIX, "10.9.0.0/24",
                      "10.9.0.0/24", "10.8.0.0/24"],
        "user_agent": ["x", "x", "x", "x", "x", UA, UA, "y"],
        "asn": [1, 1, 1, 1, 1, 2, 2, 3],
    }  # fmt: skip
    rows.update(stored or {})
    accounts = pl.DataFrame({"account_id": ["ben1", "ben2", "op1", "op2", "op3"]}).with_row_index(
        "idx"
    )
    sample = pl.DataFrame(schema={"idx": pl.Int64, "skeleton": pl.UInt64})
    return LinkContext(
        requests=ibis.memtable(rows),
        accounts=accounts.with_columns(pl.col("idx").cast(pl.Int64)),
        sample=sample,
    )


def test_accounts_using_the_partners_card_or_proxy_match(tmp_path: Path) -> None:
    linker = IntelLinker(load_intel(_bundle(tmp_path)), share_key=b"group")
    m = linker.match(_context())
    assert sorted(m.accounts["account_id"].to_list()) == ["op1", "op2", "op3"]
    # A client build alone (ben1's user agent) is not the operator's own: no match.
    assert "ben1" not in m.accounts["account_id"].to_list()
    assert m.edges["family"].unique().to_list() == ["intel"] and m.edges.height == 3
    assert m.summary()["accounts_matched"] == 3


def test_a_different_group_key_matches_nothing(tmp_path: Path) -> None:
    linker = IntelLinker(load_intel(_bundle(tmp_path)), share_key=b"another group")
    assert linker.match(_context()).accounts.is_empty()


def test_stored_hashes_match_only_under_the_group_key(tmp_path: Path) -> None:
    intel = load_intel(_bundle(tmp_path))

    def hashed(key: bytes) -> dict[str, list[str | None]]:
        ctx = _context()
        frame = ctx.requests.to_pyarrow()
        return {
            c: [group_hash(key, v) for v in frame[c].to_pylist()]
            for c in ("payment_fingerprint", "ip_prefix")
        }

    same = IntelLinker(intel, b"group", ingest_key=b"group").match(_context(hashed(b"group")))
    assert same.accounts["account_id"].n_unique() == 3
    other = IntelLinker(intel, b"group", ingest_key=b"own").match(_context(hashed(b"own")))
    assert other.accounts.is_empty()
    assert {"payment_fingerprint", "ip_prefix"} <= set(other.unmatchable)


def test_campaigns_holding_matched_accounts_get_a_finding_naming_partner_and_bundle(
    tmp_path: Path,
) -> None:
    path = _bundle(tmp_path)
    (intel,) = load_intel(path)
    m = IntelLinker([intel], b"group").match(_context())
    ts = datetime(2026, 3, 2, tzinfo=UTC)
    camp = Campaign("C1", 0.7, ["op1", "op2", "ben2"], 10, ts, ts, {}, [], [])
    other = Campaign("C2", 0.7, ["ben1", "ben2"], 10, ts, ts, {}, [], [])
    m.annotate([camp, other])
    (f,) = camp.evidence
    assert f.signal == "intel.partner_indicator"
    assert f.details["partner"] == "Provider A" and f.details["bundle"] == intel.bundle_id
    assert f.details["bundle_file"] == path.name
    assert "Provider A" in f.description and "2 of 3 accounts" in f.description
    assert set(f.account_ids) == {"op1", "op2"}
    assert other.evidence == []
    assert f.to_json()["signal"] == "intel.partner_indicator"


def test_import_stores_the_bundle_in_the_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _bundle(tmp_path)
    assert main(["share", "import", str(path), "--workspace", str(tmp_path / "ws")]) == 0
    stored = list((tmp_path / "ws" / "intel").glob("*.json"))
    assert len(stored) == 1 and stored[0].name.startswith("provider-a-")
    (intel,) = load_intel(tmp_path / "ws" / "intel")
    assert intel == load_intel(path)[0]
    # Nothing raw was in the bundle, so nothing raw is in the workspace either.
    assert CARD not in stored[0].read_text() and PREFIX not in stored[0].read_text()
    out, again = import_bundle(path, tmp_path / "ws")
    assert out == stored[0] and again == intel  # importing twice overwrites, never duplicates


def test_not_a_bundle_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"type": "indicator"}')
    assert main(["share", "import", str(bad), "--workspace", str(tmp_path / "ws")]) == 2
    assert "not a STIX 2.1 bundle" in capsys.readouterr().err
