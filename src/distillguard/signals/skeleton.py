"""Prompt skeletons: fingerprints of the wrapper a prompt was built from, with payload masked.

``skeleton`` is an exact 64-bit fingerprint of the masked, normalised head and tail of a prompt.
``template_id`` groups near-identical wrappers (paraphrased or noised) within the data seen:
character 8-gram shingles of the masked head and tail, keeping only shingles that recur across
distinct prompts (the wrapper recurs, the payload does not), MinHash (``rensa``) and LSH
banding, then connected components over candidate pairs whose MinHash similarity passes.
:class:`SkeletonIndex` holds this state so shards can be sketched separately and merged.
Everything runs on distinct prompts, on whole columns / flat arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import rensa
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from distillguard.signals._text import (
    codepoints,
    dedupe,
    expand,
    head_tail,
    nfkc_lower,
    ngram_hashes,
    prompt_column,
    squeeze,
)
from distillguard.signals.base import RequestSignal

# Cheap confusable folding (on code points): Cyrillic/Greek look-alikes of Latin letters.
_CONFUSABLES = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ѕ": "s", "ј": "j", "ο": "o", "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v",
    "ρ": "p", "τ": "t",
}  # fmt: skip
_FOLD = np.arange(0x10000, dtype=np.uint32)
for _src, _dst in _CONFUSABLES.items():
    _FOLD[ord(_src)] = ord(_dst)

_MASKS = (
    (r"```[\s\S]*?```", " <code> "),
    (r"https?://\S+|www\.\S+", " <url> "),
    (r"[\w.+-]+@[\w-]+\.[\w.-]+", " <email> "),
    (r"\"[^\"\n]{1,400}\"|“[^”\n]{1,400}”|«[^»\n]{1,400}»|「[^」\n]{1,400}」", " <q> "),
    (r"[0-9]+(?:[.,][0-9]+)*", "<n>"),
)
MASK_WINDOW = 400  # head and tail code points masked (payload in between is never looked at)
SKELETON_CHARS = 120  # head and tail kept for the exact fingerprint
SHINGLE_WINDOW = 300  # head and tail shingled for near-duplicate grouping
SHINGLE_N = 8
SAMPLE_MOD = 4  # keep shingles whose hash is 0 mod this (mod-sampling, as in winnowing)
MIN_DF = 3  # a shingle must recur in at least this many distinct prompts to count as wrapper
MIN_SHINGLES = 4
NUM_PERM = 128
BANDS = 32
THRESHOLD = 0.5
SEED = 7
BATCH = 2048  # texts per NumPy batch (keeps temporaries in cache)
DF_BITS = 24  # document frequency is counted in 2**24 hash buckets
_FP_TABLE = np.random.default_rng(20261126).integers(
    1, 2**63, size=2 * SKELETON_CHARS + 8, dtype=np.uint64
)


def mask(prompts: pa.Array) -> pa.Array:
    """Head and tail of each prompt, NFKC and case-folded, with payload-like spans (code, URLs,
    e-mails, quoted strings, numbers) masked."""
    out = nfkc_lower(head_tail(prompts, MASK_WINDOW, MASK_WINDOW))
    for pattern, repl in _MASKS:
        out = pc.replace_substring_regex(out, pattern, repl)
    return out


def _folded_codepoints(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    cps, starts = squeeze(*codepoints(texts))
    cps = np.where(cps < 0x10000, _FOLD[cps & np.uint32(0xFFFF)], cps)
    return cps, starts


def _fingerprints(masked: pa.Array) -> np.ndarray:
    """Exact 64-bit fingerprint of each masked text's head and tail (whitespace-collapsed,
    homoglyph-folded): a position-keyed multilinear hash over code points, fully vectorised."""
    cps, starts = _folded_codepoints(head_tail(masked, SKELETON_CHARS, SKELETON_CHARS))
    lens = np.diff(starts)
    pos = np.arange(len(cps), dtype=np.int64) - np.repeat(starts[:-1], lens)
    with np.errstate(over="ignore"):
        terms = (cps.astype(np.uint64) + np.uint64(1)) * _FP_TABLE[
            np.minimum(pos, len(_FP_TABLE) - 1)
        ]
        out = np.zeros(len(lens), dtype=np.uint64)
        nz = lens > 0
        if len(terms):
            out[nz] = np.add.reduceat(terms, starts[:-1][nz])
        out = (out ^ (out >> np.uint64(29))) * np.uint64(0xBF58476D1CE4E5B9) + lens.astype(
            np.uint64
        )
    return out


def _shingles(masked: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Sampled character shingles of the masked head/tail of each text: flat hashes and
    per-text offsets (``n + 1``)."""
    cps, starts = _folded_codepoints(head_tail(masked, SHINGLE_WINDOW, SHINGLE_WINDOW))
    half = SHINGLE_N // 2
    ((_, h4, _),) = ngram_hashes(cps, starts, (half,))  # two half-grams make one shingle
    room = np.repeat(starts[1:], np.diff(starts)) - np.arange(len(cps), dtype=np.int64)
    ok = room >= SHINGLE_N
    with np.errstate(over="ignore"):
        nxt = np.zeros_like(h4)
        nxt[:-half] = h4[half:]
        hs = (h4 * np.uint64(0x9E3779B97F4A7C15) + nxt) >> np.uint64(8)
    keep = ok & (hs % np.uint64(SAMPLE_MOD) == 0)
    doc = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
    counts = np.bincount(doc[keep], minlength=len(starts) - 1)
    offsets = np.zeros(len(starts), dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return hs[keep], offsets


def fingerprints(masked: pa.Array) -> np.ndarray:
    """Exact 64-bit fingerprint per masked text (see :func:`_fingerprints`), in batches."""
    parts = [_fingerprints(masked.slice(i, BATCH)) for i in range(0, len(masked), BATCH)]
    return np.concatenate(parts) if parts else np.zeros(0, np.uint64)


def shingles(masked: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Sampled shingles per masked text (see :func:`_shingles`), in batches."""
    flats: list[np.ndarray] = []
    offsets = [np.zeros(1, np.int64)]
    base = 0
    for i in range(0, len(masked), BATCH):
        flat, off = _shingles(masked.slice(i, BATCH))
        flats.append(flat)
        offsets.append(off[1:] + base)
        base += len(flat)
    flat_all = np.concatenate(flats) if flats else np.zeros(0, np.uint64)
    return flat_all, np.concatenate(offsets)


@dataclass
class Sketch:
    """Distinct skeletons with their sampled shingles (flat hashes + offsets)."""

    skeletons: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    flat: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))

    @classmethod
    def of(cls, distinct_prompts: pa.Array) -> Sketch:
        masked = mask(distinct_prompts)
        flat, offsets = shingles(masked)
        return cls(fingerprints(masked), flat, offsets).unique()

    def unique(self) -> Sketch:
        """One entry per skeleton (first occurrence), sorted by skeleton."""
        skel, first = np.unique(self.skeletons, return_index=True)
        lens = np.diff(self.offsets)[first]
        take = np.repeat(self.offsets[first], lens) + (
            np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
        )
        offsets = np.zeros(len(skel) + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        return Sketch(skel, self.flat[take], offsets)

    def concat(self, other: Sketch) -> Sketch:
        return Sketch(
            np.concatenate([self.skeletons, other.skeletons]),
            np.concatenate([self.flat, other.flat]),
            np.concatenate([self.offsets, other.offsets[1:] + self.offsets[-1]]),
        ).unique()

    def template_ids(self) -> np.ndarray:
        """Template id per skeleton: the smallest skeleton (as int64) of its group."""
        n = len(self.skeletons)
        if n == 0:
            return np.zeros(0, np.int64)
        lens = np.diff(self.offsets)
        rows = np.repeat(np.arange(n), lens)
        bucket = (self.flat >> np.uint64(56 - DF_BITS)).astype(np.int64)  # flat has 56 bits
        df = np.bincount(bucket, minlength=1 << DF_BITS)  # collisions only over-count
        keep = df[bucket] >= MIN_DF
        kept_counts = np.bincount(rows[keep], minlength=n)
        labels = np.arange(n)
        eligible = np.flatnonzero(kept_counts >= MIN_SHINGLES)
        if len(eligible) > 1:
            sel = keep & (kept_counts[rows] >= MIN_SHINGLES)
            offs = np.zeros(len(eligible) + 1, dtype=np.uint64)
            np.cumsum(kept_counts[eligible], out=offs[1:])
            digests = np.asarray(
                rensa.RMinHash.digest_matrix_from_flat_token_hashes(
                    np.ascontiguousarray(self.flat[sel]), offs, NUM_PERM, SEED
                ).to_rows(),
                dtype=np.uint64,
            )
            labels = _lsh_components(digests, eligible, n)
        root_min = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(root_min, labels, self.skeletons.view(np.int64))
        return root_min[labels]


@dataclass
class SkeletonIndex:
    """Mergeable near-duplicate state (datasketch-style vocabulary): ``update_batch`` adds a
    table's prompts, ``merge`` folds in another index (e.g. another shard; order does not
    matter), ``template_ids`` assigns each row of a table its template id using all state."""

    sketch: Sketch = field(default_factory=Sketch)

    def update_batch(self, table: pa.Table) -> SkeletonIndex:
        """Add the distinct prompts of ``table``."""
        distinct, _ = dedupe(prompt_column(table))
        self.sketch = self.sketch.concat(Sketch.of(distinct))
        return self

    def merge(self, other: SkeletonIndex) -> SkeletonIndex:
        """Fold ``other`` into this index."""
        self.sketch = self.sketch.concat(other.sketch)
        return self

    def __len__(self) -> int:
        return len(self.sketch.skeletons)

    def template_ids(self, table: pa.Table) -> pa.Array:
        """Template id (int64) per row (null where the prompt is null); prompts never added
        get their own skeleton as id."""
        distinct, idx = dedupe(prompt_column(table))
        skel = fingerprints(mask(distinct))
        known = self.sketch.skeletons
        ids = self.sketch.template_ids()
        pos = np.searchsorted(known, skel)
        pos_c = np.minimum(pos, max(len(known) - 1, 0))
        hit = (
            (pos < len(known)) & (known[pos_c] == skel) if len(known) else np.zeros(len(skel), bool)
        )
        out = np.where(hit, ids[pos_c] if len(ids) else 0, skel.view(np.int64))
        return expand(pa.array(out, pa.int64()), idx)


def _lsh_components(digests: np.ndarray, eligible: np.ndarray, n: int) -> np.ndarray:
    """Connected components over LSH candidate pairs whose MinHash similarity passes."""
    r = NUM_PERM // BANDS
    cols = np.ascontiguousarray(digests.T)
    src: list[np.ndarray] = []
    dst: list[np.ndarray] = []
    with np.errstate(over="ignore"):
        for band in range(BANDS):
            key = np.zeros(len(digests), dtype=np.uint64)
            for j in range(band * r, (band + 1) * r):
                key = key * np.uint64(0x100000001B3) + cols[j]
            _, first, inv = np.unique(key, return_index=True, return_inverse=True)
            leader = first[inv]
            pair = leader != np.arange(len(digests))
            src.append(np.flatnonzero(pair))
            dst.append(leader[pair])
    m = len(digests)
    pairs = np.unique(np.concatenate(src) * m + np.concatenate(dst))  # a pair recurs per band
    left, right = pairs // m, pairs % m
    ok = (digests[left] == digests[right]).mean(axis=1) >= THRESHOLD
    a, c = eligible[left[ok]], eligible[right[ok]]
    graph = sparse.coo_matrix((np.ones(len(a)), (a, c)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


class SkeletonSignal(RequestSignal):
    """``skeleton`` (uint64 exact wrapper fingerprint) and ``template_id`` (int64 group of
    near-identical wrappers within the table)."""

    name: ClassVar[str] = "skeleton"
    columns: ClassVar[tuple[str, ...]] = ("skeleton", "template_id")

    def compute(self, table: pa.Table) -> pa.Table:
        distinct, idx = dedupe(prompt_column(table))
        masked = mask(distinct)
        skel = fingerprints(masked)
        flat, offsets = shingles(masked)
        sketch = Sketch(skel, flat, offsets).unique()
        ids = sketch.template_ids()
        per_distinct = ids[np.searchsorted(sketch.skeletons, skel)] if len(skel) else ids
        return pa.table(
            {
                "skeleton": expand(pa.array(skel, pa.uint64()), idx),
                "template_id": expand(pa.array(per_distinct, pa.int64()), idx),
            }
        )
