"""Reasoning-trace elicitation: does a prompt ask the model to write out its reasoning, and in
particular to reconstruct the reasoning behind a supplied answer?

A character n-gram linear model (multilingual, paraphrase-robust, no phrase list) trained (by
:mod:`distillguard.signals.train`, shipped in ``data/models``) on hand-written instructions
shipped in ``data/elicitation_train.jsonl``, wrapped
around real question/answer payloads, against real task prompts from the packaged corpora. A
light structural cue (the prompt states an answer/solution) is one extra feature.
"""

from __future__ import annotations

import random
import re
from functools import cache
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.signals import corpora
from distillguard.signals._model import LinearTextModel, fit, shipped
from distillguard.signals._scoring import decisions
from distillguard.signals._text import distinct_prompts, expand, tail_window
from distillguard.signals.base import RequestSignal

# "Answer:" / "Solution:" style markers in the languages we train on (a cue, not the detector).
ANSWER_MARKER = (
    r"(?i)(answer|solution|final result|expected output|答案|解答|答え|正解|ответ|решение|"
    r"respuesta|solución|réponse|antwort|lösung|musterlösung|정답|답|resposta|gabarito|"
    r"الإجابة|الجواب|الحل|उत्तर|हल|đáp án|lời giải)\s*[:：=]|####"
)

QA_LABELS = {
    "en": ("Question", "Answer"),
    "zh": ("题目", "答案"),
    "ru": ("Задача", "Ответ"),
    "es": ("Pregunta", "Respuesta"),
    "ar": ("السؤال", "الإجابة"),
    "fr": ("Question", "Réponse"),
    "de": ("Aufgabe", "Antwort"),
    "ja": ("問題", "答え"),
    "ko": ("문제", "정답"),
    "pt": ("Pergunta", "Resposta"),
    "hi": ("प्रश्न", "उत्तर"),
    "vi": ("Câu hỏi", "Đáp án"),
}

CUE_WINDOW = 1000  # code points of head and tail searched for an answer marker
GSM8K_TRAIN = 70  # GSM8K items 0..69 are training payloads, the rest held out
ALPHA = 1e-4  # L2 strength; chosen by held-out recall (see docs/signals.md)


def answer_cue(texts: pa.Array) -> np.ndarray:
    """1.0 where the prompt's head or tail states an answer/solution, else 0.0 (``(n, 1)``)."""
    texts = pc.fill_null(texts, "")
    hit = pc.or_(
        pc.match_substring_regex(pc.utf8_slice_codeunits(texts, 0, CUE_WINDOW), ANSWER_MARKER),
        pc.match_substring_regex(tail_window(texts, CUE_WINDOW), ANSWER_MARKER),
    )
    out: np.ndarray = hit.to_numpy(zero_copy_only=False).astype(np.float64)[:, None]
    return out


def _final(answer: str) -> str:
    m = re.search(r"####\s*(.+)$", answer)
    return m.group(1).strip() if m else answer.strip().splitlines()[-1]


def wrap(row: dict[str, str], payloads: list[tuple[str, str]], rng: random.Random) -> list[str]:
    """Instances of one instruction: alone or wrapped around question (and answer) payloads."""
    instr, attach = row["text"], row.get("attach", "none")
    ql, al = QA_LABELS.get(row.get("lang", "en"), QA_LABELS["en"])
    out = []
    for k in range(4):
        q, a = rng.choice(payloads)
        if attach == "qa":
            a_text = a if k % 2 == 0 else _final(a)
            forms = [
                f"{instr}\n\n{ql}: {q}\n{al}: {a_text}",
                f"{ql}: {q}\n{al}: {a_text}\n\n{instr}",
                f"{instr}\n{q}\n{al}: {a_text}",
                f"{q}\n\n{al}: {a_text}\n{instr}",
            ]
        elif attach == "q":
            forms = [f"{instr}\n\n{q}", f"{q}\n\n{instr}", f"{instr}\n{ql}: {q}", f"{q} {instr}"]
        else:
            return [instr]
        out.append(forms[k])
    return out


def build_examples(
    rows: list[dict[str, str]], payloads: list[tuple[str, str]], seed: int = 0
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts with ``elicit`` and ``trace`` 0/1 labels from instruction rows."""
    rng = random.Random(seed)
    texts: list[str] = []
    elicit: list[int] = []
    trace: list[int] = []
    for row in rows:
        for t in wrap(row, payloads, rng):
            texts.append(t)
            elicit.append(int(row["kind"] in ("elicit", "trace")))
            trace.append(int(row["kind"] == "trace"))
    return texts, np.array(elicit), np.array(trace)


def corpus_negatives(seed: int = 0) -> list[str]:
    """Real task prompts that do not ask for visible reasoning."""
    rng = random.Random(seed)
    pools = [
        corpora.humaneval(),
        corpora.bfcl_live(),
        corpora.swe_lancer(),
        corpora.writingbench(),
        corpora.tau2(),
        [q for q, _ in corpora.gsm8k()[:GSM8K_TRAIN]],
        corpora.codeio(),
        corpora.gpqa(),
        corpora.truthfulqa(),
    ]
    out: list[str] = []
    for pool in pools:
        out.extend(rng.sample(pool, min(len(pool), 250)))
    # Multilingual ordinary requests (chat, rewriting, grading, coding...) from the seed sets.
    out.extend(r["text"] for r in corpora.package_data("capability_seeds.jsonl"))
    return out


@cache
def models() -> tuple[LinearTextModel, LinearTextModel]:
    """The shipped (elicitation, trace_reconstruction) models (trained by :func:`train`)."""
    e, t = shipped("elicitation")
    return e, t


def train() -> list[LinearTextModel]:
    """Fit both models from the seed sets and the corpora (see ``make models``)."""
    payloads = corpora.gsm8k()[:GSM8K_TRAIN] or [("What is 12 * 7?", "12 * 7 = 84\n#### 84")]
    texts, elicit, trace = build_examples(corpora.package_data("elicitation_train.jsonl"), payloads)
    neg = corpus_negatives()
    texts = texts + neg
    elicit = np.concatenate([elicit, np.zeros(len(neg), int)])
    trace = np.concatenate([trace, np.zeros(len(neg), int)])
    cues = answer_cue(pa.array(texts, pa.string()))
    e = fit(texts, [str(v) for v in elicit], cues, alpha=ALPHA)
    t = fit(texts, [str(v) for v in trace], cues, alpha=ALPHA)
    return [e, t]


class ElicitationSignal(RequestSignal):
    """``elicitation`` (asks for visible reasoning) and ``trace_reconstruction`` (asks for the
    reasoning behind a supplied answer), probabilities in [0, 1]."""

    name: ClassVar[str] = "elicitation"
    description: ClassVar[str] = "asks for visible reasoning, or for the reasoning behind an answer"
    outputs: ClassVar[dict[str, pa.DataType]] = {
        "elicitation": pa.float32(),
        "trace_reconstruction": pa.float32(),
    }

    def scores(self, distinct: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """Scores for distinct prompts."""
        if len(distinct) == 0:
            return np.zeros(0), np.zeros(0)
        z = decisions(distinct)
        p_e = LinearTextModel.link(z["elicitation"])
        p_t = LinearTextModel.link(z["trace"])
        return np.maximum(p_e, p_t), p_t

    def compute(self, table: pa.Table) -> pa.Table:
        distinct, idx = distinct_prompts(table)
        p_e, p_t = self.scores(distinct)
        return pa.table(
            {
                "elicitation": expand(pa.array(p_e, pa.float32()), idx),
                "trace_reconstruction": expand(pa.array(p_t, pa.float32()), idx),
            }
        )
