"""``distillguard share {export,import,push,pull}``: STIX 2.1 threat intel between providers."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from distillguard.errors import ConfigError, InputError

HELP = "share campaigns as STIX 2.1 threat intel (TAXII)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    ex = sub.add_parser("export", help="campaigns.json -> STIX 2.1 bundle")
    ex.add_argument(
        "--detections", type=Path, required=True, metavar="DIR", help="a `detect --out` directory"
    )
    which = ex.add_mutually_exclusive_group(required=True)
    which.add_argument("--campaign", metavar="ID", help="export this campaign")
    which.add_argument("--all", action="store_true", help="export every campaign")
    ex.add_argument("--out", type=Path, required=True, help="bundle file to write")
    ex.add_argument(
        "--tlp",
        default="amber",
        choices=("clear", "green", "amber", "amber+strict", "red"),
        help="TLP 2.0 marking of every object (default amber)",
    )
    ex.add_argument("--identity", default="distillguard", help="the reporting organisation")
    ex.add_argument(
        "--share-key",
        default=None,
        help="the sharing group's key (default: $DISTILLGUARD_SHARE_KEY)",
    )
    ex.add_argument(
        "--ingest-key",
        default=None,
        help="the --hash-key detect ran with, if any (its values are ingest-keyed)",
    )
    ex.add_argument(
        "--raw-log",
        type=Path,
        action="append",
        default=[],
        metavar="LOG",
        help="raw request log(s) to recover raw values of ingest-keyed indicators",
    )
    ex.add_argument(
        "--allow-raw",
        action="store_true",
        help="export raw values (IP prefixes, e-mail domains...) — only for a group "
        "that agreed to share them; account ids and prompts never leave",
    )
    im = sub.add_parser("import", help="store a partner's bundle in a workspace")
    im.add_argument("bundle", type=Path)
    im.add_argument("--workspace", type=Path, required=True, metavar="DIR")
    for name, text in (
        ("push", "add a bundle to a TAXII 2.1 collection"),
        ("pull", "fetch a TAXII 2.1 collection as a bundle"),
    ):
        p = sub.add_parser(name, help=text)
        if name == "push":
            p.add_argument("bundle", type=Path)
            p.add_argument(
                "--with-extension-definition",
                action="store_true",
                help="also push the project's extension-definition (breaks medallion 3.0)",
            )
        else:
            p.add_argument("--out", type=Path, required=True, help="bundle file to write")
            p.add_argument("--added-after", default=None, help="only objects added after this")
            p.add_argument(
                "--workspace",
                type=Path,
                default=None,
                help="also import the pulled bundle into this workspace",
            )
        p.add_argument("--url", required=True, help="the collection's URL")
        p.add_argument("--user", default=None, help="default: $DISTILLGUARD_TAXII_USER")
        p.add_argument("--password", default=None, help="default: $DISTILLGUARD_TAXII_PASSWORD")


def _raw_values(logs: list[Path]) -> list[str]:
    """Distinct raw values of the fields ingest hashes, from raw logs (for re-keying)."""
    from distillguard.engine import EngineSettings, make_engine
    from distillguard.engine.tables import conform
    from distillguard.share.keys import INGEST_HASHED_KINDS

    out: list[str] = []
    with tempfile.TemporaryDirectory(prefix="distillguard-rekey-") as tmp:
        settings = EngineSettings(workdir=Path(tmp), quarantine_path=Path(tmp) / "q.jsonl")
        with make_engine("duckdb", settings) as eng:
            t = conform(eng.open(logs))
            for kind in sorted(INGEST_HASHED_KINDS):
                if kind in t.columns:
                    col = t.select(v=t[kind].cast("string")).filter(t[kind].notnull()).distinct()
                    out += [str(v) for v in col.to_pyarrow()["v"].to_pylist()]
    return out


def _export(args: argparse.Namespace) -> int:
    from distillguard.share.detections import read_detections
    from distillguard.share.export import ExportOptions, export_bundle
    from distillguard.share.keys import Rekeyer, raw_lookup, resolve_share_key

    share_key = resolve_share_key(args.share_key)
    ingest_key = args.ingest_key.encode() if args.ingest_key else None
    run = read_detections(args.detections)
    chosen = run.select(None if args.all else args.campaign)
    raw = None
    if args.raw_log:
        if ingest_key is None:
            raise ConfigError("--raw-log is only needed with --ingest-key")
        stored = [i.value for c in chosen for i in c.indicators]
        raw = raw_lookup(stored, _raw_values(args.raw_log), ingest_key)
    rekeyer = Rekeyer(share_key, ingest_key, raw=raw, allow_raw=args.allow_raw)
    result = export_bundle(
        run, chosen, ExportOptions(rekeyer=rekeyer, identity=args.identity, tlp=args.tlp)
    )
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(result.bundle.serialize(pretty=True))
    except OSError as exc:
        raise InputError(f"cannot write the bundle: {exc.strerror}", source=str(args.out)) from exc
    if result.withheld_no_group_form:
        print(
            "distillguard share export: warning: withheld (ingest-keyed, no raw value; see "
            f"--raw-log): {dict(result.withheld_no_group_form)}",
            file=sys.stderr,
        )
    print(json.dumps({
        "out": str(args.out), "campaigns": result.campaigns, "indicators": result.indicators,
        "withheld_not_blockable": sum(result.withheld_not_blockable.values()),
        "withheld_no_group_form": sum(result.withheld_no_group_form.values()),
    }))  # fmt: skip
    return 0


def _credentials(args: argparse.Namespace) -> tuple[str | None, str | None]:
    user = args.user or os.environ.get("DISTILLGUARD_TAXII_USER")
    password = args.password or os.environ.get("DISTILLGUARD_TAXII_PASSWORD")
    return user, password


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", source=str(path)) from exc


def run(args: argparse.Namespace) -> int:
    if args.action == "export":
        return _export(args)
    if args.action == "import":
        from distillguard.share.intel import import_bundle

        path, intel = import_bundle(args.bundle, args.workspace)
        print(json.dumps({"stored": str(path), "partner": intel.partner,
                          "campaigns": len(intel.campaigns),
                          "indicators": len(intel.indicators)}))  # fmt: skip
        return 0
    from distillguard.share import taxii

    user, password = _credentials(args)
    if args.action == "push":
        skip = () if args.with_extension_definition else taxii.SKIPPED_BY_DEFAULT
        status = taxii.push(
            _read_json(args.bundle), args.url, user=user, password=password, skip_types=skip
        )
        print(json.dumps({"status": status.status, "added": status.success_count}))
        return 0
    bundle = taxii.pull(args.url, user=user, password=password, added_after=args.added_after)
    try:
        args.out.write_text(json.dumps(bundle, indent=2))
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", source=str(args.out)) from exc
    summary: dict[str, Any] = {"out": str(args.out), "objects": len(bundle["objects"])}
    if args.workspace is not None:
        from distillguard.share.intel import import_bundle

        summary["stored"] = str(import_bundle(args.out, args.workspace)[0])
    print(json.dumps(summary))
    return 0
