"""Simulate: labelled API traffic with legitimate personas and distillation campaigns, for tests
and benchmarks. Detector code never imports this package.

``simulate(preset, scale=, seed=, out=)`` writes ``requests/`` (or ``requests.jsonl.gz``),
``labels.csv``, ``request_labels.parquet`` and ``manifest.json``. Personas live in
:mod:`.personas`, campaign tactics in :mod:`.tactics`, scenarios in :mod:`.presets`.
"""

from distillguard.simulate.personas import PERSONAS
from distillguard.simulate.presets import PRESETS, Preset
from distillguard.simulate.run import CohortSummary, Manifest, simulate
from distillguard.simulate.tactics import TACTICS, Campaign, Tactic

__all__ = [
    "PERSONAS",
    "PRESETS",
    "TACTICS",
    "Campaign",
    "CohortSummary",
    "Manifest",
    "Preset",
    "Tactic",
    "simulate",
]
