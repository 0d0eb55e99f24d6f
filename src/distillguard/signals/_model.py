"""A tiny linear text model over hashed character n-grams, shipped trained inside the package.

Training reads the corpus packages (installed only for development and ``simulate``) and imports
scikit-learn, so it happens once, by ``python -m distillguard.signals.train``; the weights are
versioned under ``data/models`` and :func:`shipped` loads them (every ``detect``, every Spark
worker), so an installed wheel detects out of the box.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from scipy import sparse

from distillguard.errors import ConfigError
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


MODEL_DIR = Path(__file__).parent / "data" / "models"
MANIFEST = MODEL_DIR / "manifest.json"


def model_path(name: str) -> Path:
    """Where the shipped weights of model ``name`` live inside the package."""
    return MODEL_DIR / f"{name}.npz"


def save(name: str, models: list[LinearTextModel], directory: Path = MODEL_DIR) -> Path:
    """Write ``models`` as ``directory/name.npz`` (compressed, no pickles; atomic replace)."""
    arrays: dict[str, np.ndarray] = {"n": np.array(len(models))}
    for i, m in enumerate(models):
        arrays |= {
            f"w{i}": m.weights,
            f"c{i}": m.cue_weights,
            f"b{i}": m.intercept,
            f"k{i}": np.array(m.classes),
        }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.npz"
    with tempfile.NamedTemporaryFile(dir=directory, suffix=".npz", delete=False) as fh:
        save_npz: Any = np.savez_compressed  # numpy's stub types **kwds as its own keywords
        save_npz(fh, **arrays)
    os.chmod(fh.name, 0o644)  # a package file, not a private temp file
    os.replace(fh.name, path)
    return path


def load(path: Path) -> list[LinearTextModel]:
    """Models from a file written by :func:`save`."""
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


def shipped(name: str) -> list[LinearTextModel]:
    """The trained models ``name`` shipped inside the package (``data/models``).

    Detection never trains and never needs the corpus packages: the weights are trained once by
    ``python -m distillguard.signals.train`` (``make models``) and versioned with the code; a
    test retrains them from the corpora and checks they are the same.
    """
    path = model_path(name)
    try:
        return load(path)
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ConfigError(
            f"the shipped signal model {name!r} is missing or unreadable ({exc}); "
            "reinstall distillguard (developers: make models)",
            source=str(path),
        ) from exc


def manifest() -> dict[str, Any]:
    """What the shipped models were trained from (``data/models/manifest.json``)."""
    doc: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return doc
