"""share export: a valid STIX 2.1 bundle, only blockable indicators, nothing raw leaves."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from stix2validator import ValidationOptions, validate_string

from distillguard.cli import main
from distillguard.errors import ConfigError
from distillguard.share import ExportOptions, Rekeyer, export_bundle, group_hash, read_detections
from distillguard.share.keys import raw_lookup
from distillguard.share.tlp import TLP2_IDS
from tests.share.conftest import RAW_SECRETS, v2_campaign, write_v2

# uuid5 ids (deterministic, so re-exports update) and ATLAS URLs without hashes are SHOULDs
# we deviate from on purpose; anything else the validator says is a failure.
ACCEPTED_WARNINGS = "103,302"


def assert_valid_stix(text: str) -> None:
    opts = ValidationOptions(version="2.1", enforce_refs=True, disabled=ACCEPTED_WARNINGS)
    result = validate_string(text, opts)
    problems = [str(e) for e in result.errors] + [str(w) for w in result.warnings]
    assert result.is_valid and not problems, problems


def objects(bundle_text: str, kind: str) -> list[dict]:
    return [o for o in json.loads(bundle_text)["objects"] if o["type"] == kind]


def export_cli(det: Path, out: Path, *extra: str) -> str:
    code = main(["share", "export", "--detections", str(det), "--out", str(out), *extra])
    assert code == 0
    return out.read_text()


def test_export_is_valid_stix_with_every_object_kind(detections_v2: Path, tmp_path: Path) -> None:
    text = export_cli(
        detections_v2, tmp_path / "b.json", "--all", "--share-key", "group-k", "--identity", "A"
    )
    assert_valid_stix(text)
    kinds = {o["type"] for o in json.loads(text)["objects"]}
    assert {
        "identity",
        "campaign",
        "infrastructure",
        "indicator",
        "attack-pattern",
        "relationship",
        "note",
        "marking-definition",
        "extension-definition",
    } <= kinds
    atlas = {
        r["external_id"]
        for o in objects(text, "attack-pattern")
        for r in o["external_references"]
        if r["source_name"] == "mitre-atlas"
    }
    assert atlas == {"AML.T0024.002", "AML.T0005.001", "AML.T0008.005", "AML.T0021"}
    for c in objects(text, "campaign"):
        assert {"source_name": "mitre-atlas", "external_id": "AML.CS0056"}.items() <= (
            c["external_references"][0].items()
        )


def test_only_blockable_indicators_are_exported_and_the_rest_is_context(
    detections_v2: Path, tmp_path: Path
) -> None:
    text = export_cli(
        detections_v2, tmp_path / "b.json", "--campaign", "camp-7f3a", "--share-key", "k"
    )
    values = {
        o["extensions"][next(iter(o["extensions"]))]["value"] for o in objects(text, "indicator")
    }
    assert group_hash(b"k", "198.51.100.0/24") not in values  # not blockable: 40 accounts
    assert group_hash(b"k", RAW_SECRETS["ip_prefix"]) in values
    assert len(objects(text, "indicator")) == 6  # the ASN is context only: too coarse
    assert "autonomous-system" not in text
    (note,) = objects(text, "note")
    assert "Withheld as not blockable" in note["content"] and "ip_prefix 1" in note["content"]
    assert "asn 1" in note["content"]
    assert len(objects(text, "campaign")) == 1


def test_no_raw_customer_data_leaves_without_allow_raw(detections_v2: Path, tmp_path: Path) -> None:
    text = export_cli(detections_v2, tmp_path / "b.json", "--all", "--share-key", "k")
    for name, secret in RAW_SECRETS.items():
        assert secret not in text, f"raw {name} leaked into the bundle"
    assert "acct_secret" not in text and "req_1" not in text


def test_allow_raw_is_explicit(detections_v2: Path, tmp_path: Path) -> None:
    text = export_cli(detections_v2, tmp_path / "b.json", "--all", "--allow-raw")
    assert_valid_stix(text)
    assert "[ipv4-addr:value ISSUBSET '203.0.113.0/24']" in text
    assert "acct_secret" not in text  # account ids never leave, even raw


def test_export_needs_a_group_key_or_allow_raw(
    detections_v2: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("DISTILLGUARD_SHARE_KEY", raising=False)
    code = main(
        [
            "share",
            "export",
            "--detections",
            str(detections_v2),
            "--all",
            "--out",
            str(tmp_path / "b.json"),
        ]
    )
    assert code == 2 and "share-key" in capsys.readouterr().err
    with pytest.raises(ConfigError):
        Rekeyer(None)


def test_reexport_updates_the_same_objects(detections_v2: Path) -> None:
    run = read_detections(detections_v2)
    first = export_bundle(
        run,
        run.campaigns,
        ExportOptions(Rekeyer(b"k"), identity="A", now=datetime(2026, 3, 9, tzinfo=UTC)),
    )
    later = export_bundle(
        run,
        run.campaigns,
        ExportOptions(Rekeyer(b"k"), identity="A", now=datetime(2026, 3, 12, tzinfo=UTC)),
    )
    ids = lambda b: {o.id for o in b.bundle.objects}  # noqa: E731
    assert ids(first) == ids(later)
    other = export_bundle(run, run.campaigns, ExportOptions(Rekeyer(b"k"), identity="B"))
    camp = lambda b: {o.id for o in b.bundle.objects if o.type == "campaign"}  # noqa: E731
    assert camp(first).isdisjoint(camp(other))  # another reporter's namespace


@pytest.mark.parametrize("level", sorted(TLP2_IDS))
def test_tlp_2_marking_on_every_object(detections_v2: Path, tmp_path: Path, level: str) -> None:
    text = export_cli(
        detections_v2, tmp_path / "b.json", "--all", "--share-key", "k", "--tlp", level
    )
    assert_valid_stix(text)
    (marking,) = [m for m in objects(text, "marking-definition")]
    assert marking["id"] == TLP2_IDS[level] and marking["name"] == f"TLP:{level.upper()}"
    for o in json.loads(text)["objects"]:
        if o["type"] not in ("marking-definition", "extension-definition") and o["id"] != (
            "identity--4d3b4b6e-2f0a-4c51-9a43-0b6f3f7c2d11"
        ):
            assert o["object_marking_refs"] == [TLP2_IDS[level]], o["id"]


def test_ingest_hashed_values_are_rekeyed_only_when_the_raw_value_is_known(tmp_path: Path) -> None:
    ingest = b"provider-own-key"
    hashed = group_hash(ingest, RAW_SECRETS["ip_prefix"])
    camp = v2_campaign(
        indicators=[
            {
                "kind": "ip_prefix",
                "value": hashed,
                "accounts_in_campaign": 3,
                "accounts_in_log": 3,
                "blockable": True,
            },
            {
                "kind": "payment_fingerprint",
                "value": group_hash(ingest, "pm_x"),
                "accounts_in_campaign": 3,
                "accounts_in_log": 3,
                "blockable": True,
            },
        ]
    )
    run = read_detections(write_v2(tmp_path / "d", [camp]))
    lookup = raw_lookup([hashed], [RAW_SECRETS["ip_prefix"], "192.0.2.0/24"], ingest)
    res = export_bundle(run, run.campaigns, ExportOptions(Rekeyer(b"g", ingest, raw=lookup)))
    text = res.bundle.serialize()
    assert group_hash(b"g", RAW_SECRETS["ip_prefix"]) in text  # re-keyed via the raw log
    assert hashed not in text  # the ingest-keyed form never leaves
    assert res.withheld_no_group_form == {"payment_fingerprint": 1}
    same = export_bundle(run, run.campaigns, ExportOptions(Rekeyer(ingest, ingest)))
    assert same.indicators == 2  # ingest key == group key: already in group form
