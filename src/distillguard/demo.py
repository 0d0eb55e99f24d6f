"""``distillguard demo``: simulate traffic with campaigns, detect them, report and score.

The README's main command. Runs entirely on the embedded engine.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HELP = "simulate -> detect -> report, end to end"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from distillguard.simulate.presets import PRESETS

    parser.add_argument("--out", type=Path, default=Path("out/demo"), help="output directory")
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="benchmark",
        help="simulator preset (default: benchmark)",
    )
    parser.add_argument("--scale", type=float, default=0.5, help="preset scale (default: 0.5)")
    parser.add_argument("--seed", type=int, default=7)


def run(args: argparse.Namespace) -> int:
    from distillguard.evaluate import check_bar, evaluate
    from distillguard.evaluate.text import format_evaluation
    from distillguard.pipeline.progress import make_progress
    from distillguard.pipeline.run import run_detect
    from distillguard.simulate import simulate

    sim_dir = args.out / "traffic"
    det_dir = args.out / "detections"
    print(f"1/3 simulating preset {args.preset!r} (seed {args.seed}) -> {sim_dir}", flush=True)
    simulate(args.preset, scale=args.scale, seed=args.seed, out=sim_dir)
    print(f"2/3 detecting -> {det_dir}", flush=True)
    with make_progress(quiet=False) as progress:
        run_detect([sim_dir / "requests"], det_dir, progress=progress)
    print("3/3 scoring against the simulator's labels", flush=True)
    result = evaluate(sim_dir, det_dir)
    print(format_evaluation(result, check_bar(result)))
    (args.out / "evaluation.json").write_text(json.dumps(result.to_json(), indent=2, default=str))
    print(f"\nreport: {det_dir / 'report.html'}", file=sys.stderr)
    return 0
