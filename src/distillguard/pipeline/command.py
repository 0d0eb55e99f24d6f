"""``distillguard detect INPUT... --out DIR``: find campaigns and write the contract's files."""

from __future__ import annotations

import argparse
import contextlib
import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from distillguard.errors import ConfigError
from distillguard.resources import DEFAULT_SHARE, ENV, memory_guard

HELP = "find distillation campaigns in request logs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # The registries are the choices, so --help lists exactly what this build supports.
    from distillguard.engine import ENGINES
    from distillguard.ingest import ADAPTERS
    from distillguard.pipeline.progress import MODES

    parser.add_argument("inputs", nargs="+", type=Path, help="log files or directories")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=list(ADAPTERS),
        default=None,
        help="input format (default: detected per file from its extension and first record)",
    )
    parser.add_argument(
        "--until", default=None, help="ignore requests at or after this RFC 3339 instant"
    )
    parser.add_argument(
        "--hash-key",
        default=None,
        help="keyed-hash IPs, e-mail domains and payment fingerprints, in the analysis and in "
        "quarantine.jsonl (default: $DISTILLGUARD_HASH_KEY)",
    )
    parser.add_argument(
        "--drop-text",
        action="store_true",
        help="never keep prompt, response and system_prompt text: not analysed (text signals "
        "have no data) and not written to quarantine.jsonl, which then holds each bad row's "
        "line number, reason and non-text fields only",
    )
    parser.add_argument(
        "--memory-limit",
        default=None,
        help="memory for the whole run (the query engine's buffer pool gets half, the rest is "
        "left to the sample, edges and graph), a size (6GB, 512MiB) or a share of the machine "
        "(40%%); a limit that is set is enforced: a run whose processes go over it stops with "
        "one error line (exit 2); "
        f"default ${ENV} or {int(DEFAULT_SHARE * 100)}%% of the memory the host (or its "
        "container limit) has, never more than that",
    )
    parser.add_argument(
        "--intel",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a partner's STIX bundle, or a workspace's intel/ directory (repeatable): "
        "matching accounts get an intel.partner_indicator finding",
    )
    parser.add_argument(
        "--share-key",
        default=None,
        help="the sharing group's key for --intel (default: $DISTILLGUARD_SHARE_KEY)",
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
        "--progress",
        choices=MODES,
        default="auto",
        help="progress on stderr: a bar with ETA (bar), one line per stage (lines), or a bar "
        "only when stderr is a terminal (auto, the default)",
    )
    parser.add_argument(
        "--engine",
        choices=list(ENGINES),
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
    from distillguard.pipeline.progress import make_progress
    from distillguard.pipeline.run import RunOptions, run_detect

    until = None
    if args.until:
        try:
            until = datetime.fromisoformat(args.until.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ConfigError(f"--until is not an RFC 3339 timestamp: {args.until!r}") from exc
    privacy = Privacy.from_key(args.hash_key, drop_text=args.drop_text)
    config = load_config(args.config) if args.config else DetectConfig()
    if args.previous is not None:
        config = replace(config, previous_campaigns=load_previous_campaigns(args.previous))
    intel = None
    if args.intel:
        from distillguard.share.intel import IntelLinker, load_intel
        from distillguard.share.keys import resolve_share_key

        bundles = [i for path in args.intel for i in load_intel(path)]
        intel = IntelLinker(bundles, resolve_share_key(args.share_key), privacy.hash_key)
    with make_progress(quiet=args.quiet, mode=args.progress) as progress:
        options = RunOptions(
            until=until,
            quiet=args.quiet,
            fmt=args.fmt,
            privacy=privacy if privacy.active else None,
            report=not args.no_report,
            memory_limit=args.memory_limit,
            engine=args.engine,
            spark=SparkSettings(master=args.spark_master),
            progress=progress,
            intel=intel,
        )
        # A set --memory-limit holds for this whole process tree, engine and Python alike (the
        # command owns its process; a library caller's process may hold memory of its own).
        with memory_guard(args.memory_limit) or contextlib.nullcontext():
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
