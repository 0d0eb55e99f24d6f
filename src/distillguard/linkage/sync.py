"""Synchronised activity, in the manner of SynchroTrap: accounts driven by one dispatcher are
busy in the same time buckets.

Each account becomes the set of buckets (default five minutes) in which it sent requests. MinHash
signatures of those sets (computed in bulk by ``rensa``) are banded for candidate pairs, whose
Jaccard similarity is estimated from the signatures. Two busy accounts overlap by chance too, so the
evidence is the lift over the overlap expected if both were independent:
``(J - E[J]) / (1 - E[J])``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import rensa

from distillguard.linkage.base import (
    LinkContext,
    Linker,
    canonical_edges,
    empty_edges,
    pairs_within_groups,
)


def minhash_matrix(
    owner: np.ndarray, tokens: np.ndarray, n_owners: int, *, num_perm: int, seed: int
) -> np.ndarray:
    """MinHash signatures (``n_owners x num_perm``) of each owner's token set, in one bulk call.

    ``owner`` must be sorted ascending; owners with no tokens get an all-max row.
    """
    counts = np.bincount(owner, minlength=n_owners)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.uint64)
    flat = np.ascontiguousarray(tokens.astype(np.uint64))
    digest = rensa.RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, num_perm, seed)
    return np.asarray(digest.to_rows(), dtype=np.uint32).reshape(n_owners, num_perm)


def lsh_candidates(
    sig: np.ndarray, rows: np.ndarray, *, bands: int, max_bucket: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of ``rows`` whose signatures agree on at least one band.

    A band bucket holding more than ``max_bucket`` rows is split into consecutive runs of that
    size (a connected chain rather than a clique), to bound the number of pairs.
    """
    width = sig.shape[1] // bands
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    sub = sig[rows]
    for band in range(bands):
        block = np.ascontiguousarray(sub[:, band * width : (band + 1) * width])
        keys = block.view(np.dtype((np.void, block.dtype.itemsize * width))).ravel()
        _, inverse = np.unique(keys, return_inverse=True)
        i, j = pairs_within_groups(inverse.astype(np.int64), fanout=max_bucket, seed=band)
        left.append(rows[i])
        right.append(rows[j])
    if not left:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    a = np.concatenate(left)
    b = np.concatenate(right)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pairs = np.unique(np.stack([lo, hi], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


@dataclass
class SyncLinker(Linker):
    """Link accounts active in the same time buckets far more than chance allows."""

    family: str = "sync"
    bucket_seconds: int = 300
    min_buckets: int = 6
    num_perm: int = 64
    bands: int = 16
    reliability: float = 0.5
    description: str = "are active in the same minutes (synchronised)"

    def link(self, ctx: LinkContext) -> pl.DataFrame:
        t = ctx.requests
        bucket = (t.timestamp.epoch_seconds() // self.bucket_seconds).cast("int64")
        busy = t.select("account_id", _b=bucket).distinct()
        frame = pl.from_arrow(busy.to_pyarrow())
        span = t.aggregate(
            lo=(t.timestamp.min().epoch_seconds() // self.bucket_seconds),
            hi=(t.timestamp.max().epoch_seconds() // self.bucket_seconds),
        ).to_pyarrow()
        assert isinstance(frame, pl.DataFrame)
        if frame.is_empty():
            return empty_edges()
        total = max(int(span["hi"][0].as_py()) - int(span["lo"][0].as_py()) + 1, 1)
        frame = frame.join(ctx.accounts.select("account_id", "idx"), on="account_id").sort("idx")
        owner = frame["idx"].to_numpy().astype(np.int64)
        n = ctx.n_accounts
        sig = minhash_matrix(
            owner,
            frame["_b"].to_numpy().astype(np.int64).view(np.uint64),
            n,
            num_perm=self.num_perm,
            seed=ctx.seed + 17,
        )
        size = np.bincount(owner, minlength=n).astype(np.float64)
        eligible = np.flatnonzero(size >= self.min_buckets)
        if len(eligible) < 2:
            return empty_edges()
        a, b = lsh_candidates(sig, eligible, bands=self.bands)
        if len(a) == 0:
            return empty_edges()
        jaccard = (sig[a] == sig[b]).mean(axis=1)
        inter = size[a] * size[b] / total
        expected = inter / np.maximum(size[a] + size[b] - inter, 1.0)
        lift = np.clip((jaccard - expected) / np.maximum(1.0 - expected, 1e-9), 0.0, 1.0)
        return canonical_edges(a, b, lift, self.family)
