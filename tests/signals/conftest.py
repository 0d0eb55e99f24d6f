"""Shared fixtures: real payloads from the packaged corpora, wrapped in a few templates."""

from __future__ import annotations

import random

import pytest

from distillguard.signals import corpora


@pytest.fixture(scope="session")
def payloads() -> list[str]:
    """1,000 varied real payloads (first 400 chars of corpus prompts)."""
    rng = random.Random(3)
    pool = (
        [q for q, _ in corpora.gsm8k()]
        + corpora.truthfulqa()
        + corpora.bfcl_live()
        + corpora.writingbench()
        + corpora.humaneval()
    )
    return [p[:400] for p in rng.sample(pool, 1000)]


# Three wrapper templates, each with paraphrase/noise variants.
TEMPLATES: list[list[str]] = [
    [
        "You are an expert tutor. Read the task below carefully.\n\n{p}\n\n"
        "Write the detailed derivation, step by step, then the final answer in a box.",
        "You are an expert tutor. Read the task below carefully!\n\n{p}\n\n"
        "Write the detailed derivation step-by-step, then the final answer inside a box.",
        "You are an expert tutor.  Please read the task below carefully.\n{p}\n"
        "Write a detailed derivation, step by step, and then the final answer in a box.",
    ],
    [
        "### Instruction\nGrade the following submission against the rubric and return JSON "
        "with fields score and rationale.\n### Submission\n{p}\n### End",
        "### Instruction\nGrade the following submission against the rubric, returning JSON "
        "with the fields score and rationale.\n### Submission\n{p}\n### END",
        "### Instructions\nGrade the submission below against the rubric and return JSON with "
        "fields score and rationale\n### Submission\n{p}\n### End",
    ],
    [
        "[system: data-gen v2] Traduisez puis reformulez le texte suivant en gardant le sens. "
        "Texte : {p} Fin du texte. Répondez uniquement avec la reformulation.",
        "[system: data-gen v3] Traduisez puis reformulez le texte suivant, en gardant le sens. "
        "Texte: {p} Fin du texte. Répondez seulement avec la reformulation.",
        "[system: data-gen v2] Traduisez et reformulez le texte suivant en gardant le sens. "
        "Texte : {p} -- Fin du texte. Répondez uniquement avec la reformulation.",
    ],
]


@pytest.fixture(scope="session")
def templated(payloads: list[str]) -> tuple[list[str], list[int]]:
    """3 × ~333 prompts: (texts, template index)."""
    rng = random.Random(5)
    texts, labels = [], []
    for i, p in enumerate(payloads):
        t = i % 3
        texts.append(rng.choice(TEMPLATES[t]).format(p=p))
        labels.append(t)
    return texts, labels
