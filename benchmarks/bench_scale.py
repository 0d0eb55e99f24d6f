"""End-to-end scale: ``distillguard detect`` on 1 M, 3 M and 10 M simulated exchanges.

    PYTHONPATH=src python benchmarks/bench_scale.py [--sizes 1e6,3e6,1e7] [--engine duckdb]
        [--dir out/bench] [--preset benchmark]

For each size the simulator writes Parquet once into ``--dir/<preset>-<size>/`` (reused on later
runs). Then, each in its own child process (peak RSS from ``os.wait4``):

* **floor**: one DuckDB pass that touches every prompt once,
  ``SELECT count(*), sum(hash(lower(prompt))) FROM read_parquet(...)``;
* **detect**: ``distillguard detect DIR --out ... --no-report --quiet --engine E``; ingest rows/s
  and the detection stages come from its ``summary.json``.

JSON Lines mode (``--format jsonl.gz [--log DIR ...]``): the floor is DuckDB's ``read_json`` over
the same ``.jsonl.gz`` files, and detect's peak RSS is the whole process tree's, sampled every
second; printed per log: floor, ingest, detect, detect ÷ floor, ingest ÷ floor, peak RSS and the
load average.

Printed per size: ingest rows/s, detect wall time (end to end, Parquet in, files out) and rows/s,
peak RSS, detect ÷ floor, CPU seconds (user + system: less sensitive than wall time to other
load on the machine) of detect and of the floor; then how 1 M -> largest scales against linear.
Targets (2-core machine): 10 M in <= 5 min, peak RSS <= 6 GiB, detect ÷ floor <= 10, within
1.3x of linear. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCHMARK_ROWS_AT_SCALE_1 = 525_000  # `--preset benchmark --scale 1`
GIB = 1024**3


@dataclass
class Child:
    """One child process: wall seconds, peak resident set (bytes), exit code, CPU seconds."""

    seconds: float
    peak_rss: int
    returncode: int
    cpu: float = 0.0


def run_child(cmd: list[str], env: dict[str, str] | None = None) -> Child:
    """Run ``cmd``; peak RSS is the child's own ``ru_maxrss`` (largest process of the tree
    that it waited for; Spark's JVM is a grandchild and is reported separately by the OS)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return Child(seconds, usage.ru_maxrss * 1024, proc.returncode, cpu)


def generate(preset: str, rows: int, root: Path) -> Path:
    """Simulated log of about ``rows`` exchanges (cached)."""
    out = root / f"{preset}-{rows:.0e}".replace("+0", "").replace("+", "")
    if (out / "manifest.json").exists():
        return out
    scale = rows / BENCHMARK_ROWS_AT_SCALE_1
    cmd = [sys.executable, "-m", "distillguard", "simulate", "--preset", preset]
    cmd += ["--scale", f"{scale:.4f}", "--seed", "0", "--out", str(out)]
    print(f"generating {rows:,} rows into {out} ...", flush=True)
    child = run_child(cmd)
    if child.returncode != 0:
        raise SystemExit(f"simulator failed ({child.returncode})")
    print(f"  generated in {child.seconds:.0f}s", flush=True)
    return out


FLOOR = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET memory_limit = '4GB'")
print(con.execute(
    "SELECT count(*), sum(hash(lower(prompt))) FROM read_parquet(?)", [sys.argv[1]]
).fetchall())
"""


def measure(log: Path, engine: str, scratch: Path) -> dict[str, float]:
    glob = str(log / "requests" / "*.parquet")
    floor = run_child([sys.executable, "-c", FLOOR, glob])
    out = scratch / f"detect-{log.name}-{engine}"
    cmd = [sys.executable, "-m", "distillguard", "detect", str(log / "requests")]
    cmd += ["--out", str(out), "--no-report", "--quiet", "--engine", engine]
    det = run_child(cmd)
    if det.returncode != 0 or floor.returncode != 0:
        raise SystemExit(f"{log}: detect exit {det.returncode}, floor exit {floor.returncode}")
    summary = json.loads((out / "summary.json").read_text())
    rows = int(summary["rows_read"])
    timings = summary["timings"]
    ingest = float(timings["ingest"])
    return {
        "rows": rows,
        "ingest_rows_s": rows / ingest if ingest else float("nan"),
        "wall": det.seconds,
        "detect_stages": sum(float(v) for k, v in timings.items() if k not in ("ingest", "total")),
        "rows_s": rows / det.seconds,
        "rss": det.peak_rss,
        "cpu": det.cpu,
        "floor_cpu": floor.cpu,
        "floor": floor.seconds,
        "ratio": det.seconds / floor.seconds,
        "flagged": summary.get("flagged_accounts", 0),
        "campaigns": summary.get("campaigns", 0),
        **{f"t_{k}": float(v) for k, v in timings.items()},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="1e6,3e6,1e7", help="comma-separated exchange counts")
    ap.add_argument("--engine", default="duckdb", choices=("duckdb", "spark"))
    ap.add_argument("--preset", default="benchmark")
    ap.add_argument("--dir", type=Path, default=Path("out/bench"))
    # JSON Lines mode (issue 11): see main_jsonl.
    ap.add_argument("--format", default="parquet", choices=("parquet", "jsonl.gz"))
    ap.add_argument("--log", action="append", help="jsonl.gz mode: an existing log directory")
    args = ap.parse_args(argv)
    if args.format == "jsonl.gz":
        args.dir.mkdir(parents=True, exist_ok=True)
        return main_jsonl(args)
    sizes = [int(float(s)) for s in args.sizes.split(",") if s.strip()]
    args.dir.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, float]] = []
    for size in sizes:
        log = generate(args.preset, size, args.dir)
        r = measure(log, args.engine, args.dir)
        results.append(r)
        print(
            f"  {int(r['rows']):,} rows: detect {r['wall']:.1f}s, "
            f"peak RSS {r['rss'] / GIB:.2f} GiB, "
            f"floor {r['floor']:.1f}s, ÷ floor {r['ratio']:.1f}, CPU {r['cpu']:.0f}s "
            f"(floor CPU {r['floor_cpu']:.1f}s)",
            flush=True,
        )
        stages = {k[2:]: round(v, 1) for k, v in r.items() if k.startswith("t_")}
        print(f"  {int(r['rows']):,} rows: stages {json.dumps(stages)}", flush=True)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"  load average after the run (1, 5, 15 min): {load}", flush=True)

    print(f"\nengine={args.engine} preset={args.preset} cpus={os.cpu_count()}")
    head = (
        f"{'rows':>11} {'ingest r/s':>11} {'detect s':>9} {'detect r/s':>11} "
        f"{'peak RSS':>9} {'floor s':>8} {'÷ floor':>8} {'flagged':>8} {'camp.':>6} "
        f"{'CPU s':>7} {'floor CPU':>9}"
    )
    print(head)
    for r in results:
        print(
            f"{int(r['rows']):>11,} {r['ingest_rows_s']:>11,.0f} {r['wall']:>9.1f} "
            f"{r['rows_s']:>11,.0f} {r['rss'] / GIB:>8.2f}G {r['floor']:>8.1f} "
            f"{r['ratio']:>8.1f} {int(r['flagged']):>8} {int(r['campaigns']):>6} "
            f"{r['cpu']:>7.0f} {r['floor_cpu']:>9.1f}"
        )
    if len(results) > 1:
        a, b = results[0], results[-1]
        growth = (b["wall"] / a["wall"]) / (b["rows"] / a["rows"])
        print(
            f"\n{int(a['rows']):,} -> {int(b['rows']):,}: {growth:.2f}x of linear (target <= 1.3)"
        )
    big = [r for r in results if r["rows"] >= 9_000_000]
    for r in big:
        print(f"10 M target: {r['wall']:.0f}s (<= 300), RSS {r['rss'] / GIB:.2f} GiB (<= 6)")
    return 0


# --- JSON Lines mode (issue 11): ``--format jsonl.gz`` ------------------------------------------
# Kept apart from the Parquet sizes above so the two modes can evolve separately.

FLOOR_JSONL = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET memory_limit = '4GB'")
print(con.execute(
    "SELECT count(*), sum(hash(lower(prompt))) FROM read_json(?)", [sys.argv[1:]]
).fetchall())
"""


def _jsonl_tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and its descendants (``VmRSS`` from /proc; 0 without /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def _jsonl_run(cmd: list[str]) -> tuple[float, int, int]:
    """(wall seconds, peak RSS of the process tree sampled every second, exit code)."""
    import threading

    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(1.0):
            peak[0] = max(peak[0], _jsonl_tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    done.set()
    sampler.join()
    return time.perf_counter() - started, peak[0], code


def jsonl_files(log: Path) -> list[Path]:
    """The ``.jsonl.gz`` files of a log directory (the simulator writes ``requests.jsonl.gz``)."""
    files = sorted(log.glob("**/*.jsonl.gz"))
    if not files:
        raise SystemExit(f"{log}: no .jsonl.gz file")
    return files


def measure_jsonl(log: Path, scratch: Path) -> dict[str, float]:
    """Floor (DuckDB ``read_json`` hashing every prompt), then ``detect`` on the same files."""
    files = jsonl_files(log)
    floor, _, fcode = _jsonl_run([sys.executable, "-c", FLOOR_JSONL, *map(str, files)])
    out = scratch / f"detect-{log.name}-jsonl"
    cmd = [sys.executable, "-m", "distillguard", "detect", *map(str, files)]
    cmd += ["--out", str(out), "--no-report", "--quiet"]
    wall, rss, code = _jsonl_run(cmd)
    if code != 0 or fcode != 0:
        raise SystemExit(f"{log}: detect exit {code}, floor exit {fcode}")
    summary = json.loads((out / "summary.json").read_text())
    timings = {k: float(v) for k, v in summary["timings"].items()}
    return {
        "rows": float(summary["rows_read"]),
        "floor": floor,
        "ingest": timings["ingest"],
        "detect": wall,
        "ratio": wall / floor,
        "ingest_ratio": timings["ingest"] / floor,
        "rss": float(rss),
        **{f"t_{k}": v for k, v in timings.items()},
    }


def main_jsonl(args: argparse.Namespace) -> int:
    """``--format jsonl.gz``: each ``--log`` directory (or a simulated one per size)."""
    sizes = [int(float(s)) for s in args.sizes.split(",") if s.strip()]
    logs = [Path(p) for p in args.log or []] or [
        generate_jsonl(args.preset, size, args.dir) for size in sizes
    ]
    print(
        f"{'rows':>11} {'floor s':>8} {'ingest s':>9} {'detect s':>9} {'÷ floor':>8} "
        f"{'ingest ÷ floor':>15} {'peak RSS':>9} {'load (1 min)':>13}"
    )
    for log in logs:
        r = measure_jsonl(log, args.dir)
        print(
            f"{int(r['rows']):>11,} {r['floor']:>8.1f} {r['ingest']:>9.1f} {r['detect']:>9.1f} "
            f"{r['ratio']:>8.1f} {r['ingest_ratio']:>15.2f} {r['rss'] / GIB:>8.2f}G "
            f"{os.getloadavg()[0]:>13.1f}",
            flush=True,
        )
        stages = {k[2:]: round(v, 1) for k, v in r.items() if k.startswith("t_")}
        print(f"  stages {json.dumps(stages)}", flush=True)
    return 0


def generate_jsonl(preset: str, rows: int, root: Path) -> Path:
    """Simulated ``.jsonl.gz`` log of about ``rows`` exchanges (cached)."""
    out = root / f"{preset}-{rows:.0e}-jsonl".replace("+0", "").replace("+", "")
    if (out / "manifest.json").exists():
        return out
    scale = rows / BENCHMARK_ROWS_AT_SCALE_1
    cmd = [sys.executable, "-m", "distillguard", "simulate", "--preset", preset, "--format"]
    cmd += ["jsonl", "--scale", f"{scale:.4f}", "--seed", "0", "--out", str(out)]
    if run_child(cmd).returncode != 0:
        raise SystemExit("simulator failed")
    return out


# --- end of JSON Lines mode ----------------------------------------------------------------------


if __name__ == "__main__":
    sys.exit(main())
