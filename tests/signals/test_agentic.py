"""The agentic signal ranks prompts that ask for a whole agent run in one response, or paste a
long project's state for its next step, above ordinary agent, coding and tool-result prompts —
in several languages and in phrasings it was never trained on, including another generator's."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from distillguard.signals import compute_request_signals, corpora
from distillguard.signals.agentic import AgenticSignal, heldout_examples

ROOT = Path(__file__).resolve().parents[2]

needs_corpora = pytest.mark.skipif(
    bool(corpora.missing_corpora()), reason="needs the corpus packages"
)


def _scores(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    return AgenticSignal().scores(pa.array(texts, pa.string()))


def _ranked_above(pos: np.ndarray, neg: np.ndarray) -> float:
    """Share of (positive, negative) pairs in which the positive scores higher (ROC AUC)."""
    return float((pos[:, None] > neg[None, :]).mean())


# Written for this test (neither training nor held-out file): one trajectory request and one
# state-carrying request per language, and ordinary agent/coding requests in the same languages.
TRAJECTORY = {
    "en": "Skip the back-and-forth: in this one reply, show each function you'd call, the exact "
    "arguments, the JSON you expect it to return, what you'd do if it errored, and your final "
    "message to the customer.\n\nCustomer wants to move their flight to Sunday and keep the seat.",
    "zh": "不用等工具真正返回。请在这一条回复里写出处理该请求的所有函数调用、"
    "参数、你预计的返回内容、出错后的处理，以及最后对用户说的话。\n\n"
    "用户想把周五的航班改到周日。",
    "es": "No necesito que ejecutes nada: escribe en esta respuesta todas las llamadas a funciones "
    "con sus argumentos, el resultado que esperas de cada una y cómo actuarías ante un error, "
    "hasta la respuesta final.\n\nEl cliente quiere devolver un pedido.",
    "de": "Du musst nichts ausführen: Schreib in dieser einen Antwort alle Funktionsaufrufe mit "
    "Argumenten, die erwarteten Rückgaben, was du bei einem Fehler tust, und die "
    "Schlussantwort.\n\nDer Kunde möchte seine Lieferadresse ändern.",
    "ru": "Ничего не запускай: в одном ответе распиши все вызовы функций с аргументами, что, по-"
    "твоему, они вернут, что делать при ошибке, и финальный ответ.\n\nКлиент хочет вернуть заказ.",
}
STATE_CARRY = {
    "en": "New thread, same project. Saved context:\n- [x] auth endpoints\n- [x] db schema\n"
    "- [ ] rate limiting\n- [ ] admin UI\nfiles: api/auth.py, db/models.py\n"
    "Go on with the first unchecked item, then print the context again updated.",
    "ja": "新しいチャットです。保存したコンテキスト：\n- [x] 認証API\n"
    "- [x] DBスキーマ\n- [ ] レート制限\n"
    "次の未完了項目に取り組み、最後に更新したコンテキストを出力してください。",
    "pt": "Chat novo, mesmo projeto. Contexto salvo:\n- [x] login\n- [x] esquema do banco\n"
    "- [ ] limite de requisições\nSiga com o próximo item aberto e devolva o contexto atualizado.",
}
ORDINARY = [
    "Move my flight from Friday to Sunday and keep my seat if possible.",
    "Use the weather tool to get tomorrow's forecast for Porto.",
    "Write a function that returns the n-th Fibonacci number iteratively.",
    "Why does this test fail with KeyError: 'user'? Here is the traceback.",
    "The search returned three hotels under 120 EUR. Book the one closest to the station.",
    "用户想把周五的航班改到周日，请帮忙处理。",
    "El cliente quiere devolver un pedido. ¿Qué necesito saber?",
    "Schreib eine Funktion, die eine CSV-Datei einliest.",
    "Клиент хочет вернуть заказ. Оформи возврат.",
    "このバグを直してください。",
    "Corrija o erro de login descrito no chamado.",
]


def test_trajectory_and_state_prompts_rank_above_ordinary_ones_in_five_languages() -> None:
    traj, _ = _scores(list(TRAJECTORY.values()))
    _, state = _scores(list(STATE_CARRY.values()))
    t_neg, s_neg = _scores(ORDINARY)
    assert _ranked_above(traj, t_neg) >= 0.9
    assert _ranked_above(state, s_neg) >= 0.9
    assert (t_neg < 0.5).mean() >= 0.9 and (s_neg < 0.5).mean() >= 0.9
    # Every language of the paraphrases scores above the median ordinary prompt.
    assert (traj > np.median(t_neg)).all() and (state > np.median(s_neg)).all()


@needs_corpora
def test_held_out_phrasings_generalise() -> None:
    texts, traj, state = heldout_examples()
    p_t, p_s = _scores(texts)
    plain = (traj == 0) & (state == 0)
    assert _ranked_above(p_t[traj == 1], p_t[plain]) >= 0.9
    # Pasted notes with another purpose ("group these into themes") are the state model's known
    # weak spot (docs/signals.md): it ranks less cleanly than the trajectory model.
    assert _ranked_above(p_s[state == 1], p_s[plain]) >= 0.85
    assert (p_t[traj == 1] > 0.5).mean() >= 0.7
    assert (p_s[state == 1] > 0.5).mean() >= 0.7


@needs_corpora
def test_real_agent_and_software_tasks_as_users_send_them_score_low() -> None:
    pool = corpora.tau2()[:60] + corpora.bfcl_live()[:200] + corpora.swe_lancer()[:100]
    p_t, p_s = _scores(pool)
    assert (p_t > 0.5).mean() <= 0.05
    assert (p_s > 0.5).mean() <= 0.05


def test_held_out_phrasings_are_not_in_training() -> None:
    train = {r["text"] for r in corpora.package_data("agentic_train.jsonl")}
    held = {r["text"] for r in corpora.package_data("agentic_heldout.jsonl")}
    assert held and not held & train


def _ngrams(text: str, n: int = 6) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_training_framings_share_no_phrase_with_the_simulator_or_the_holdout() -> None:
    ours: set[str] = set()
    for name in ("agentic_train.jsonl", "agentic_heldout.jsonl"):
        for row in corpora.package_data(name):
            ours |= _ngrams(row["text"])
    theirs: set[str] = set()
    for folder in (ROOT / "src/distillguard/simulate", ROOT / "benchmarks/holdout"):
        for path in folder.rglob("*.py"):
            theirs |= _ngrams(path.read_text(encoding="utf-8"))
    shared = ours & theirs
    assert not shared, sorted(shared)[:5]


@needs_corpora
def test_another_generators_phrasing_scores_out_of_distribution() -> None:
    # The independent holdout generator's long-horizon wrappers (never read while writing the
    # training data) around real tau2 scenarios, against its real tool-loop follow-up turns.
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.holdout import phrasing
    finally:
        sys.path.remove(str(ROOT))
    tasks = corpora.tau2()[:20]
    wrapped = [pre + t[:800] + post for pre, post in phrasing.HORIZON for t in tasks]
    p_wrapped, _ = _scores(wrapped)
    p_follow, s_follow = _scores(list(phrasing.AGENT_FOLLOWUPS))
    assert np.median(p_wrapped) > 0.5
    assert np.median(p_follow) < 0.1 and np.median(s_follow) < 0.1
    assert _ranked_above(p_wrapped, p_follow) >= 0.85


def test_the_signal_is_registered_with_typed_outputs_and_null_for_null_prompts() -> None:
    table = pa.table({"request_id": ["a", "b"], "prompt": pa.array([TRAJECTORY["en"], None])})
    feats = compute_request_signals(table)
    assert feats.schema.field("trajectory").type == pa.float32()
    assert feats.schema.field("state_carry").type == pa.float32()
    assert feats.column("trajectory").to_pylist()[1] is None
    assert feats.column("trajectory").to_pylist()[0] > 0.5


def test_an_account_with_one_or_two_sampled_requests_gets_no_agentic_share() -> None:
    import polars as pl

    from distillguard.signals.summary import content_summary

    sample = pl.DataFrame(
        {
            "idx": [0, 1, 1, 1],
            "elicitation": [0.0] * 4,
            "trace_reconstruction": [0.0] * 4,
            "trajectory": [0.9, 0.9, 0.1, 0.1],
            "state_carry": [0.9, 0.0, 0.0, 0.0],
            "template_id": [1, 2, 3, 4],
            "capability": ["agentic_tool_use"] * 4,
        }
    )
    summary = content_summary(sample).sort("idx")
    assert summary["trajectory_share"].to_list()[0] is None  # one request is no evidence
    assert summary["trajectory_share"].to_list()[1] == pytest.approx(1 / 3)
