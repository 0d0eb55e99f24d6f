"""Agentic elicitation: does a prompt ask for a whole agent trajectory in one response, or carry
pasted project state for the next step of a decomposed long project?

Real agents run a tool loop: the model emits one call, the client executes it and sends the
result back in the next turn. An operation harvesting agentic capability cheaply skips the loop
and asks the model to *write out* the loop — plan, every call with its arguments, the results it
expects, error handling and the final answer — in a single response (``trajectory``). A long
project harvested piece by piece arrives as many one-turn requests, each with the project's
state pasted into the prompt instead of a conversation history (``state_carry``).

Two binary linear models over the shared character n-gram features (multilingual,
paraphrase-robust, no phrase list), trained by :mod:`distillguard.signals.train` and shipped in
``data/models/agentic.npz``. Positives are instructions written for this project in twelve
languages (``data/agentic_train.jsonl``) wrapped around real agent and software tasks
(τ²-bench scenarios, BFCL live queries, SWE-Lancer issues) or around generated project-state
blocks; negatives are the same real tasks as users send them, ordinary agent, coding and tool-
result turns (generated tool outputs and bare state blocks), prompts that paste notes for another
purpose (summarise, find risks), and the other seed sets. A separately written held-out set
(``data/agentic_heldout.jsonl``) measures generalisation to unseen phrasings.
"""

from __future__ import annotations

import random
from functools import cache
from typing import ClassVar

import numpy as np
import pyarrow as pa

from distillguard.signals import corpora
from distillguard.signals._model import LinearTextModel, fit, shipped
from distillguard.signals._scoring import decisions
from distillguard.signals._text import distinct_prompts, expand
from distillguard.signals.base import RequestSignal

__all__ = ["AgenticSignal", "build_examples", "heldout_examples", "models", "train"]

ALPHA = 1e-4  # L2 strength, the elicitation models' value (not tuned on the held-out set)
PAYLOAD_CHARS = 1200  # real task text is clipped: instructions sit at the head or the tail
TASK_SAMPLE = 250  # real prompts per other corpus used as negatives

_FILES = ("src/api/client.ts", "app/models.py", "lib/parser.rs", "cmd/main.go", "web/index.tsx")
_STATUS = ("done", "in progress", "blocked", "todo")


def _is_heldout(text: str) -> bool:
    from distillguard.signals.capability import is_holdout  # one split rule for every model

    return is_holdout(text)


@cache
def _tasks(heldout: bool) -> tuple[str, ...]:
    """Real agent and software tasks used as payloads (the held-out side of the split when
    ``heldout``): τ²-bench scenarios, BFCL live queries, SWE-Lancer issues."""
    pool = corpora.tau2() + corpora.bfcl_live() + corpora.swe_lancer()
    return tuple(t[:PAYLOAD_CHARS] for t in pool if _is_heldout(t) == heldout)


def _names() -> list[str]:
    """Work-item names for generated state blocks: HumanEval entry points and SWE-Lancer titles."""
    names = [p.split("def ", 1)[1].split("(", 1)[0] for p in corpora.humaneval() if "def " in p]
    titles = [t.splitlines()[0][:80] for t in corpora.swe_lancer()[:300]]
    return (names + titles) or ["parse config", "add retries", "write tests", "update docs"]


def state_block(rng: random.Random, goal: str, names: list[str]) -> str:
    """A pasted project state in one of several layouts (checklist, YAML, JSON, prose): goal,
    finished and open items, files touched, decisions. Varied so the models learn the framing
    around a state block, not one layout."""
    done = rng.sample(names, rng.randint(2, 6))
    todo = rng.sample(names, rng.randint(1, 4))
    files = rng.sample(_FILES, rng.randint(1, 3))
    goal = goal.splitlines()[0][:160]
    style = rng.randrange(4)
    if style == 0:
        lines = [f"## Goal\n{goal}", "## Progress"]
        lines += [f"- [x] {d}" for d in done] + [f"- [ ] {t}" for t in todo]
        lines.append("## Files\n" + "\n".join(files))
    elif style == 1:
        lines = [f"objective: {goal}", "completed:"] + [f"  - {d}" for d in done]
        lines += ["remaining:"] + [f"  - {t}" for t in todo] + [f"touched: [{', '.join(files)}]"]
    elif style == 2:
        items = ", ".join(f'{{"task": "{n}", "status": "{rng.choice(_STATUS)}"}}' for n in done)
        lines = [f'{{"goal": "{goal}", "step": {len(done)}, "items": [{items}]}}']
    else:
        lines = [
            f"Goal: {goal}. So far we finished {', '.join(done)}.",
            f"Decided to keep {files[0]} as the entry point. Still open: {', '.join(todo)}.",
        ]
    return "\n".join(lines)


# How clients label a tool's output when they send it back (a real loop's next turn).
_OUTPUT_LABELS = (
    "",
    "Output:\n",
    "Observation: ",
    "returned:\n",
    "stdout:\n",
    "结果：\n",
    "Ergebnis:\n",
)


def tool_outputs(rng: random.Random, names: list[str], count: int) -> list[str]:
    """What a real tool loop sends back: function results, listings, test and git output, and
    bare state blocks with no request attached. Negatives for both models: data alone, however
    much it looks like project state, does not ask for a next step."""
    out = []
    for _ in range(count):
        kind = rng.randrange(4)
        if kind == 0:
            body = state_block(rng, rng.choice(names), names)
        elif kind == 1:
            files = rng.sample(_FILES, rng.randint(1, 4))
            body = f'{{"matches": {rng.randint(0, 40)}, "files": {files}}}'.replace("'", '"')
        elif kind == 2:
            body = f"{rng.randint(0, 9)} failed, {rng.randint(5, 200)} passed in 3.2s"
        else:
            body = f"On branch main\nmodified: {rng.choice(_FILES)}\nexit code {rng.randint(0, 2)}"
        out.append(rng.choice(_OUTPUT_LABELS) + body)
    return out


def wrap(row: dict[str, str], rng: random.Random, *, heldout: bool = False) -> list[str]:
    """Instances of one instruction row: alone, around real tasks, or around state blocks."""
    attach, instr = row.get("attach", "none"), row["text"]
    tasks = _tasks(heldout) or ("Find the cheapest flight from Lisbon to Oslo next Friday.",)
    if attach == "none":
        return [instr]
    out = []
    if attach == "task":
        for k in range(4):
            task = rng.choice(tasks)
            forms = (
                f"{instr}\n\n{task}",
                f"{task}\n\n{instr}",
                f"{instr}\n\nTask:\n{task}",
                f"{task}\n---\n{instr}",
            )
            out.append(forms[k])
        return out
    names = _names()
    for _ in range(4):
        goal = rng.choice(tasks)
        n = rng.randint(2, 30)
        text = instr.replace("{n}", str(n)).replace("{m}", str(n + 1))
        out.append(text.replace("{state}", state_block(rng, goal, names)))
    return out


def _label_rows(
    rows: list[dict[str, str]], seed: int, heldout: bool
) -> tuple[list[str], np.ndarray, np.ndarray]:
    rng = random.Random(seed)
    texts: list[str] = []
    traj: list[int] = []
    state: list[int] = []
    for row in rows:
        for t in wrap(row, rng, heldout=heldout):
            texts.append(t)
            traj.append(int(row["kind"] == "traj"))
            state.append(int(row["kind"] == "state"))
    return texts, np.array(traj, dtype=np.int64), np.array(state, dtype=np.int64)


def corpus_negatives(seed: int = 0) -> list[str]:
    """Real prompts and the other seed sets, none of which asks for a written-out trajectory:
    agent and software tasks as users send them, code, writing, maths, chat."""
    rng = random.Random(seed)
    # Every training-side task as sent: each payload the positives wrap is also a negative on its
    # own, so the models learn the wrapper, not the corpus the payload came from.
    out: list[str] = list(_tasks(False))
    pools = [
        corpora.humaneval(),
        corpora.writingbench(),
        [q for q, _ in corpora.gsm8k()],
        corpora.truthfulqa(),
    ]
    for pool in pools:
        out.extend(rng.sample(pool, min(len(pool), TASK_SAMPLE)))
    # Long-horizon seeds are left out: some of them resume from a memory file, which is the
    # boundary this model draws, and they are the capability model's examples, not ours.
    out.extend(
        r["text"]
        for r in corpora.package_data("capability_seeds.jsonl")
        if r["cap"] != "long_horizon"
    )
    out.extend(r["text"] for r in corpora.package_data("elicitation_train.jsonl"))
    out.extend(tool_outputs(rng, _names(), TASK_SAMPLE))
    return out


def build_examples(seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Training texts with ``trajectory`` and ``state_carry`` 0/1 labels."""
    texts, traj, state = _label_rows(corpora.package_data("agentic_train.jsonl"), seed, False)
    neg = corpus_negatives(seed)
    zeros = np.zeros(len(neg), dtype=np.int64)
    return texts + neg, np.concatenate([traj, zeros]), np.concatenate([state, zeros])


def heldout_examples(seed: int = 1) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The separately written held-out phrasings around held-out task payloads."""
    return _label_rows(corpora.package_data("agentic_heldout.jsonl"), seed, True)


@cache
def models() -> tuple[LinearTextModel, LinearTextModel]:
    """The shipped (trajectory, state_carry) models (trained by :func:`train`)."""
    traj, state = shipped("agentic")
    return traj, state


def train() -> list[LinearTextModel]:
    """Fit both models from the seed sets and the corpora (see ``make models``)."""
    texts, traj, state = build_examples()
    return [
        fit(texts, [str(v) for v in traj], alpha=ALPHA),
        fit(texts, [str(v) for v in state], alpha=ALPHA),
    ]


class AgenticSignal(RequestSignal):
    """``trajectory`` (asks for a whole agent run written out in one response) and
    ``state_carry`` (pastes a long project's state and asks for its next step), probabilities
    in [0, 1]."""

    name: ClassVar[str] = "agentic"
    description: ClassVar[str] = (
        "asks for a whole agent trajectory in one response, or carries pasted project state "
        "for the next step of a long project"
    )
    outputs: ClassVar[dict[str, pa.DataType]] = {
        "trajectory": pa.float32(),
        "state_carry": pa.float32(),
    }

    def scores(self, distinct: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """(trajectory, state_carry) probabilities for distinct prompts."""
        if len(distinct) == 0:
            return np.zeros(0), np.zeros(0)
        z = decisions(distinct)
        return LinearTextModel.link(z["trajectory"]), LinearTextModel.link(z["state_carry"])

    def compute(self, table: pa.Table) -> pa.Table:
        distinct, idx = distinct_prompts(table)
        p_t, p_s = self.scores(distinct)
        return pa.table(
            {
                "trajectory": expand(pa.array(p_t, pa.float32()), idx),
                "state_carry": expand(pa.array(p_s, pa.float32()), idx),
            }
        )
