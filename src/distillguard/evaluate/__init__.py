"""Evaluate: score detections against simulator ground truth.

Reads only files: the simulator's ``labels.csv``, ``request_labels.parquet`` and request log, and a
detections directory (``accounts.csv``, ``campaigns.json``). :func:`evaluate` computes the figures,
:func:`check_bar` compares them with the acceptance :class:`Bar`, and :func:`replay` measures time
to detection by re-running a detector on the log truncated day by day.
"""

from distillguard.evaluate.bar import Bar, Check, check_bar
from distillguard.evaluate.metrics import (
    DetectedCampaignResult,
    Evaluation,
    PersonaRate,
    TrueCampaignResult,
    evaluate,
)
from distillguard.evaluate.replay import DetectionTime, Detector, ReplayResult, replay

__all__ = [
    "Bar",
    "Check",
    "DetectedCampaignResult",
    "DetectionTime",
    "Detector",
    "Evaluation",
    "PersonaRate",
    "ReplayResult",
    "TrueCampaignResult",
    "check_bar",
    "evaluate",
    "replay",
]
