"""Reasoning-trace elicitation: held-out multilingual paraphrases caught, ordinary prompts not."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa

from distillguard.signals import ElicitationSignal, corpora, elicitation


def _heldout() -> tuple[list[str], np.ndarray, np.ndarray, list[str], list[str]]:
    rows = corpora.package_data("elicitation_heldout.jsonl")
    texts, el, tr = elicitation.build_examples(
        rows, corpora.gsm8k()[elicitation.GSM8K_TRAIN :], seed=1
    )
    rng = random.Random(0)
    per_row = [len(elicitation.wrap(r, [("q", "a")], rng)) for r in rows]
    langs = [r["lang"] for r, n in zip(rows, per_row, strict=True) for _ in range(n)]
    attach = [r["attach"] for r, n in zip(rows, per_row, strict=True) for _ in range(n)]
    return texts, el, tr, langs, attach


def test_heldout_paraphrases_are_not_in_training_data() -> None:
    train = {r["text"] for r in corpora.package_data("elicitation_train.jsonl")}
    held = {r["text"] for r in corpora.package_data("elicitation_heldout.jsonl")}
    assert not train & held


def test_heldout_multilingual_paraphrases_score_high() -> None:
    texts, el, tr, langs, attach = _heldout()
    p_e, p_t = ElicitationSignal().scores(pa.array(texts))
    pos = el == 1
    assert (p_e[pos] > 0.5).mean() >= 0.85  # recall
    assert (el[p_e > 0.5] == 1).mean() >= 0.9  # precision
    plain_neg = ~pos & (np.asarray(attach) == "none")
    assert (p_e[plain_neg] > 0.5).mean() <= 0.2
    caught = {lang for lang, p, y in zip(langs, p_e, el, strict=True) if y and p > 0.5}
    assert len(caught) >= 8
    # trace reconstruction: supplied-answer requests caught
    assert (p_t[tr == 1] > 0.5).mean() >= 0.85


def test_ordinary_prompts_with_steps_and_explain_are_not_elicitation() -> None:
    prompts = [
        "List the steps to install nginx on Debian 12.",
        "Summarise this reasoning paper: 'Chain-of-thought prompting elicits reasoning in LLMs'.",
        "Explain in one sentence what DNS is.",
        "What steps should I take to apply for a Schengen visa?",
        "Wie installiere ich Python unter Windows? Bitte nur die Schritte auflisten.",
        "请列出申请护照的步骤。",
        "Напиши письмо клиенту о задержке доставки.",
    ]
    p_e, _ = ElicitationSignal().scores(pa.array(prompts))
    assert (p_e < 0.5).mean() >= 6 / 7


def test_real_corpus_prompts_mostly_low() -> None:
    pool = corpora.swe_lancer()[-50:] + corpora.bfcl_live()[-100:] + corpora.truthfulqa()[-50:]
    p_e, p_t = ElicitationSignal().scores(pa.array(pool))
    assert (p_e > 0.5).mean() < 0.1
    assert (p_t > 0.5).mean() < 0.05


def test_eval_style_step_by_step_counts_as_elicitation_not_reconstruction() -> None:
    q = corpora.gsm8k()[-1][0]
    p_e, p_t = ElicitationSignal().scores(pa.array([f"{q}\nLet's think step by step."]))
    assert p_e[0] > 0.5
    assert p_t[0] < p_e[0]
