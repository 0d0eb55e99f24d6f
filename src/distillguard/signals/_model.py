"""A tiny linear text model over hashed character n-grams, trained at first use and cached."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from scipy import sparse

from distillguard.signals._text import training_matrix


@dataclass(frozen=True)
class LinearTextModel:
    """Weights ``(N_FEATURES, k)`` over n-gram columns, extra dense-cue weights ``(m, k)``,
    intercepts ``(k,)`` and class names; one-vs-rest probabilities via the logistic link
    (binary models have ``k == 1``)."""

    weights: np.ndarray
    cue_weights: np.ndarray
    intercept: np.ndarray
    classes: tuple[str, ...]

    def decision(self, ngram_scores: np.ndarray, cues: np.ndarray) -> np.ndarray:
        """Raw scores ``(n, k)`` from ``X @ weights`` (computed elsewhere) and the cues."""
        out: np.ndarray = ngram_scores + cues @ self.cue_weights + self.intercept
        return out

    @staticmethod
    def link(z: np.ndarray) -> np.ndarray:
        """Class probabilities: ``(n,)`` for a binary model, ``(n, k)`` (rows sum to 1) else."""
        if z.shape[1] == 1:
            p: np.ndarray = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return p
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        probs: np.ndarray = e / e.sum(axis=1, keepdims=True)
        return probs


def fit(
    texts: list[str], labels: list[str], cues: np.ndarray | None = None, *, alpha: float = 2e-5
) -> LinearTextModel:
    """Fit a logistic-loss linear model (one-vs-rest, averaged SGD, seeded: deterministic and a
    second or two) on the classifier features of ``texts``."""
    from sklearn.linear_model import SGDClassifier  # ~4 s to import: only when training

    x = training_matrix(pa.array(texts, pa.string()))
    cue = np.zeros((len(texts), 0)) if cues is None else cues
    xa = sparse.hstack([x, sparse.csr_matrix(cue)]).tocsr()
    clf = SGDClassifier(
        loss="log_loss",
        alpha=alpha,
        max_iter=30,
        tol=None,
        class_weight="balanced",
        average=True,
        random_state=0,
    )
    clf.fit(xa, np.asarray(labels))
    coef = np.asarray(clf.coef_, dtype=np.float64).T  # (features + cues, k)
    n = x.shape[1]
    return LinearTextModel(
        weights=np.ascontiguousarray(coef[:n]).astype(np.float32),
        cue_weights=coef[n:],
        intercept=np.asarray(clf.intercept_, dtype=np.float64),
        classes=tuple(str(k) for k in clf.classes_),
    )
