"""Time to detection, online vs batch: replay a labelled log into the service, compare with
``distillguard evaluate --replay``. Prints a per-campaign table; asserts nothing (not a test).

    PYTHONPATH=src python benchmarks/bench_time_to_detection.py [--sim DIR | --preset demo
        --scale 0.3] [--speed 2000] [--detect-interval 20] [--policy FILE] [--dir /tmp/dg-ttd]
        [--skip-batch | --batch-json FILE]

1. Batch: ``distillguard detect LOG --out D`` then ``distillguard evaluate --truth SIM
   --detections D --replay --json``: the detector re-run on the log cut at each UTC midnight;
   a campaign's batch time is the cut-off of the first run that flags one of its accounts.
2. Online: ``distillguard serve`` (default policy, ``--detect-interval I`` wall seconds) and
   ``distillguard replay LOG --speed X``: one detection interval is ``I * X`` seconds of log time.
   The script notes, per true campaign, the log time at which the service first decides
   (a) any of its accounts other than ``allow``, (b) any ``throttle``/``block``, (c)
   ``throttle``/``block`` for at least half of the campaign's accounts active so far. It asks
   ``GET /v1/accounts/{id}/decision`` for every true attack account twice a second (so review-
   queue and on-arrival decisions count), and reads the log clock from the service itself: the
   newest stored exchange's timestamp (metric ``distillguard_newest_exchange_timestamp_seconds``),
   so a replay that falls behind its pace on a loaded machine does not distort the figures.
3. The check: the online time (c) should be no later than the batch time plus one detection
   interval plus the duration of one detection run (both in log time): the run that follows the
   batch cut-off sees at least the batch run's evidence. Campaigns the batch replay flags but the
   default policy only sends to ``review`` (unreviewed, below the throttle score) are shown as such.
4. Why: after each detection run the script records the service's campaigns (score, threshold,
   recommended action, decision, and how many of each true campaign's accounts they hold), and
   sweeps the decisions of every account of the log: the JSON output lists each run, and the
   benign accounts that were ever decided ``throttle``/``block`` (the table's last line).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx
from service_harness import KEYS, MAIN, Server, fresh, headers, simulated_log

THROTTLE = ("throttle", "block")


def run_cli(*args: str) -> None:
    subprocess.run([sys.executable, "-c", MAIN, *args], check=True, stdout=subprocess.DEVNULL)


def batch_times(sim: Path, log: Path, work: Path) -> dict[str, Any]:
    """``evaluate --replay``'s figures: per campaign the first day and its cut-off."""
    det = work / "batch-detect"
    run_cli("detect", str(log), "--out", str(det), "--no-report", "--quiet")
    out = work / "batch-eval.json"
    run_cli("evaluate", "--truth", str(sim), "--detections", str(det), "--replay",
            "--json", str(out))  # fmt: skip
    doc = json.loads(out.read_text())["time_to_detection"]
    return {c["campaign_id"]: c for c in doc["campaigns"]} | {"_start": doc["start"]}


def truth(
    sim: Path, log: Path
) -> tuple[dict[str, list[str]], set[str], dict[str, float], float, float]:
    """True campaigns' attack accounts, the benign accounts, each account's first exchange
    (epoch s), and the log's first and last timestamp (epoch s)."""
    camps: dict[str, list[str]] = {}
    benign: set[str] = set()
    with (sim / "labels.csv").open() as fh:
        for r in csv.DictReader(fh):
            if r["label"] == "attack" and r["campaign_id"]:
                camps.setdefault(r["campaign_id"], []).append(r["account_id"])
            elif r["label"] != "attack":
                benign.add(r["account_id"])
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT account_id, epoch(min(timestamp::TIMESTAMPTZ)) FROM read_json_auto(?) "
            "GROUP BY 1",
            [str(log)],
        ).fetchall()
        lo, hi = con.execute(
            "SELECT epoch(min(timestamp::TIMESTAMPTZ)), epoch(max(timestamp::TIMESTAMPTZ)) "
            "FROM read_json_auto(?)",
            [str(log)],
        ).fetchall()[0]
    finally:
        con.close()
    return camps, benign, {str(a): float(t) for a, t in rows}, float(lo), float(hi)


def campaign_view(
    c: httpx.Client, url: str, owner: dict[str, str], t0: float, now: float
) -> list[dict[str, Any]]:
    """The service's campaigns of the latest run, with the true campaigns of their accounts."""
    docs = c.get(f"{url}/v1/campaigns", headers=headers("analyst")).json()["campaigns"]
    out = []
    for d in docs:
        if not d.get("in_latest_run"):
            continue
        mix: dict[str, int] = {}
        for a in d.get("accounts", []):
            key = owner.get(a, "benign")
            mix[key] = mix.get(key, 0) + 1
        out.append({
            "log_h": round((now - t0) / 3600, 1),
            "campaign_id": d["campaign_id"],
            "score": d.get("score"),
            "threshold": d.get("threshold"),
            "recommended_action": d.get("recommended_action"),
            "decision": d.get("decision"),
            "truth": mix,
        })  # fmt: skip
    return out


def online_times(args: argparse.Namespace, log: Path, work: Path, sim: Path) -> dict[str, Any]:
    camps, benign, first_seen, t0, t_end = truth(sim, log)
    owner = {a: cid for cid, accs in camps.items() for a in accs}
    everyone = sorted(set(first_seen))
    server = Server(
        fresh(work / "ws-online"), detect_interval=args.detect_interval, policy=args.policy
    )
    seen: dict[str, dict[str, float]] = {c: {} for c in camps}
    runs: list[dict[str, Any]] = []
    benign_hard: dict[str, dict[str, Any]] = {}  # benign account -> first throttle/block
    benign_review: set[str] = set()
    first_hard: dict[str, float] = {}  # attack account -> log time of its first throttle/block
    clock = {"start": 0.0}  # wall time the replay began
    run_stats: dict[str, float] = {}
    done = threading.Event()

    def log_now(c: httpx.Client) -> float | None:
        """The service's log clock: the newest stored exchange's timestamp (a metric)."""
        text = c.get(f"{server.url}/metrics", headers=headers("admin")).text
        for line in text.splitlines():
            if line.startswith("distillguard_newest_exchange_timestamp_seconds "):
                value = float(line.split()[-1])
                return value if value > 0 else None
        return None

    def sweep(c: httpx.Client, now: float) -> None:
        """Every account's decision once: benign accounts that are throttled or blocked."""
        for a in everyone:
            if a in owner:
                continue
            d = c.get(f"{server.url}/v1/accounts/{a}/decision").json()
            if d["decision"] in THROTTLE and a not in benign_hard:
                benign_hard[a] = {"log_h": round((now - t0) / 3600, 1), **d}
            elif d["decision"] == "review":
                benign_review.add(a)

    def watch() -> None:
        attack = sorted(owner)
        with httpx.Client(timeout=30, headers=headers("ingest")) as c:
            while not done.is_set():
                try:
                    now = log_now(c)
                    if now is None:
                        time.sleep(0.5)
                        continue
                    last = c.get(f"{server.url}/healthz").json().get("last_detection")
                    decided = {
                        a: c.get(f"{server.url}/v1/accounts/{a}/decision").json()["decision"]
                        for a in attack
                    }
                    if last and (not runs or runs[-1]["run_id"] != last):
                        runs.append({
                            "run_id": last,
                            "seen_at_log_h": round((now - t0) / 3600, 1),
                            "campaigns": campaign_view(c, server.url, owner, t0, now),
                        })  # fmt: skip
                        sweep(c, now)
                except httpx.HTTPError:
                    time.sleep(1.0)
                    continue
                for cid, accs in camps.items():
                    got = seen[cid]
                    active = [a for a in accs if first_seen.get(a, float("inf")) <= now]
                    flagged = [a for a in accs if decided[a] != "allow"]
                    hard = [a for a in flagged if decided[a] in THROTTLE]
                    for a in hard:
                        first_hard.setdefault(a, now)
                    if flagged:
                        got.setdefault("any", now)
                    if hard:
                        got.setdefault("throttle_one", now)
                    if active and len(hard) * 2 >= len(active):
                        got.setdefault("throttle_half", now)
                time.sleep(0.5)

    watcher = threading.Thread(target=watch, daemon=True)
    env = {**os.environ, "DISTILLGUARD_API_KEY": KEYS["ingest"]}
    try:
        watcher.start()
        clock["start"] = time.perf_counter()
        rep = subprocess.run(
            [sys.executable, "-c", MAIN, "replay", str(log), "--url", server.url,
             "--speed", str(args.speed), "--batch-size", str(args.batch_size)],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        wall = time.perf_counter() - clock["start"]
        time.sleep(args.detect_interval * 2)  # a last run over the tail
        done.set()
        watcher.join()
        with httpx.Client(timeout=30, headers=headers("ingest")) as c:
            sweep(c, t_end)
        for name in ("sum", "count"):
            value = server.metric(f"distillguard_detection_run_seconds_{name}")
            run_stats[name] = value or 0.0
    finally:
        server.stop()
    stats = json.loads(rep.stdout.strip().splitlines()[-1])
    total, count = run_stats.get("sum", 0.0), run_stats.get("count", 0.0)
    return {
        "campaigns": seen,
        "late_joiners": late_joiners(camps, seen, first_seen, first_hard),
        "runs": runs,
        "run_seconds_mean": total / count if count else 0.0,
        "run_count": int(count),
        "t0": t0,
        "replay": stats,
        "replay_wall_seconds": round(wall, 1),
        "replay_lag_seconds": round(wall - (t_end - t0) / args.speed, 1),
        "benign_accounts": len(benign),
        "benign_throttled_or_blocked": benign_hard,
        "benign_review": len(benign_review),
    }


def late_joiners(
    camps: dict[str, list[str]],
    seen: dict[str, dict[str, float]],
    first_seen: dict[str, float],
    first_hard: dict[str, float],
) -> dict[str, dict[str, Any]]:
    """Per campaign, its accounts whose first exchange came after the campaign's first
    throttle/block: log hours from that first exchange to their own throttle/block."""
    out: dict[str, dict[str, Any]] = {}
    for cid, accs in camps.items():
        start = seen[cid].get("throttle_one")
        if start is None:
            continue
        late = [a for a in accs if first_seen.get(a, 0.0) > start]
        delays = sorted((first_hard[a] - first_seen[a]) / 3600 for a in late if a in first_hard)
        out[cid] = {
            "accounts": len(late),
            "never": len(late) - len(delays),
            "median_h": round(delays[len(delays) // 2], 1) if delays else None,
            "max_h": round(delays[-1], 1) if delays else None,
        }
    return out


def hours(x: float | None) -> str:
    return "—" if x is None else f"{x / 3600:.1f}"


def table(batch: dict[str, Any], online: dict[str, Any], args: argparse.Namespace) -> str:
    t0 = online["t0"]
    interval = args.detect_interval * args.speed
    run_s = float(online["run_seconds_mean"])
    run_log = run_s * args.speed
    lines = [
        f"detection interval {args.detect_interval:g} s wall = {interval / 3600:.1f} log h at "
        f"{args.speed:g}x; {online['run_count']} detection runs of {run_s:.1f} s on average "
        f"= {run_log / 3600:.1f} log h; replay lag at end {online['replay_lag_seconds']} s",
        "",
        "| campaign | batch: first day (cut-off, log h) | online: first non-allow (log h) "
        "| first throttle/block | ≥ 50 % of active accounts throttle/block | online − batch (h) "
        "| within one interval (+ run) |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for cid in sorted(online["campaigns"]):
        got = {k: v - t0 for k, v in online["campaigns"][cid].items()}
        b = batch.get(cid, {})
        cut = None
        if b.get("detected_at"):
            cut = datetime.fromisoformat(b["detected_at"]).timestamp() - t0
        half = got.get("throttle_half")
        if cut is None:
            verdict = "batch never flags it"
        elif half is None:
            verdict = "no: " + ("review only" if "any" in got else "never decided")
        else:
            verdict = "yes" if half <= cut + interval + run_log else "no"
        lines.append(
            f"| {cid} | {b.get('first_day', '—')} ({hours(cut)}) | {hours(got.get('any'))} | "
            f"{hours(got.get('throttle_one'))} | {hours(half)} | "
            f"{'—' if half is None or cut is None else f'{(half - cut) / 3600:+.1f}'} | {verdict} |"
        )
    lines += ["", "accounts that joined after their campaign's first throttle/block "
              "(log h from their first exchange to their own throttle/block):"]  # fmt: skip
    for cid, j in sorted(online["late_joiners"].items()):
        lines.append(f"- {cid}: {j['accounts']} joined; median {j['median_h']}, max {j['max_h']}, "
                     f"never {j['never']}")  # fmt: skip
    lines += [
        "",
        f"benign accounts ever throttled/blocked: {len(online['benign_throttled_or_blocked'])} "
        f"of {online['benign_accounts']} (ever review: {online['benign_review']})",
    ]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sim", type=Path, default=None, help="a simulator output directory")
    p.add_argument("--preset", default="demo")
    p.add_argument("--scale", type=float, default=0.3)
    p.add_argument("--speed", type=float, default=2000.0)
    p.add_argument("--detect-interval", type=float, default=20.0)
    p.add_argument("--batch-size", type=int, default=2000)
    p.add_argument("--policy", type=Path, default=None, help="decision policy file for serve")
    p.add_argument("--dir", type=Path, default=None)
    p.add_argument("--skip-batch", action="store_true", help="online only (no evaluate --replay)")
    p.add_argument(
        "--batch-json", type=Path, default=None, help="reuse an earlier `evaluate --json` output"
    )
    args = p.parse_args()
    work = Path(args.dir or tempfile.mkdtemp(prefix="dg-ttd-"))
    work.mkdir(parents=True, exist_ok=True)
    sim = args.sim or simulated_log(args.preset, args.scale, work)
    log = sim / "requests.jsonl.gz"
    load = {"before": os.getloadavg()}
    t = time.perf_counter()
    if args.batch_json is not None:
        doc = json.loads(args.batch_json.read_text())["time_to_detection"]
        batch = {c["campaign_id"]: c for c in doc["campaigns"]}
    else:
        batch = {} if args.skip_batch else batch_times(sim, log, work)
    batch_s = time.perf_counter() - t
    online = online_times(args, log, work, sim)
    load["after"] = os.getloadavg()
    print(table(batch, online, args))
    print()
    print(json.dumps({"batch_seconds": round(batch_s, 1), "loadavg": load,
                      "replay": online["replay"], "runs": online["runs"],
                      "benign_throttled_or_blocked": online["benign_throttled_or_blocked"],
                      "late_joiners": online["late_joiners"],
                      "batch": batch, "online": online["campaigns"]},
                     indent=2, default=str))  # fmt: skip


if __name__ == "__main__":
    main()
