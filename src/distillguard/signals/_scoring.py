"""One pass over distinct prompts for every text model: featurise each batch once, multiply by
the stacked weights of the elicitation, trace-reconstruction, capability, trajectory and
state-carry models, and cache the raw scores so every signal reads them."""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa

from distillguard.signals._model import LinearTextModel
from distillguard.signals._text import features, map_batches


@cache
def _bank() -> tuple[np.ndarray, tuple[LinearTextModel, ...]]:
    from distillguard.signals import agentic, capability, elicitation  # they import this module

    e, t = elicitation.models()
    traj, state = agentic.models()
    models = (e, t, capability.model(), traj, state)
    return np.ascontiguousarray(np.hstack([m.weights for m in models])), models


_NAMES = ("elicitation", "trace", "capability", "trajectory", "state_carry")
_CACHE: list[tuple[pa.Array, dict[str, np.ndarray]]] = []


def _batch(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    from distillguard.signals.elicitation import answer_cue

    weights, _ = _bank()
    scores: np.ndarray = features(texts) @ weights
    return scores, answer_cue(texts)


def decisions(distinct: pa.Array) -> dict[str, np.ndarray]:
    """Raw decision scores of each model for ``distinct`` prompts (``elicitation``, ``trace``,
    ``trajectory``, ``state_carry``: ``(n, 1)``; ``capability``: ``(n, k)``), cached by identity
    of ``distinct``."""
    for arr, out in _CACHE:
        if arr is distinct:
            return out
    weights, models = _bank()
    parts = map_batches(_batch, distinct)
    scores = np.vstack([p[0] for p in parts]) if parts else np.zeros((0, weights.shape[1]))
    cues = np.vstack([p[1] for p in parts]) if parts else np.zeros((0, 1))
    result: dict[str, np.ndarray] = {}
    col = 0
    for name, m in zip(_NAMES, models, strict=True):
        k = m.weights.shape[1]
        cue = cues if m.cue_weights.shape[0] else np.zeros((len(scores), 0))
        result[name] = m.decision(scores[:, col : col + k].astype(np.float64), cue)
        col += k
    _CACHE[:] = [(distinct, result)]
    return result
