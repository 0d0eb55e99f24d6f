"""The linker role: one small base class, and the edge table every linker returns.

An edge says "accounts ``a`` and ``b`` look like one operator, by this family of evidence, this
strongly". Edges are undirected (``a < b``), weights are in (0, 1], and ``key`` names what they
share (a network, a template id, a payment fingerprint...) so the report can show it.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, fields, is_dataclass
from typing import ClassVar

import ibis.expr.types as ir
import numpy as np
import polars as pl

from distillguard.errors import ConfigError

EDGE_SCHEMA: dict[str, type[pl.DataType]] = {
    "a": pl.Int64,
    "b": pl.Int64,
    "family": pl.String,
    "weight": pl.Float64,
}


@dataclass
class LinkContext:
    """What linkers see: the requests (engine side) and per-account tables (Python side).

    ``accounts`` has one row per account with a dense integer ``idx`` (0..n-1) plus every account
    feature; ``sample`` has per-request signals for a bounded sample of each account's requests.
    """

    requests: ir.Table
    accounts: pl.DataFrame
    sample: pl.DataFrame
    seed: int = 0

    @property
    def n_accounts(self) -> int:
        return self.accounts.height


class Linker(ABC):
    """Emits evidence edges between accounts. ``__init__`` only stores parameters.

    A linker describes itself, as a pySigma validator does: ``family`` names its evidence (the
    edge table's ``family`` value and the fused graph's column), ``reliability`` in (0, 1] is how
    much one full-strength edge of the family is worth when families fuse
    (:func:`~distillguard.campaigns.cluster.fuse_edges`), ``description`` completes the sentence
    "N of M accounts ..." in a campaign's evidence, and ``outputs`` are the edge table's
    columns and types.
    Subclasses set them as class attributes (or dataclass fields with defaults, when a deployment
    may configure them); :meth:`check` rejects a linker whose metadata or parameters are wrong,
    at start-up, before any data is read.
    """

    family: str = ""
    reliability: float = math.nan
    description: str = ""
    outputs: ClassVar[dict[str, type[pl.DataType]]] = EDGE_SCHEMA

    @abstractmethod
    def link(self, ctx: LinkContext) -> pl.DataFrame:
        """Return edges with columns ``a, b, family, weight`` (``a < b``)."""

    def check(self) -> None:
        """Raise :class:`~distillguard.errors.ConfigError` when the metadata or a parameter is
        out of range: an empty family, a reliability outside (0, 1], a missing description, a
        negative count. Subclasses with more parameters extend it."""
        name = type(self).__name__
        if not isinstance(self.family, str) or not self.family:
            raise ConfigError(f"linker {name} has no family name")
        rel = self.reliability
        if not isinstance(rel, int | float) or not (0.0 < float(rel) <= 1.0):
            raise ConfigError(
                f"linker {name} (family {self.family!r}) needs a reliability in (0, 1], "
                f"got {rel!r}: set it on the class or in the linkage entry"
            )
        if not self.description:
            raise ConfigError(f"linker {name} (family {self.family!r}) has no description")
        if is_dataclass(self):
            for f in fields(self):
                value = getattr(self, f.name)
                kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
                number = isinstance(value, int | float) and not isinstance(value, bool)
                if kind in ("int", "float") and not number:
                    raise ConfigError(
                        f"linker {name} (family {self.family!r}): {f.name} must be a number, "
                        f"got {value!r}"
                    )
                if kind == "bool" and not isinstance(value, bool):
                    raise ConfigError(
                        f"linker {name} (family {self.family!r}): {f.name} must be true or "
                        f"false, got {value!r}"
                    )
                if number and value < 0:
                    raise ConfigError(
                        f"linker {name} (family {self.family!r}): {f.name} must be >= 0, "
                        f"got {value!r}"
                    )


def empty_edges() -> pl.DataFrame:
    return pl.DataFrame(schema=EDGE_SCHEMA)


def pairs_within_groups(
    group: np.ndarray, *, fanout: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs ``(i, j)`` that share a group value, without quadratic blow-up.

    Rows of each group are put in a pseudo-random order fixed by ``seed`` and the row's position,
    and each is paired with the next ``fanout`` rows of its group: every pair for groups of up to
    ``fanout + 1`` rows, a connected sparse lattice (degree ``2 * fanout``) for larger ones.

    >>> i, j = pairs_within_groups(np.array([0, 0, 0, 1]), fanout=5, seed=1)
    >>> sorted(tuple(sorted(p)) for p in zip(i.tolist(), j.tolist()))
    [(0, 1), (0, 2), (1, 2)]
    """
    n = len(group)
    if n == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    rows = np.arange(n, dtype=np.int64)
    mixed = (rows.astype(np.uint64) + np.uint64(seed)) * np.uint64(0x9E3779B97F4A7C15)
    order = np.lexsort((mixed, group))
    g = group[order]
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    for step in range(1, fanout + 1):
        same = g[step:] == g[:-step]
        if not same.any():
            break
        left.append(order[:-step][same])
        right.append(order[step:][same])
    if not left:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(left), np.concatenate(right)


def canonical_edges(
    a: np.ndarray, b: np.ndarray, weight: np.ndarray, family: str, *, merge: str = "sum"
) -> pl.DataFrame:
    """Edges with ``a < b``, self-pairs dropped and parallel edges merged: weights summed (capped
    at 1) for evidence that adds up, or the maximum for repeated sightings of one fact."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keep = (lo != hi) & (weight > 0)
    df = pl.DataFrame({"a": lo[keep], "b": hi[keep], "weight": weight[keep].astype(np.float64)})
    if df.is_empty():
        return empty_edges()
    return (
        df.group_by(["a", "b"])
        .agg(
            pl.col("weight").sum().clip(upper_bound=1.0)
            if merge == "sum"
            else pl.col("weight").max()
        )
        .with_columns(pl.lit(family).alias("family"))
        .select(list(EDGE_SCHEMA))
        .cast(EDGE_SCHEMA)  # type: ignore[arg-type]
    )
