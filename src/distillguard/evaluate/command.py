"""``distillguard evaluate``: score detections against the simulator's ground truth.

Prints a readable table and the pass/fail verdict against the bar; ``--json FILE`` also writes
every figure as JSON. Exits 0 whether the bar is met or not (it reports), 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from distillguard.errors import ConfigError
from distillguard.evaluate.bar import Bar, check_bar
from distillguard.evaluate.metrics import evaluate
from distillguard.evaluate.replay import ReplayResult, replay
from distillguard.evaluate.text import format_evaluation

HELP = "score detections against simulator labels"

_BAR_HELP = {
    "min_precision": "account precision at least this",
    "min_recall": "account recall at least this",
    "min_exchange_recall": "exchange recall at least this",
    "max_persona_fpr": "false-positive rate of every legitimate persona at most this",
    "min_campaign_flagged": "share of each true campaign's accounts flagged at least this",
    "min_campaign_grouped": "share of each true campaign under one detected id at least this",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--truth", type=Path, required=True, metavar="SIMDIR", help="simulator output directory"
    )
    parser.add_argument(
        "--detections", type=Path, required=True, metavar="DIR", help="`detect --out` directory"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    parser.add_argument(
        "--replay",
        action="store_true",
        help="also measure time to detection by re-running the detector day by day (slow)",
    )
    parser.add_argument(
        "--replay-days", type=int, metavar="N", help="replay at most the first N days"
    )
    parser.add_argument(
        "--intel",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="replay with a partner's bundle (or a workspace's intel/ directory) as evidence, "
        "as `detect --intel` (repeatable)",
    )
    parser.add_argument(
        "--share-key",
        default=None,
        help="the sharing group's key for --intel (default: $DISTILLGUARD_SHARE_KEY)",
    )
    bar = parser.add_argument_group("bar (thresholds for the pass/fail check)")
    for f in fields(Bar):
        bar.add_argument(
            "--" + f.name.replace("_", "-"),
            type=float,
            default=f.default,
            metavar="X",
            help=f"{_BAR_HELP[f.name]} (default {f.default})",
        )


def run(args: argparse.Namespace) -> int:
    values = {f.name: getattr(args, f.name) for f in fields(Bar)}
    for name, v in values.items():
        if not 0.0 <= v <= 1.0:
            raise ConfigError(f"--{name.replace('_', '-')} must be in [0, 1], got {v}")
    if args.replay_days is not None and args.replay_days < 1:
        raise ConfigError(f"--replay-days must be at least 1, got {args.replay_days}")
    bar = Bar(**values)
    ev = evaluate(args.truth, args.detections)
    checks = check_bar(ev, bar)
    timing: ReplayResult | None = None
    if args.replay:
        detector = None
        if args.intel:
            from functools import partial

            from distillguard.pipeline import run_detect
            from distillguard.share.intel import IntelLinker, load_intel
            from distillguard.share.keys import resolve_share_key

            intel = IntelLinker(
                [i for p in args.intel for i in load_intel(p)], resolve_share_key(args.share_key)
            )
            detector = partial(run_detect, intel=intel, report=False)
        timing = replay(args.truth, detector=detector, max_days=args.replay_days)
    print(format_evaluation(ev, checks, timing))
    if args.json:
        doc: dict[str, Any] = {
            "truth": str(args.truth),
            "detections": str(args.detections),
            **ev.to_json(),
            "bar": values,
            "checks": [
                {
                    "name": c.name,
                    "value": c.value,
                    "op": c.op,
                    "threshold": c.threshold,
                    "passed": c.passed,
                }
                for c in checks
            ],
            "passed": all(c.passed for c in checks),
        }
        if timing is not None:
            doc["time_to_detection"] = timing.to_json()
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=2, default=str))
    return 0
