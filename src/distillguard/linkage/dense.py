"""Dense blocks in account x infrastructure x template x time, in the manner of D-Cube.

One operator running many accounts leaves a *dense block* in the multi-way table of its traffic:
a set of accounts whose cells pile up on a small set of networks (or templates) and hours.
:func:`find_dense_blocks` finds such blocks in a sparse tensor (cells ``coords`` with ``mass``)
with D-Cube's greedy peeling (Shin et al., WSDM 2017): start from the whole tensor and, in the
mode where that raises density most, drop every slice whose mass is at most the mode's average,
one at a time in ascending mass; keep the densest snapshot met; remove its cells and start again
for the next block. Density is the geometric-average mass ``M_B / (prod_n |B_n|)^(1/N)`` (or the
arithmetic one, ``ari``). A round is a few ``bincount`` passes over the cells and removes every
below-average slice of one mode at once, so rounds are few (tens on a million-request log): no
per-slice Python loop.

Camouflage (an operator's accounts also touching popular networks or templates, as ordinary
customers do) is blunted as in Fraudar: a cell's mass is divided by ``log(c + d)`` for each
non-time value it holds, ``d`` being the number of accounts using that value, so a campus NAT or
a stock template weighs little and cannot carry a block.

Peeling finds the densest region, which in real traffic mixes a coordinated core with heavy
ordinary accounts that share its popular values. A block therefore counts only

* when it is at least as dense as the median block found (judged against the population's own
  dense blocks, so deep residual scraps never count), and
* for the members that are dense in it *in every mode*: an account's *lift* in a mode is the
  share of its mass on the block's values of that mode over the share of all mass on them. A
  campus NAT shares one network, but each student keeps their own hours (lift ~ 1-2 in time: the
  diurnal rhythm everyone has), so no member survives; a dispatcher's accounts sit on the
  block's networks *and* hours (lifts of 4-6).

Edges join the surviving members (``pairs_within_groups`` keeps large blocks linear) with weight
``1 - 1 / lift`` (median lift of the members). :class:`DenseBlockLinker` builds the tensor from the
text-signal sample when a mode is ``template`` (template ids exist only there) and otherwise
aggregates every request in the engine; ``hour`` is the epoch hour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import numpy as np
import polars as pl

from distillguard.linkage.base import (
    LinkContext,
    Linker,
    canonical_edges,
    empty_edges,
    pairs_within_groups,
)

TIME_MODES = frozenset({"hour"})
SAMPLE_MODES = frozenset({"template", "skeleton", "capability", "lang"})


@dataclass
class DenseBlock:
    """One block: the member values of each mode (dense codes), its mass and density."""

    members: list[np.ndarray]
    mass: float
    density: float

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(m) for m in self.members)


def density(mass: float | np.ndarray, cards: np.ndarray, kind: str = "geo") -> np.ndarray:
    """Block density from its mass and cardinalities (``cards`` may be ``(k, N)``): geometric
    average mass ``M / (prod_n |B_n|)^(1/N)`` (``geo``) or arithmetic ``M / mean_n |B_n|``
    (``ari``)."""
    c = np.asarray(cards, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "ari":
            avg = c.mean(axis=-1)
        else:
            avg = np.where((c > 0).all(axis=-1), np.exp(np.log(np.maximum(c, 1)).mean(axis=-1)), 0)
        out = np.where(avg > 0, np.asarray(mass, dtype=np.float64) / avg, 0.0)
    return np.asarray(out, dtype=np.float64)


def densest_block(
    coords: np.ndarray, mass: np.ndarray, shape: tuple[int, ...], kind: str = "geo"
) -> DenseBlock:
    """D-Cube's ``find_single_block`` with the maximum-density mode policy.

    ``coords`` is ``(nnz, N)`` dense codes (mode ``n`` in ``0..shape[n]-1``), ``mass`` is
    ``(nnz,)`` non-negative. Returns the densest snapshot met while peeling.
    """
    n_modes = coords.shape[1]
    alive = mass > 0
    slice_mass = [np.bincount(coords[alive, n], mass[alive], shape[n]) for n in range(n_modes)]
    present = [np.bincount(coords[alive, n], minlength=shape[n]) > 0 for n in range(n_modes)]
    cards = np.array([int(p.sum()) for p in present], dtype=np.int64)
    total = float(mass[alive].sum())
    # removal step of each value (values never removed keep "infinity")
    order = [np.full(shape[n], np.iinfo(np.int64).max, dtype=np.int64) for n in range(n_modes)]
    step = 0
    best = float(density(total, cards, kind))
    best_step = 0
    while total > 0 and cards.min() > 0:
        candidates: list[tuple[float, int, np.ndarray, np.ndarray]] = []
        for n in range(n_modes):
            values = np.flatnonzero(present[n])
            if len(values) == 0:
                continue
            sm = slice_mass[n][values]
            # Every slice at or below the mode's average (float-tolerant: never empty).
            drop = values[sm <= sm.mean() * (1.0 + 1e-9) + 1e-12]
            drop = drop[np.argsort(slice_mass[n][drop], kind="stable")]
            removed = np.cumsum(slice_mass[n][drop])
            trail = np.tile(cards, (len(drop), 1))
            trail[:, n] -= np.arange(1, len(drop) + 1)
            dens = density(np.maximum(total - removed, 0.0), trail, kind)
            candidates.append((float(dens[-1]), n, drop, dens))
        _, n, drop, dens = max(candidates, key=lambda c: (c[0], -c[1]))
        order[n][drop] = step + np.arange(1, len(drop) + 1)
        k = int(np.argmax(dens))
        if dens[k] > best:
            best = float(dens[k])
            best_step = step + k + 1
        step += len(drop)
        gone = np.zeros(shape[n], dtype=bool)
        gone[drop] = True
        present[n][drop] = False
        cards[n] -= len(drop)
        hit = alive & gone[coords[:, n]]
        if hit.any():
            alive &= ~hit
            for m in range(n_modes):
                slice_mass[m] -= np.bincount(coords[hit, m], mass[hit], shape[m])
            total = float(mass[alive].sum())
    block = DenseBlock([np.flatnonzero(order[n] > best_step) for n in range(n_modes)], 0.0, best)
    block.mass = float(mass[block_cells(coords, block, shape)].sum())
    return block


def block_cells(coords: np.ndarray, block: DenseBlock, shape: tuple[int, ...]) -> np.ndarray:
    """Mask of the cells inside ``block``."""
    inside = np.ones(len(coords), dtype=bool)
    for n, values in enumerate(block.members):
        keep = np.zeros(shape[n], dtype=bool)
        keep[values] = True
        inside &= keep[coords[:, n]]
    return inside


def find_dense_blocks(
    coords: np.ndarray, mass: np.ndarray, shape: tuple[int, ...], k: int, kind: str = "geo"
) -> list[DenseBlock]:
    """Up to ``k`` dense blocks, each found after removing the previous blocks' cells."""
    mass = mass.astype(np.float64).copy()
    blocks: list[DenseBlock] = []
    for _ in range(k):
        if not (mass > 0).any():
            break
        block = densest_block(coords, mass, shape, kind)
        inside = block_cells(coords, block, shape)
        if not inside.any() or block.mass <= 0:
            break
        blocks.append(block)
        mass[inside] = 0.0
    return blocks


def camouflage_weights(
    coords: np.ndarray, shape: tuple[int, ...], modes: list[int], c: float
) -> np.ndarray:
    """Fraudar's column weighting: ``prod_n 1 / log(c + d_n(value))`` over ``modes``, where
    ``d_n`` is the number of distinct accounts (mode 0) with that value, scaled so a value used by
    a single account weighs 1."""
    weight = np.ones(len(coords), dtype=np.float64)
    for n in modes:
        pairs = np.unique(coords[:, [0, n]], axis=0)
        degree = np.bincount(pairs[:, 1], minlength=shape[n]).astype(np.float64)
        weight *= math.log(c + 1.0) / np.log(c + degree[coords[:, n]])
    return weight


def member_lifts(
    coords: np.ndarray, mass: np.ndarray, shape: tuple[int, ...], block: DenseBlock
) -> np.ndarray:
    """``(members, modes - 1)``: for each account of ``block`` and each other mode, the share of
    the account's mass that falls on the block's values of that mode, over the share of the whole
    tensor's mass on those values (what an account unrelated to the block would show)."""
    accounts = block.members[0]
    total = np.bincount(coords[:, 0], mass, shape[0])[accounts]
    out = np.empty((len(accounts), coords.shape[1] - 1), dtype=np.float64)
    for n in range(1, coords.shape[1]):
        keep = np.zeros(shape[n], dtype=bool)
        keep[block.members[n]] = True
        on = keep[coords[:, n]]
        base = float(mass[on].sum()) / max(float(mass.sum()), 1e-300)
        share = np.bincount(coords[on, 0], mass[on], shape[0])[accounts] / np.maximum(total, 1e-300)
        out[:, n - 1] = share / max(base, 1e-300)
    return out


@dataclass
class DenseBlockLinker(Linker):
    """Link the accounts of each dense block of the tensor ``account x modes``.

    ``modes`` name the other axes: request columns (``ip_prefix``, ``asn``...), ``hour`` (epoch
    hour) or sample signals (``template`` = template id, ``capability``...). ``k`` blocks are
    sought (``density``: ``geo`` or ``ari``; cell ``mass``: ``log``, ``count`` or ``presence``);
    a block counts when it is at least as dense as the median block and at least
    ``min_accounts`` of its accounts have a lift of ``min_lift`` or more in every mode (see
    :func:`member_lifts`). Its edges weigh ``1 - 1 / lift`` and join each member to ``fanout``
    others. After :meth:`link`, ``blocks`` describes each block found (name, shape,
    density, median lift and the linked members, empty when the block did not count).
    """

    family: str = "dense"
    modes: tuple[str, ...] = ("ip_prefix", "hour")
    k: int = 8
    density: str = "geo"
    mass: str = "log"
    min_accounts: int = 3
    min_lift: float = 3.0
    camouflage_c: float = 5.0
    fanout: int = 12
    reliability: float = 0.5
    description: str = "form a dense block of networks or templates and hours (D-Cube)"
    blocks: list[dict[str, object]] = field(default_factory=list, init=False, repr=False)

    def link(self, ctx: LinkContext) -> pl.DataFrame:
        cells = self._cells(ctx)
        self.blocks = []
        if cells is None or cells.is_empty():
            return empty_edges()
        cols = ["idx", *self.modes]
        coded = cells.select(
            pl.col("idx").cast(pl.Int64),
            *[pl.col(m).cast(pl.String).rank("dense").cast(pl.Int64) - 1 for m in self.modes],
        )
        coords = np.ascontiguousarray(coded.select(cols).to_numpy().astype(np.int64))
        shape = (ctx.n_accounts, *[int(coords[:, n].max()) + 1 for n in range(1, len(cols))])
        weights = camouflage_weights(
            coords,
            shape,
            [n for n, m in enumerate(self.modes, 1) if m not in TIME_MODES],
            self.camouflage_c,
        )
        mass = cells["mass"].to_numpy().astype(np.float64) * weights
        left: list[np.ndarray] = []
        right: list[np.ndarray] = []
        weight: list[np.ndarray] = []
        found = list(enumerate(find_dense_blocks(coords, mass, shape, self.k, self.density)))
        # The reference is the population's own dense blocks: a block must be at least as dense
        # as the median one found, so deep residual scraps never count.
        reference = float(np.median([b.density for _, b in found])) if found else 0.0
        for number, block in found:
            accounts = np.empty(0, dtype=np.int64)
            low = 0.0
            if len(block.members[0]) >= self.min_accounts and block.density >= reference:
                lifts = member_lifts(coords, mass, shape, block).min(axis=1)
                accounts = block.members[0][lifts >= self.min_lift]
                low = float(np.median(lifts[lifts >= self.min_lift])) if len(accounts) else 0.0
            self.blocks.append(
                {
                    "block": f"{self.family}:{'x'.join(self.modes)}#{number + 1}",
                    "shape": block.shape,
                    "density": block.density,
                    "lift": low,
                    "accounts": accounts,
                }
            )
            if len(accounts) < self.min_accounts:
                continue
            i, j = pairs_within_groups(
                np.zeros(len(accounts), np.int64), fanout=self.fanout, seed=ctx.seed + number
            )
            left.append(accounts[i])
            right.append(accounts[j])
            weight.append(np.full(len(i), 1.0 - 1.0 / low))
        if not left:
            return empty_edges()
        return canonical_edges(
            np.concatenate(left),
            np.concatenate(right),
            np.concatenate(weight),
            self.family,
            merge="max",
        )

    def _cells(self, ctx: LinkContext) -> pl.DataFrame | None:
        """One row per (account, mode values): ``idx``, the modes, and ``mass``."""
        if any(m in SAMPLE_MODES for m in self.modes):
            return self._sample_cells(ctx)
        t = ctx.requests
        if any(m not in TIME_MODES and m not in t.columns for m in self.modes):
            return None
        keys = {m: _engine_mode(t, m) for m in self.modes}
        agg = (
            t.mutate(**keys)
            .filter(ibis.and_(*[ibis._[m].notnull() for m in self.modes]))
            .group_by(["account_id", *self.modes])
            .aggregate(n=ibis._.count())
        )
        frame = pl.from_arrow(agg.to_pyarrow())
        assert isinstance(frame, pl.DataFrame)
        frame = frame.join(ctx.accounts.select("account_id", "idx"), on="account_id")
        return frame.with_columns(_mass(pl.col("n"), self.mass)).sort(["idx", *self.modes])

    def _sample_cells(self, ctx: LinkContext) -> pl.DataFrame | None:
        s = ctx.sample
        exprs: dict[str, pl.Expr] = {}
        for m in self.modes:
            if m == "template":
                col = "template_id"
            elif m == "hour":
                exprs[m] = pl.col("timestamp").dt.epoch("s") // 3600
                continue
            else:
                col = m
            if col not in s.columns:
                return None
            exprs[m] = pl.col(col)
        if s.is_empty() or "timestamp" not in s.columns:
            return None
        return (
            s.select("idx", **exprs)
            .drop_nulls()
            .group_by(["idx", *self.modes])
            .agg(pl.len().alias("n"))
            .with_columns(_mass(pl.col("n"), self.mass))
            .sort(["idx", *self.modes])
        )


def _engine_mode(t: ir.Table, mode: str) -> ir.Value:
    if mode == "hour":
        return (t.timestamp.epoch_seconds() // 3600).cast("int64")
    return t[mode].cast("string")


def _mass(n: pl.Expr, kind: str) -> pl.Expr:
    """A cell's mass from its request count: ``count``, ``log`` (``log(1 + n)``: volume with
    diminishing returns, so a batch job's millionth request adds little) or ``presence`` (1)."""
    n = n.cast(pl.Float64)
    out = n if kind == "count" else n.log1p() if kind == "log" else n.clip(upper_bound=1.0)
    return out.alias("mass")
