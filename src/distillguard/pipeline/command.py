"""``distillguard detect INPUT... --out DIR``: find campaigns and write the contract's files."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from distillguard.errors import ConfigError

HELP = "find distillation campaigns in request logs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", type=Path, help="log files or directories")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--format", dest="fmt", default=None, help="override format detection")
    parser.add_argument(
        "--until", default=None, help="ignore requests at or after this RFC 3339 instant"
    )
    parser.add_argument(
        "--hash-key",
        default=None,
        help="keyed-hash IPs, e-mail domains and payment fingerprints "
        "(default: $DISTILLGUARD_HASH_KEY)",
    )
    parser.add_argument("--config", type=Path, default=None, help="JSON file of DetectConfig")
    parser.add_argument(
        "--previous",
        type=Path,
        default=None,
        help="an earlier run's campaigns.json (or its --out directory): campaign ids carry over "
        "to the campaigns holding most of the same accounts",
    )
    parser.add_argument("--no-report", action="store_true", help="skip report.html")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="where the analytics run: embedded DuckDB (default) or Apache Spark (Parquet input)",
    )
    parser.add_argument(
        "--spark-master",
        default="local[2]",
        help="Spark master URL for --engine spark (default local[2]; under spark-submit the "
        "session it created is used)",
    )


def run(args: argparse.Namespace) -> int:
    from distillguard.engine import SparkSettings
    from distillguard.ingest import Privacy
    from distillguard.pipeline.config import DetectConfig, load_config, load_previous_campaigns
    from distillguard.pipeline.run import RunOptions, run_detect

    until = None
    if args.until:
        try:
            until = datetime.fromisoformat(args.until.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ConfigError(f"--until is not an RFC 3339 timestamp: {args.until!r}") from exc
    privacy = Privacy.from_key(args.hash_key)
    config = load_config(args.config) if args.config else DetectConfig()
    if args.previous is not None:
        config = replace(config, previous_campaigns=load_previous_campaigns(args.previous))
    options = RunOptions(
        until=until,
        quiet=args.quiet,
        fmt=args.fmt,
        privacy=privacy if privacy.active else None,
        report=not args.no_report,
        engine=args.engine,
        spark=SparkSettings(master=args.spark_master),
    )
    detections = run_detect(args.inputs, args.out, options, config=config)
    s = detections.summary
    print(
        json.dumps(
            {
                "rows_read": s.get("rows_read"),
                "rows_quarantined": s.get("rows_quarantined"),
                "accounts": s.get("accounts"),
                "flagged_accounts": s.get("flagged_accounts"),
                "campaigns": s.get("campaigns"),
                "out": str(args.out),
            }
        )
    )
    return 0
