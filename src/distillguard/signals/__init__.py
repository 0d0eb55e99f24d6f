"""Signals: per-request features (reasoning-trace elicitation, capability, prompt skeleton
fingerprints, language, length), vectorised over Arrow batches.

Each signal is a self-describing :class:`RequestSignal` (name, description, typed output
columns) registered in one line of :data:`REQUEST_SIGNALS`. ``compute_request_signals(table)``
runs them all and returns one feature table (layout: :func:`feature_schema`). Stage functions:
:func:`sample_request_signals` scores a bounded per-account sample and
:func:`summarise_by_account` joins its per-account summary to the account table.
:mod:`distillguard.signals.shards` computes the same table shard by shard and merges it (the
route a distributed engine runs on its executors).
"""

from distillguard.signals.base import RequestSignal
from distillguard.signals.capability import CAPABILITIES, CapabilitySignal
from distillguard.signals.elicitation import ElicitationSignal
from distillguard.signals.lang import LangSignal
from distillguard.signals.registry import (
    REQUEST_SIGNALS,
    PromptLengthSignal,
    check_signals,
    compute_request_signals,
    feature_schema,
)
from distillguard.signals.sample import evenly_spaced_sample
from distillguard.signals.skeleton import SkeletonIndex, SkeletonSignal
from distillguard.signals.stage import (
    SAMPLE_COLUMNS,
    SignalRunner,
    in_process_signals,
    sample_request_signals,
    sample_size,
)
from distillguard.signals.summary import content_summary, summarise_by_account

__all__ = [
    "CAPABILITIES",
    "REQUEST_SIGNALS",
    "SAMPLE_COLUMNS",
    "CapabilitySignal",
    "ElicitationSignal",
    "LangSignal",
    "PromptLengthSignal",
    "RequestSignal",
    "SignalRunner",
    "SkeletonIndex",
    "SkeletonSignal",
    "check_signals",
    "compute_request_signals",
    "content_summary",
    "evenly_spaced_sample",
    "feature_schema",
    "in_process_signals",
    "sample_request_signals",
    "sample_size",
    "summarise_by_account",
]
