"""Linkage: evidence edges between accounts that look like one operator.

Each linker is a small self-describing class (:class:`Linker`: family, reliability, description,
output columns) registered by id in :data:`LINKERS`; which linkers run, and with what
parameters, is plain data checked at start-up (:func:`build_linkers`), so a deployment can tune
or extend the set from configuration. Every linker returns the same edge table
(``a, b, family, weight``); :func:`link_accounts` is the stage function.
"""

from __future__ import annotations

import time

import polars as pl

from distillguard.linkage.base import EDGE_SCHEMA, LinkContext, Linker, empty_edges
from distillguard.linkage.coverage import CoverageLinker
from distillguard.linkage.dense import DenseBlockLinker
from distillguard.linkage.registry import (
    LINKERS,
    build_linkers,
    default_linkage,
    family_description,
    reliability,
)
from distillguard.linkage.shared_keys import (
    ClientLinker,
    EmailLinker,
    NetworkLinker,
    PaymentLinker,
    SharedKeyLinker,
    SignupLinker,
)
from distillguard.linkage.similar import TemplateLinker, TwinLinker
from distillguard.linkage.sync import SyncLinker
from distillguard.linkage.system_prompt import SystemPromptLinker


def link_accounts(
    ctx: LinkContext,
    linkers: list[Linker] | None = None,
    seconds: dict[str, float] | None = None,
) -> pl.DataFrame:
    """Stage function: run every linker (default: :func:`build_linkers`) over ``ctx`` and stack
    their edges (``a, b, family, weight``). ``seconds``, when given, receives each family's
    wall time, so a run's summary shows which evidence costs what."""
    frames = []
    for lk in linkers if linkers is not None else build_linkers():
        start = time.perf_counter()
        edges = lk.link(ctx)
        if seconds is not None:
            spent = seconds.get(lk.family, 0.0) + time.perf_counter() - start
            seconds[lk.family] = round(spent, 3)
        if not edges.is_empty():
            frames.append(edges)
    return pl.concat(frames) if frames else empty_edges()


__all__ = [
    "EDGE_SCHEMA",
    "LINKERS",
    "ClientLinker",
    "CoverageLinker",
    "DenseBlockLinker",
    "EmailLinker",
    "LinkContext",
    "Linker",
    "NetworkLinker",
    "PaymentLinker",
    "SharedKeyLinker",
    "SignupLinker",
    "SyncLinker",
    "SystemPromptLinker",
    "TemplateLinker",
    "TwinLinker",
    "build_linkers",
    "default_linkage",
    "family_description",
    "link_accounts",
    "reliability",
]
