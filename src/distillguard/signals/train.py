"""Train the text models from the corpus packages and write them into the package (``make models``).

``python -m distillguard.signals.train [DIR]`` fits the capability, elicitation and agentic
models (deterministic: seeded SGD on a fixed selection) and writes ``capability.npz``,
``elicitation.npz``, ``agentic.npz`` and ``manifest.json`` (the corpus versions used) to ``DIR``
(default: the package's ``data/models``). It refuses to train without every corpus package,
because a model trained on less text would silently be a different, weaker model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from distillguard.errors import ConfigError
from distillguard.signals import agentic, capability, elicitation
from distillguard.signals._model import MODEL_DIR, save
from distillguard.signals._text import FEATURE_BITS
from distillguard.signals.corpora import install_hint, installed_corpora, missing_corpora

MODELS_VERSION = 1


def train_all(directory: Path = MODEL_DIR) -> dict[str, object]:
    """Train every shipped model into ``directory``; return the manifest written beside them."""
    missing = missing_corpora()
    if missing:
        raise ConfigError(f"training needs the corpus packages: {install_hint(missing)}")
    save("capability", [capability.train()], directory)
    save("elicitation", elicitation.train(), directory)
    save("agentic", agentic.train(), directory)
    doc: dict[str, object] = {
        "models_version": MODELS_VERSION,
        "feature_bits": FEATURE_BITS,
        "corpora": installed_corpora(),
        "models": ["capability", "elicitation", "agentic"],
    }
    (directory / "manifest.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return doc


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0]) if args else MODEL_DIR
    print(json.dumps(train_all(directory)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
