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
0.5 s; printed per log: rows, accounts, floor, ingest, detect, detect ÷ floor, ingest ÷ floor,
peak RSS, CPU seconds of detect and of the floor, and the load average before and after.

Account-count axis (``--accounts 1e4,8e4,2.5e5``): real gateway logs have far more light users
than the benchmark mix, and clustering cost follows accounts and edges, not rows. For each account
count ``A`` the simulator writes ``--dir/acct<A/1000>k`` (``--scale min(rows/R,
A/accounts at scale 1)``, R the preset's rows at scale 1, with ``--small-accounts``
raising the light-user personas to ``A`` accounts; ``--rows`` defaults to the 5.16 M
exchanges of the issue-11 log). Printed per log:
accounts, rows, linkage edges, clustering seconds and µs per edge, campaigns-stage and detect
seconds, detect CPU seconds, peak RSS of the whole process tree (sampled from /proc every 0.5 s)
and the load average; then the growth of clustering time from the first to the last log
against accounts and against edges.

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
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from distillguard.resources import tree_rss


def _bench_rows() -> int:
    """The benchmark preset's size at ``--scale 1``, from the preset itself."""
    from distillguard.simulate.presets import PRESETS

    return sum(max(c.exchanges, c.accounts) for c in PRESETS["benchmark"].cohorts(1.0))


BENCHMARK_ROWS_AT_SCALE_1 = _bench_rows()
GIB = 1024**3


@dataclass
class Child:
    """One child process: wall seconds, peak resident set (bytes), exit code, CPU seconds."""

    seconds: float
    peak_rss: int
    returncode: int
    cpu: float = 0.0
    tree_rss: int = 0
    # (seconds since start, process-tree RSS) every 0.5 s: which stage holds the peak
    samples: list[tuple[float, int]] = field(default_factory=list)


def run_child(cmd: list[str], env: dict[str, str] | None = None) -> Child:
    """Run ``cmd``; ``peak_rss`` is the child's own ``ru_maxrss`` (largest process of the tree
    that it waited for; Spark's JVM is a grandchild and is reported separately by the OS),
    ``tree_rss`` the largest sum over the whole process tree, sampled every 0.5 s."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    samples: list[tuple[float, int]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            samples.append((time.perf_counter() - started, tree_rss(proc.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    sampler.join()
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    rss = usage.ru_maxrss * 1024
    peak = max((r for _, r in samples), default=0)
    return Child(seconds, rss, proc.returncode, cpu, max(peak, rss), samples)


def stage_peaks(child: Child, timings: dict[str, float]) -> dict[str, float]:
    """Peak process-tree RSS (GiB) within each stage of a detect run, its stages laid end to end
    from ``summary.json``'s timings after the start-up (wall time not in ``total``)."""
    order = [k for k in timings if k != "total"]
    t = max(child.seconds - timings.get("total", sum(timings[k] for k in order)), 0.0)
    bounds = [("start-up", 0.0, t)]
    for k in order:
        bounds.append((k, t, t + timings[k]))
        t += timings[k]
    bounds.append(("output", t, child.seconds + 1))
    return {
        name: round(max((r for s, r in child.samples if lo <= s < hi), default=0) / GIB, 2)
        for name, lo, hi in bounds
    }


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


def generate_accounts(preset: str, accounts: int, rows: int, root: Path) -> Path:
    """Simulated log of about ``accounts`` accounts and at most about ``rows`` exchanges (cached
    in ``root/acct<N>k``): the benchmark mix at ``--scale min(rows, accounts)``, with the
    light-user personas multiplied up to ``accounts`` by ``--small-accounts``."""
    out = root / f"acct{accounts / 1000:g}k"
    if (out / "manifest.json").exists():
        return out
    from distillguard.simulate.presets import PRESETS, SMALL_ACCOUNT_PERSONAS

    # Accounts at --scale 1, and those of the light-user personas --small-accounts multiplies.
    cohorts = PRESETS[preset].cohorts(1.0)
    total = sum(c.accounts for c in cohorts)
    light = sum(c.accounts for c in cohorts if c.name in SMALL_ACCOUNT_PERSONAS)
    scale = min(rows / BENCHMARK_ROWS_AT_SCALE_1, accounts / total)
    small = light * scale
    others = total * scale - small
    factor = max(1.0, (accounts - others) / small)
    cmd = [sys.executable, "-m", "distillguard", "simulate", "--preset", preset, "--seed", "0"]
    cmd += ["--scale", f"{scale:.4f}", "--small-accounts", f"{factor:.3f}", "--out", str(out)]
    print(f"generating ~{accounts:,} accounts into {out}: {' '.join(cmd[3:])}", flush=True)
    child = run_child(cmd)
    if child.returncode != 0:
        raise SystemExit(f"simulator failed ({child.returncode})")
    print(f"  generated in {child.seconds:.0f}s", flush=True)
    return out


def account_axis(args: argparse.Namespace) -> int:
    """Clustering seconds, edges and peak RSS against the number of accounts."""
    targets = [int(float(s)) for s in args.accounts.split(",") if s.strip()]
    results: list[dict[str, float]] = []
    for target in targets:
        log = generate_accounts(args.preset, target, int(float(args.rows)), args.dir)
        out = args.dir / f"detect-{log.name}"
        cmd = [sys.executable, "-m", "distillguard", "detect", str(log / "requests")]
        cmd += ["--out", str(out), "--no-report", "--quiet", "--engine", args.engine]
        det = run_child(cmd)
        if det.returncode != 0:
            raise SystemExit(f"{log}: detect exit {det.returncode}")
        summary = json.loads((out / "summary.json").read_text())
        timings = summary["timings"]
        load = os.getloadavg()[0]
        r = {
            "accounts": float(summary["accounts"]),
            "rows": float(summary["rows_read"]),
            "edges": float(sum(summary["edges"].values())),
            "clustering": float(timings["clustering"]),
            "campaigns_s": float(timings["campaigns"]),
            "wall": det.seconds,
            "cpu": det.cpu,
            "rss": float(det.tree_rss),
            "load": load,
            "campaigns": float(summary.get("campaigns", 0)),
        }
        results.append(r)
        print(f"  {log.name}: {json.dumps({k: round(v, 2) for k, v in r.items()})}", flush=True)
        print(f"  edges by family: {json.dumps(summary['edges'])}", flush=True)
    print(f"\nengine={args.engine} preset={args.preset} cpus={os.cpu_count()}")
    print(
        f"{'accounts':>9} {'rows':>10} {'edges':>11} {'clust. s':>9} {'µs/edge':>8} "
        f"{'decide s':>9} {'detect s':>9} {'CPU s':>7} {'tree RSS':>9} {'load':>5} {'camp.':>6}"
    )
    for r in results:
        print(
            f"{int(r['accounts']):>9,} {int(r['rows']):>10,} {int(r['edges']):>11,} "
            f"{r['clustering']:>9.1f} {1e6 * r['clustering'] / max(r['edges'], 1):>8.2f} "
            f"{r['campaigns_s']:>9.1f} {r['wall']:>9.1f} {r['cpu']:>7.0f} "
            f"{r['rss'] / GIB:>8.2f}G {r['load']:>5.1f} {int(r['campaigns']):>6}"
        )
    if len(results) > 1:
        a, b = results[0], results[-1]
        for size in ("accounts", "edges"):
            growth = (b["clustering"] / a["clustering"]) / (b[size] / a[size])
            print(f"clustering {a[size]:,.0f} -> {b[size]:,.0f} {size}: {growth:.2f}x of linear")
    return 0


FLOOR = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET memory_limit = '4GB'")
reader, files = sys.argv[1], sys.argv[2:]
print(con.execute(
    f"SELECT count(*), sum(hash(lower(prompt))) FROM {reader}(?)", [files]
).fetchall())
"""


def floor_cmd(reader: str, files: list[str]) -> list[str]:
    """The floor's child command: one DuckDB pass (``read_parquet`` or ``read_json``) hashing
    every prompt of ``files`` (paths or globs)."""
    return [sys.executable, "-c", FLOOR, reader, *files]


def measure(log: Path, engine: str, scratch: Path) -> dict[str, float]:
    glob = str(log / "requests" / "*.parquet")
    floor = run_child(floor_cmd("read_parquet", [glob]))
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
    ap.add_argument(
        "--accounts", default="", help="account-count axis instead of sizes, e.g. 1e4,8e4,2.5e5"
    )
    ap.add_argument("--rows", default="5.16e6", help="exchanges at most per --accounts log")
    args = ap.parse_args(argv)
    if args.format == "jsonl.gz":
        args.dir.mkdir(parents=True, exist_ok=True)
        return main_jsonl(args)
    if args.accounts:
        args.dir.mkdir(parents=True, exist_ok=True)
        return account_axis(args)
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


def jsonl_files(log: Path) -> list[Path]:
    """The ``.jsonl.gz`` files of a log directory (the simulator writes ``requests.jsonl.gz``)."""
    files = sorted(log.glob("**/*.jsonl.gz"))
    if not files:
        raise SystemExit(f"{log}: no .jsonl.gz file")
    return files


def measure_jsonl(log: Path, scratch: Path) -> dict[str, float]:
    """Floor (DuckDB ``read_json`` hashing every prompt), then ``detect`` on the same files; peak
    RSS is the whole process tree's."""
    files = [str(f) for f in jsonl_files(log)]
    load_before = os.getloadavg()[0]
    floor = run_child(floor_cmd("read_json", files))
    out = scratch / f"detect-{log.name}-jsonl"
    cmd = [sys.executable, "-m", "distillguard", "detect", *files]
    cmd += ["--out", str(out), "--no-report", "--quiet"]
    det = run_child(cmd)
    if det.returncode != 0 or floor.returncode != 0:
        raise SystemExit(f"{log}: detect exit {det.returncode}, floor exit {floor.returncode}")
    summary = json.loads((out / "summary.json").read_text())
    timings = {k: float(v) for k, v in summary["timings"].items()}
    return {
        "rows": float(summary["rows_read"]),
        "accounts": float(summary.get("accounts", 0)),
        "floor": floor.seconds,
        "ingest": timings["ingest"],
        "detect": det.seconds,
        "ratio": det.seconds / floor.seconds,
        "ingest_ratio": timings["ingest"] / floor.seconds,
        "rss": float(det.tree_rss),
        "cpu": det.cpu,
        "floor_cpu": floor.cpu,
        "load_before": load_before,
        **{f"t_{k}": v for k, v in timings.items()},
        **{f"rss_{k}": v for k, v in stage_peaks(det, timings).items()},
    }


def main_jsonl(args: argparse.Namespace) -> int:
    """``--format jsonl.gz``: each ``--log`` directory (or a simulated one per size)."""
    sizes = [int(float(s)) for s in args.sizes.split(",") if s.strip()]
    logs = [Path(p) for p in args.log or []] or [
        generate_jsonl(args.preset, size, args.dir) for size in sizes
    ]
    print(
        f"{'rows':>11} {'accounts':>9} {'floor s':>8} {'ingest s':>9} {'detect s':>9} "
        f"{'÷ floor':>8} {'ingest ÷ floor':>15} {'peak RSS':>9} {'CPU s':>7} {'floor CPU':>9} "
        f"{'load before/after':>18}"
    )
    for log in logs:
        r = measure_jsonl(log, args.dir)
        print(
            f"{int(r['rows']):>11,} {int(r['accounts']):>9,} {r['floor']:>8.1f} "
            f"{r['ingest']:>9.1f} {r['detect']:>9.1f} {r['ratio']:>8.1f} "
            f"{r['ingest_ratio']:>15.2f} {r['rss'] / GIB:>8.2f}G {r['cpu']:>7.0f} "
            f"{r['floor_cpu']:>9.1f} {r['load_before']:>8.1f}/{os.getloadavg()[0]:<9.1f}",
            flush=True,
        )
        stages = {k[2:]: round(v, 1) for k, v in r.items() if k.startswith("t_")}
        print(f"  stages {json.dumps(stages)}", flush=True)
        peaks = {k[4:]: v for k, v in r.items() if k.startswith("rss_")}
        print(f"  peak tree RSS per stage, GiB {json.dumps(peaks)}", flush=True)
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
