"""Generate a labelled holdout request log (contract v1) from an independent design.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/holdout/generate.py --seed 7 --out /tmp/holdout [--scale 1.0]

Writes ``DIR/requests/part-*.parquet`` (exactly ``REQUEST_SCHEMA``), ``DIR/labels.csv``,
``DIR/request_labels.parquet`` and ``DIR/manifest.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from benchmarks.holdout import corpora as corpora_mod
from benchmarks.holdout.populations import POPULATIONS
from benchmarks.holdout.world import (
    CLIENTS,
    DAY,
    MODELS,
    START_US,
    STATUS,
    TLS_NAMES,
    TLS_OF_UA,
    World,
    _fp,
    cat,
    to_str,
)

from distillguard.schema import LABELS_SCHEMA, REQUEST_LABELS_SCHEMA, REQUEST_SCHEMA, TS

GENERATOR_VERSION = "holdout-2"  # 2: agentic campaign hc-sweep, oss_agent, harness_team


@dataclass(frozen=True)
class Result:
    """What ``generate`` wrote."""

    out: Path
    requests: int
    accounts: int
    attack_accounts: int
    attack_requests: int
    seconds: float


def _ids(rng: np.random.Generator, n: int, prefix: str, digits: int = 12) -> pa.Array:
    """Unique random decimal ids (vectorised; rejection-free at these sizes, checked)."""
    lo, hi = 10 ** (digits - 1), 10**digits
    x = rng.integers(lo, hi, n)
    while len(np.unique(x)) != n:
        x = rng.integers(lo, hi, n)
    return cat(prefix, to_str(x))


def _masked(arr: pa.Array, null: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(null), pa.scalar(None, arr.type), arr)


def _int_col(x: np.ndarray, null: np.ndarray) -> pa.Array:
    return pa.array(x.astype(np.int64), type=pa.int64(), mask=null)


def assemble(w: World, rng: np.random.Generator) -> tuple[pa.Table, pa.Table, list[dict[str, str]]]:
    """Concatenate parts, attach account attributes and ids, add realistic gaps; sort by time."""
    cols = {k: [p.columns[k] for p in w.parts] for k in w.parts[0].columns}

    def npcat(k: str) -> np.ndarray:
        return np.concatenate([np.asarray(x) for x in cols[k]])

    def pacat(k: str) -> pa.Array:
        return pa.concat_arrays([x for x in cols[k] if isinstance(x, pa.Array)])

    ts = npcat("ts")
    order = np.argsort(ts, kind="stable")
    n = len(ts)
    o = pa.array(order)
    acct = npcat("acct")[order]
    attack = np.concatenate([np.full(len(p.columns["ts"]), p.attack) for p in w.parts])[order]
    camp_names = sorted({p.campaign for p in w.parts if p.campaign})
    camp_code = np.concatenate(
        [
            np.full(len(p.columns["ts"]), camp_names.index(p.campaign) if p.campaign else -1)
            for p in w.parts
        ]
    )[order]

    # account-level identities (random, so that nothing encodes the population)
    n_acc = len(w.accounts)
    acc_ids = [f"acct_{x:012x}" for x in rng.choice(1 << 48, n_acc, replace=False)]
    org_ids = {
        o_: f"org_{x:010x}"
        for o_, x in zip(
            range(1, w.n_orgs + 1), rng.choice(1 << 40, w.n_orgs, replace=False), strict=True
        )
    }
    pay_ids = {
        p_: f"pm_{x:016x}"
        for p_, x in zip(
            range(1, w.n_pay + 1), rng.choice(1 << 62, w.n_pay, replace=False), strict=True
        )
    }
    key_ids = pa.array([f"key_{x:014x}" for x in rng.choice(1 << 56, w.n_keys, replace=False)])
    a_id = pa.array(acc_ids)
    a_org = pa.array([org_ids.get(a.org) if a.org else None for a in w.accounts], pa.string())
    a_pay = pa.array(
        [pay_ids.get(a.payment) if a.payment else None for a in w.accounts], pa.string()
    )
    a_mail = pa.array([a.email for a in w.accounts], pa.string())
    a_created = pa.array([a.created_us for a in w.accounts], pa.int64())
    ai = pa.array(acct)

    ip_idx = pa.array(npcat("ip")[order])
    ip_all = pa.concat_arrays(w.ip_chunks)
    asn_all = np.concatenate(w.ip_asn)
    cc_all = pa.array(w.cc_names).take(pa.array(np.concatenate(w.ip_cc)))
    ua = npcat("ua")[order]
    tls_code = np.where(rng.random(n) < 0.97, TLS_OF_UA[ua], rng.integers(0, len(TLS_NAMES), n))
    tls = pa.array([_fp(t) for t in TLS_NAMES]).take(pa.array(tls_code))
    prompt = pacat("prompt").take(o)
    sys_idx = npcat("system")[order]
    system = pa.array(w.systems or [""], pa.string()).take(
        pa.array(np.maximum(sys_idx, 0), mask=sys_idx < 0)
    )
    tools = npcat("tools")[order]
    hist = npcat("hist")[order]
    in_tok = (
        pc.divide(pc.cast(pc.utf8_length(prompt), pa.float64()), 3.7).to_numpy()
        + np.where(sys_idx >= 0, 60, 0)
        + tools * 140
        + hist
        + 6
    ).astype(np.int64)
    conv = npcat("conv")[order]
    turn = npcat("turn")[order]
    conv_remap = rng.choice(10**13, max(w.n_conv, 1), replace=False) + 10**13
    conv_str = cat("conv_", to_str(conv_remap[np.maximum(conv, 0)]))
    mt = npcat("max_tokens")[order]
    temp = npcat("temperature")[order]

    # realistic incompleteness: logging gaps, a collector outage, optional response capture
    def gap(p: float) -> np.ndarray:
        return rng.random(n) < p

    day = (ts[order] - START_US) // DAY
    tls_outage_day = rng.integers(0, max(1, w.days))
    resp_acct = rng.random(n_acc) < 0.15
    response = pacat("response").take(o)
    resp_null = ~resp_acct[acct] | ~pc.is_valid(response).to_numpy(zero_copy_only=False)

    table = pa.table(
        {
            "request_id": _ids(rng, n, "req_", 15),
            "timestamp": pa.array(ts[order], pa.int64()).cast(TS),
            "account_id": a_id.take(ai),
            "org_id": _masked(a_org.take(ai), gap(0.02)),
            "api_key_id": _masked(key_ids.take(pa.array(npcat("key")[order])), gap(0.01)),
            "ip": _masked(ip_all.take(ip_idx), gap(0.004)),
            "asn": _int_col(asn_all[ip_idx.to_numpy()], gap(0.015)),
            "country": _masked(cc_all.take(ip_idx), gap(0.015)),
            "user_agent": _masked(pa.array([u for u, _ in CLIENTS]).take(pa.array(ua)), gap(0.02)),
            "tls_fingerprint": _masked(tls, gap(0.04) | (day == tls_outage_day)),
            "payment_fingerprint": a_pay.take(ai),
            "account_created_at": _masked(a_created.take(ai).cast(TS), gap(0.005)),
            "email_domain": _masked(a_mail.take(ai), gap(0.01)),
            "model": pa.array(MODELS).take(pa.array(npcat("model")[order])),
            "conversation_id": _masked(conv_str, conv < 0),
            "turn_index": _int_col(turn, gap(0.02)),
            "system_prompt": system,
            "prompt": prompt,
            "tool_count": _int_col(tools, gap(0.08)),
            "max_tokens": _int_col(np.maximum(mt, 0), mt < 0),
            "temperature": pa.array(temp, pa.float64(), mask=np.isnan(temp)),
            "input_tokens": _int_col(in_tok, gap(0.005)),
            "output_tokens": _int_col(npcat("out")[order], gap(0.005)),
            "response": _masked(response, resp_null),
            "status": _masked(pa.array(STATUS).take(pa.array(npcat("status")[order])), gap(0.003)),
        }
    ).cast(REQUEST_SCHEMA)

    camp_arr = pa.array(camp_names or [""], pa.string()).take(
        pa.array(np.maximum(camp_code, 0), mask=camp_code < 0)
    )
    req_labels = pa.table(
        {
            "request_id": table["request_id"],
            "label": pa.array(np.where(attack, "attack", "benign")),
            "campaign_id": camp_arr,
        }
    ).cast(REQUEST_LABELS_SCHEMA)
    seen = np.zeros(n_acc, bool)
    seen[acct] = True  # label exactly the accounts that appear in the log
    labels = [
        {
            "account_id": acc_ids[i],
            "label": a.label,
            "campaign_id": a.campaign or "",
            "persona": a.persona,
        }
        for i, a in enumerate(w.accounts)
        if seen[i]
    ]
    labels.sort(key=lambda r: r["account_id"])
    return table, req_labels, labels


def generate(seed: int, out: Path, scale: float = 1.0, days: int = 14) -> Result:
    """Build the whole world for ``seed`` and write the contract files under ``out``."""
    if not 10 <= days <= 21:
        raise SystemExit("holdout: --days must be between 10 and 21")
    if scale <= 0:
        raise SystemExit("holdout: --scale must be positive")
    t0 = time.perf_counter()
    w = World(seed=seed, scale=scale, days=days, corp=corpora_mod.load())
    for i, pop in enumerate(POPULATIONS.values()):
        pop(w, np.random.default_rng([seed, 1000 + i]))
    table, req_labels, labels = assemble(w, np.random.default_rng([seed, 99]))

    if out.exists():
        shutil.rmtree(out / "requests", ignore_errors=True)
    (out / "requests").mkdir(parents=True, exist_ok=True)
    day = pc.divide(pc.subtract(table["timestamp"].cast(pa.int64()), START_US), DAY).to_numpy()
    bounds = np.searchsorted(day, np.arange(days + 1))
    for d in range(days):
        lo, hi = int(bounds[d]), int(bounds[d + 1])
        if hi > lo:
            pq.write_table(table.slice(lo, hi - lo), out / "requests" / f"part-{d:05d}.parquet")
    pq.write_table(req_labels, out / "request_labels.parquet")
    with open(out / "labels.csv", "w", newline="", encoding="utf-8") as fh:
        wr = csv.DictWriter(fh, fieldnames=list(LABELS_SCHEMA.names))
        wr.writeheader()
        wr.writerows(labels)

    attack_req = int(pc.sum(pc.equal(req_labels["label"], "attack")).as_py() or 0)
    per_persona: dict[str, int] = {}
    per_campaign: dict[str, dict[str, int]] = {}
    for r in labels:
        per_persona[r["persona"]] = per_persona.get(r["persona"], 0) + 1
        if r["campaign_id"]:
            c = per_campaign.setdefault(r["campaign_id"], {"accounts": 0, "exchanges": 0})
            c["accounts"] += 1
    camp_counts = pc.value_counts(
        req_labels.filter(pc.equal(req_labels["label"], "attack"))["campaign_id"]
    )
    for item in camp_counts.to_pylist():
        per_campaign[item["values"]]["exchanges"] = item["counts"]
    seconds = time.perf_counter() - t0
    manifest = {
        "generator": GENERATOR_VERSION,
        "schema_version": 1,
        "seed": seed,
        "scale": scale,
        "days": days,
        "window_start": _rfc(START_US),
        "window_end": _rfc(w.end_us),
        "model_release": {"model": MODELS[3], "at": _rfc(w.release_us)},
        "requests": table.num_rows,
        "accounts": len(labels),
        "attack_accounts": sum(r["label"] == "attack" for r in labels),
        "attack_requests": attack_req,
        "personas": dict(sorted(per_persona.items())),
        "campaigns": dict(sorted(per_campaign.items())),
        "corpora": w.corp.sources,
        "files": {
            "requests": sorted(p.name for p in (out / "requests").glob("part-*.parquet")),
            "labels": "labels.csv",
            "request_labels": "request_labels.parquet",
        },
        "seconds": round(seconds, 2),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return Result(
        out, table.num_rows, len(labels), manifest["attack_accounts"], attack_req, seconds
    )


def _rfc(us: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(us // 1_000_000))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies account counts")
    ap.add_argument("--days", type=int, default=14, help="window length, 10-21 days")
    args = ap.parse_args(argv)
    r = generate(args.seed, args.out, args.scale, args.days)
    print(
        f"holdout: {r.requests:,} exchanges, {r.accounts:,} accounts "
        f"({r.attack_accounts:,} attack, {r.attack_requests:,} attack exchanges) "
        f"-> {r.out} in {r.seconds:.1f}s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
