"""Signals: per-request features (reasoning-trace elicitation, capability, prompt skeleton
fingerprints, language), vectorised over Arrow batches.

``compute_request_signals(table)`` runs every signal in ``REQUEST_SIGNALS`` and returns one
feature table; ``summarise_by_account(features, account_ids)`` rolls it up per account.
:mod:`distillguard.signals.shards` computes the same table shard by shard and merges it (the
route a distributed engine runs on its executors).
"""

from distillguard.signals.base import RequestSignal
from distillguard.signals.capability import CAPABILITIES, CapabilitySignal
from distillguard.signals.elicitation import ElicitationSignal
from distillguard.signals.lang import LangSignal
from distillguard.signals.registry import (
    FEATURE_COLUMNS,
    REQUEST_SIGNALS,
    compute_request_signals,
)
from distillguard.signals.skeleton import SkeletonIndex, SkeletonSignal
from distillguard.signals.summary import summarise_by_account

__all__ = [
    "CAPABILITIES",
    "FEATURE_COLUMNS",
    "REQUEST_SIGNALS",
    "CapabilitySignal",
    "ElicitationSignal",
    "LangSignal",
    "RequestSignal",
    "SkeletonIndex",
    "SkeletonSignal",
    "compute_request_signals",
    "summarise_by_account",
]
