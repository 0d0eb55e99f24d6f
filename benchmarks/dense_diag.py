"""Diagnose the dense-block linker on a simulated dataset (labels used only here, for figures).

    PYTHONPATH=src python benchmarks/dense_diag.py /tmp/ho1 [/tmp/bh12 ...] [--cache DIR]

Builds the linker context the way ``pipeline.detect`` does, runs the ``dense`` linker and prints,
for its edges: counts by kind (same-campaign, cross-campaign, attack-benign, benign-benign per
persona) and, per campaign, the share of accounts touched and the connected components formed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import igraph as ig
import numpy as np
import polars as pl

from distillguard.accounts import account_table, score_accounts
from distillguard.engine import EngineSettings, make_engine
from distillguard.engine.tables import conform
from distillguard.linkage import LinkContext, build_linkers
from distillguard.pipeline import DetectConfig
from distillguard.signals import sample_request_signals, sample_size, summarise_by_account


def context(requests_dir: Path, cache: Path | None, eng: object) -> LinkContext:
    t = conform(eng.open([requests_dir]))  # type: ignore[attr-defined]
    cfg = DetectConfig()
    acc_p = cache / "accounts.parquet" if cache else None
    smp_p = cache / "sample.parquet" if cache else None
    if acc_p is not None and smp_p is not None and acc_p.exists() and smp_p.exists():
        return LinkContext(t, pl.read_parquet(acc_p), pl.read_parquet(smp_p), seed=cfg.seed)
    accounts = account_table(t)
    per = sample_size(
        accounts.height,
        per_account=cfg.sample_per_account,
        budget=cfg.sample_budget,
        floor=cfg.min_sample_per_account,
    )
    sample = sample_request_signals(t, accounts, per)
    accounts, _ = score_accounts(summarise_by_account(accounts, sample))
    if acc_p is not None and smp_p is not None:
        acc_p.parent.mkdir(parents=True, exist_ok=True)
        accounts.write_parquet(acc_p)
        sample.write_parquet(smp_p)
    return LinkContext(t, accounts, sample, seed=cfg.seed)


def describe(blk: dict[str, object], ctx: LinkContext, labels: pl.DataFrame) -> str:
    idx = pl.DataFrame({"idx": np.asarray(blk["accounts"])})
    who = (
        idx.join(ctx.accounts.select("idx", "account_id"), on="idx")
        .join(labels, on="account_id", how="left")
        .select(pl.coalesce("campaign_id", "persona").alias("g"))
        .group_by("g")
        .len()
        .sort("len", descending=True)
    )
    mix = ", ".join(f"{g}:{n}" for g, n in who.iter_rows())
    head = f"{blk['block']} shape {blk['shape']} density {blk['density']:.1f}"
    return f"{head} lift {blk['lift']:.2f} [{mix}]"


def report(ctx: LinkContext, edges: pl.DataFrame, labels: pl.DataFrame) -> None:
    acc = ctx.accounts.select("account_id", "idx").join(labels, on="account_id", how="left")
    acc = acc.sort("idx")
    camp = acc["campaign_id"].fill_null("").to_numpy()
    pers = acc["persona"].fill_null("?").to_numpy()
    attack = acc["label"].to_numpy() == "attack"
    a = edges["a"].to_numpy()
    b = edges["b"].to_numpy()
    print(f"  edges: {len(a)}")
    if len(a) == 0:
        return
    same = attack[a] & attack[b] & (camp[a] == camp[b])
    cross = attack[a] & attack[b] & (camp[a] != camp[b])
    mixed = attack[a] ^ attack[b]
    benign = ~attack[a] & ~attack[b]
    n = len(a)
    print(
        f"  same-campaign {same.sum() / n:.3f}  cross-campaign {cross.sum() / n:.3f}  "
        f"attack-benign {mixed.sum() / n:.3f}  benign-benign {benign.sum() / n:.3f}"
    )
    if mixed.any() or benign.any():
        ben_end = np.where(attack[a], b, a)[mixed | benign]
        ben_end2 = np.concatenate([ben_end, b[benign]])
        vals, cnt = np.unique(pers[ben_end2], return_counts=True)
        print("  benign endpoints by persona:", dict(zip(vals.tolist(), cnt.tolist(), strict=True)))
        w = edges["weight"].to_numpy()
        print(
            f"  weight: attack-attack median {np.median(w[same]) if same.any() else 0:.2f}, "
            f"involving benign median {np.median(w[mixed | benign]):.2f}"
        )
    g = ig.Graph(n=len(acc), edges=np.stack([a, b], 1).tolist())
    comp = np.asarray(g.connected_components().membership)
    deg = np.asarray(g.degree())
    for c in sorted(set(camp[attack].tolist())):
        members = np.flatnonzero(camp == c)
        touched = members[deg[members] > 0]
        comps = np.unique(comp[touched])
        sizes = sorted((np.bincount(comp[touched])[comps]).tolist(), reverse=True)[:5]
        print(
            f"  {c:28s} {len(members):4d} accts  touched {len(touched) / len(members):.2f}  "
            f"components {len(comps)} (largest {sizes})"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("datasets", nargs="+", type=Path)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/dense-work/cache"))
    ap.add_argument(
        "--config",
        action="append",
        help='linker entry as JSON, e.g. {"linker": "dense", "modes": ["ip_prefix", "hour"]}',
    )
    args = ap.parse_args()
    for d in args.datasets:
        print(f"== {d}")
        labels = pl.read_csv(d / "labels.csv", schema_overrides={"campaign_id": pl.String})
        with (
            tempfile.TemporaryDirectory() as tmp,
            make_engine("duckdb", EngineSettings(workdir=Path(tmp))) as eng,
        ):
            ctx = context(d / "requests", args.cache / d.name, eng)
            entries = [json.loads(c) for c in args.config or ['{"linker": "dense"}']]
            frames = []
            for lk in build_linkers(entries):
                t0 = time.perf_counter()
                frames.append(lk.link(ctx))
                print(f"  {lk!r}: {time.perf_counter() - t0:.1f}s")
                for blk in getattr(lk, "blocks", []):
                    print("   ", describe(blk, ctx, labels))
            edges = pl.concat(frames).group_by("a", "b").agg(pl.col("weight").max())
            report(ctx, edges, labels)


if __name__ == "__main__":
    main()
