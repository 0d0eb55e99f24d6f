"""Shared fixtures: real payloads from the packaged corpora, wrapped in a few templates."""

from __future__ import annotations

import random

import pytest

from distillguard.signals import corpora


@pytest.fixture(scope="session")
def payloads() -> list[str]:
    """1,000 varied real payloads of very different lengths (30 to 3,000 characters)."""
    rng = random.Random(3)
    pool = (
        [q for q, _ in corpora.gsm8k()]
        + corpora.truthfulqa()
        + corpora.bfcl_live()
        + corpora.writingbench()
        + corpora.humaneval()
    )
    return [p[: rng.choice((30, 120, 400, 3000))] for p in rng.sample(pool, 1000)]


_HOMOGLYPHS = str.maketrans({"a": "а", "e": "е", "o": "о", "p": "р", "c": "с"})


def noisy(text: str, choice: int) -> str:
    """Casing, whitespace or homoglyph noise (``choice`` 0-2; 3 leaves ``text`` alone)."""
    if choice == 0:
        return text.upper()
    if choice == 1:
        return text.replace(" ", "  ").replace("\n", " \n\n")
    if choice == 2:
        return text.translate(_HOMOGLYPHS)
    return text


# Three wrapper templates, each with paraphrase/noise variants.
TEMPLATES: list[list[str]] = [
    [
        "You are an expert tutor. Read the task below carefully.\n\n{p}\n\n"
        "Write the detailed derivation, step by step, then the final answer in a box.",
        "You're an expert tutor. Read the problem below with care.\n\n{p}\n\n"
        "Write out the detailed derivation, step by step, then give the final answer in a box.",
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
        "### Instruction\nAssess the following submission against the rubric and return JSON "
        "with fields score and rationale. Be strict.\n### Submission\n{p}\n### End",
    ],
    [
        "[system: data-gen v2] Traduisez puis reformulez le texte suivant en gardant le sens. "
        "Texte : {p} Fin du texte. Répondez uniquement avec la reformulation.",
        "[system: data-gen v3] Traduisez puis reformulez le texte suivant, en gardant le sens. "
        "Texte: {p} Fin du texte. Répondez seulement avec la reformulation.",
        "[system: data-gen v2] Traduisez et reformulez le texte suivant en gardant le sens. "
        "Texte : {p} -- Fin du texte. Répondez uniquement avec la reformulation.",
        "[system: data-gen v2] Merci. Traduisez puis reformulez le texte suivant en gardant "
        "le sens. Texte : {p} Fin du texte. Répondez uniquement avec la reformulation.",
    ],
    # wrapper only before the payload
    [
        "Act as a meticulous reviewer. For the input below, list every assumption it makes, "
        "then rate its clarity from 1 to 10 and justify the rating in two sentences.\n\n{p}",
        "Act as a careful reviewer. For the input below, list each assumption it makes, then "
        "rate its clarity from 1 to 10 and justify that rating in two sentences.\n{p}",
        "Please act as a meticulous reviewer. For the following input, list every assumption "
        "it makes, then rate its clarity 1-10 and justify the rating in two sentences.\n\n{p}",
        "Act as a meticulous reviewer. Thanks in advance. For the input below, list every "
        "assumption it makes, then rate its clarity from 1 to 10 and justify the rating in "
        "two sentences.\n\n{p}",
    ],
]


@pytest.fixture(scope="session")
def templated(payloads: list[str]) -> tuple[list[str], list[int]]:
    """4 templates × 250 prompts (4 paraphrases each, wrapper noise): (texts, template index)."""
    rng = random.Random(5)
    texts, labels = [], []
    for i, p in enumerate(payloads):
        t = i % len(TEMPLATES)
        noise = rng.randrange(4)  # on the wrapper only, never on the payload
        texts.append(p.join(noisy(part, noise) for part in rng.choice(TEMPLATES[t]).split("{p}")))
        labels.append(t)
    return texts, labels
