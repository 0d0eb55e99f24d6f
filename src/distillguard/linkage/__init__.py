"""Linkage: evidence edges between accounts that look like one operator.

Each linker is a small class (:class:`Linker`) registered by id in :data:`LINKERS`; which linkers
run, and with what parameters, is plain data (:data:`DEFAULT_LINKAGE`), so a deployment can tune
or extend the set from configuration. Every linker returns the same edge table
(``a, b, family, weight``).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from distillguard.errors import ConfigError
from distillguard.linkage.base import EDGE_SCHEMA, LinkContext, Linker, empty_edges
from distillguard.linkage.dense import DenseBlockLinker
from distillguard.linkage.shared_keys import SharedKeyLinker
from distillguard.linkage.similar import TemplateLinker, TwinLinker
from distillguard.linkage.sync import SyncLinker

LINKERS: dict[str, type[Linker]] = {
    "shared_key": SharedKeyLinker,
    "template": TemplateLinker,
    "sync": SyncLinker,
    "twin": TwinLinker,
    "dense": DenseBlockLinker,
}

DEFAULT_LINKAGE: list[dict[str, Any]] = [
    {"linker": "shared_key", "family": "payment", "columns": ["payment_fingerprint"]},
    {"linker": "shared_key", "family": "network", "columns": ["ip_prefix"]},
    {
        "linker": "shared_key",
        "family": "client",
        "columns": ["user_agent", "tls_fingerprint"],
        "idf": True,
    },
    {
        "linker": "shared_key",
        "family": "signup",
        "columns": ["account_created_at"],
        "bucket_seconds": 3600,
        "idf": True,
    },
    {"linker": "shared_key", "family": "email", "columns": ["email_domain"], "idf": True},
    # A template most accounts share (a stock wrapper, or one grown by chaining at scale) is not
    # evidence of one operator: weigh shared templates by how few accounts use them.
    {"linker": "template", "idf": True},
    {"linker": "sync"},
    {"linker": "twin"},
]


def build_linkers(config: list[dict[str, Any]] | None = None) -> list[Linker]:
    """Instantiate linkers from plain configuration data."""
    out: list[Linker] = []
    for entry in config if config is not None else DEFAULT_LINKAGE:
        params = dict(entry)
        kind = params.pop("linker", None)
        if kind not in LINKERS:
            raise ConfigError(f"unknown linker {kind!r}; known: {', '.join(LINKERS)}")
        if "columns" in params:
            params["columns"] = tuple(params["columns"])
        try:
            out.append(LINKERS[kind](**params))
        except TypeError as exc:
            raise ConfigError(f"bad parameters for linker {kind!r}: {exc}") from exc
    return out


def link_accounts(ctx: LinkContext, linkers: list[Linker] | None = None) -> pl.DataFrame:
    """Run every linker and stack their edges."""
    frames = [lk.link(ctx) for lk in (linkers if linkers is not None else build_linkers())]
    frames = [f for f in frames if not f.is_empty()]
    return pl.concat(frames) if frames else empty_edges()


__all__ = [
    "DEFAULT_LINKAGE",
    "EDGE_SCHEMA",
    "LINKERS",
    "DenseBlockLinker",
    "LinkContext",
    "Linker",
    "SharedKeyLinker",
    "SyncLinker",
    "TemplateLinker",
    "TwinLinker",
    "build_linkers",
    "link_accounts",
]
