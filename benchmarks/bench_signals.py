"""Throughput of ``compute_request_signals`` on 200k realistic prompts.

Prompts are real corpus texts (HumanEval, BFCL, SWE-Lancer, WritingBench, τ²-bench, GSM8K,
CodeI/O, TruthfulQA) inside varied wrappers (the shipped instruction and seed texts, plus plain
pass-through), with per-request ids so most prompts are distinct. Models are trained first and
reported separately. Run: ``PYTHONPATH=src python benchmarks/bench_signals.py [N]``.
"""

from __future__ import annotations

import os
import random
import sys
import time

import pyarrow as pa

from distillguard.signals import (
    REQUEST_SIGNALS,
    _scoring,
    _text,
    capability,
    compute_request_signals,
    corpora,
    elicitation,
)


def build(n: int, seed: int = 0) -> pa.Table:
    rng = random.Random(seed)
    payloads = (
        corpora.humaneval()
        + corpora.bfcl_live()
        + corpora.swe_lancer()
        + corpora.writingbench()
        + corpora.tau2()
        + [q for q, _ in corpora.gsm8k()]
        + corpora.codeio()
        + corpora.truthfulqa()
    )
    instr = [r["text"] for r in corpora.package_data("elicitation_train.jsonl")]
    instr += [r["text"] for r in corpora.package_data("capability_seeds.jsonl")]
    wrappers = ["{p}"] * 20 + [f"{i}\n\n{{p}}" for i in instr] + [f"{{p}}\n\n{i}" for i in instr]
    prompts = [
        rng.choice(wrappers).format(p=rng.choice(payloads)) + f"\n(ref {rng.randrange(10**9)})"
        for _ in range(n)
    ]
    return pa.table(
        {
            "request_id": [f"r{i}" for i in range(n)],
            "prompt": pa.array(prompts, pa.string()),
            "tool_count": pa.array([rng.choice([0, 0, 0, 2]) for _ in range(n)], pa.int64()),
        }
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    t0 = time.perf_counter()
    elicitation.models()
    capability.model()
    t_train = time.perf_counter() - t0
    table = build(n)
    chars = sum(len(p) for p in table.column("prompt").to_pylist())
    t0, c0 = time.perf_counter(), time.process_time()
    feats = compute_request_signals(table)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"model training (first use): {t_train:.2f} s")
    print(f"prompts: {n:,}  mean chars: {chars / n:,.0f}  threads: {_text.workers()}")
    print(f"compute_request_signals: {dt:.2f} s  ->  {n / dt:,.0f} prompts/s (CPU {cpu:.1f} s)")
    print(f"  load average during run: {os.getloadavg()[0]:.1f}")
    for name in ("elicitation", "capability", "skeleton", "lang"):
        _scoring._CACHE.clear()  # stage timings: shared dedupe cached, model scores not
        t0 = time.perf_counter()
        REQUEST_SIGNALS[name]().compute(table)
        print(f"  {name:12s} {time.perf_counter() - t0:6.2f} s")
    share = float(pa.compute.mean(pa.compute.greater(feats.column("elicitation"), 0.5)).as_py())
    print(
        f"elicitation > 0.5 share: {share:.3f}; distinct templates: "
        f"{len(pa.compute.unique(feats.column('template_id'))):,}"
    )


if __name__ == "__main__":
    main()
