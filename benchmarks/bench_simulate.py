"""Simulator throughput and memory: rows/s for the benchmark preset, and peak RSS of a large run
measured in a child process. Prints figures; asserts nothing.

    PYTHONPATH=src python benchmarks/bench_simulate.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def _bench_rows() -> int:
    """The benchmark preset's size at ``--scale 1``, from the preset itself."""
    from distillguard.simulate.presets import PRESETS

    return sum(max(c.exchanges, c.accounts) for c in PRESETS["benchmark"].cohorts(1.0))


BENCH_ROWS_AT_SCALE_1 = _bench_rows()

CHILD = """
import json, resource, sys, time
from pathlib import Path
from distillguard.simulate import simulate
t = time.perf_counter()
m = simulate("benchmark", scale=float(sys.argv[1]), seed=1, out=Path(sys.argv[2]))
dt = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rows": m.rows, "seconds": dt, "peak_rss_mib": rss}))
"""


def run(scale: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sim"
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(scale), str(out)],
            check=True,
            capture_output=True,
            text=True,
        )
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["disk_mib"] = size / 2**20
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=10_000_000, help="rows for the memory run")
    args = ap.parse_args()
    for label, scale in (
        ("benchmark preset", 1.0),
        (f"{args.rows:,} rows", args.rows / BENCH_ROWS_AT_SCALE_1),
    ):
        r = run(scale)
        print(
            f"{label:>20}: {r['rows']:>11,.0f} rows in {r['seconds']:7.1f} s = "
            f"{r['rows'] / r['seconds']:>9,.0f} rows/s, peak RSS {r['peak_rss_mib']:,.0f} MiB, "
            f"{r['disk_mib']:,.0f} MiB on disk"
        )


if __name__ == "__main__":
    main()
