"""Trained text models are kept on disk, so a run does not retrain them, and give the same
answers from the cache as when freshly trained."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from distillguard.signals._model import LinearTextModel, stored


def _model(seed: int) -> LinearTextModel:
    rng = np.random.default_rng(seed)
    return LinearTextModel(
        weights=rng.normal(size=(16, 3)).astype(np.float32),
        cue_weights=rng.normal(size=(2, 3)),
        intercept=rng.normal(size=3),
        classes=("coding", "writing", "reasoning_math"),
    )


def test_a_stored_model_is_reused_and_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISTILLGUARD_CACHE", str(tmp_path))
    calls: list[int] = []

    def train() -> list[LinearTextModel]:
        calls.append(1)
        return [_model(1), _model(2)]

    first = stored("demo", train)
    second = stored("demo", train)
    assert len(calls) == 1  # the second run read the cache
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a.weights, b.weights) and a.weights.dtype == b.weights.dtype
        assert np.array_equal(a.cue_weights, b.cue_weights)
        assert np.array_equal(a.intercept, b.intercept)
        assert a.classes == b.classes


def test_an_unusable_cache_means_training_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("DISTILLGUARD_CACHE", str(blocker))
    assert stored("demo", lambda: [_model(3)])[0].classes[0] == "coding"
    (tmp_path / "c").mkdir()
    monkeypatch.setenv("DISTILLGUARD_CACHE", str(tmp_path / "c"))
    stored("demo", lambda: [_model(3)])
    for f in (tmp_path / "c").glob("*.npz"):
        f.write_bytes(b"corrupt")
    assert stored("demo", lambda: [_model(4)])[0].intercept.shape == (3,)
