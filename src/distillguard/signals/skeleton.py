"""Prompt skeletons: fingerprints of the wrapper a prompt was built from, with payload masked.

``skeleton`` is an exact 64-bit fingerprint of the masked, normalised head and tail of a prompt.
``template_id`` groups near-identical wrappers (paraphrased or noised) within the data seen:
character 8-gram shingles of the masked head and tail, keeping only shingles that recur across
distinct prompts (the wrapper recurs, the payload does not), one-permutation MinHash (NumPy)
and LSH banding, then connected components over candidate pairs whose MinHash similarity passes.
:class:`SkeletonIndex` holds this state so shards can be sketched separately and merged.
Everything runs on distinct prompts, on whole columns / flat arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from distillguard.signals._text import (
    distinct_prompts,
    expand,
    fold,
    map_batches,
    ngram_hashes,
    ranges_take,
    squeeze,
    window_codepoints,
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
    (r"(?i)https?://\S+|www\.\S+", " <url> "),
    (r"[\w.+-]+@[\w-]+\.[\w.-]+", " <email> "),
    (r"\"[^\"\n]*\"|“[^”\n]*”|«[^»\n]*»|「[^」\n]*」", " <q> "),
    (r"[0-9]+(?:[.,][0-9]+)*", "<n>"),
)
SHINGLE_WINDOW = 200  # head and tail code points masked and shingled (the middle is skipped)
SKELETON_CHARS = 120  # head and tail of the masked text kept for the exact fingerprint
SHINGLE_N = 8
SAMPLE_MOD = 4  # keep shingles whose hash is 0 mod this (mod-sampling, as in winnowing)
MIN_DF = 3  # a shingle must recur in at least this many distinct prompts to count as wrapper
MIN_SHINGLES = 4
NUM_PERM = 64  # one-permutation MinHash bins
BANDS = 16  # LSH bands of NUM_PERM // BANDS bins
THRESHOLD = 0.5  # estimated Jaccard that joins an LSH candidate pair
DF_BITS = 24  # document frequency is counted in 2**24 hash buckets
_FP_TABLE = np.random.default_rng(20261126).integers(
    1, 2**63, size=2 * SKELETON_CHARS + 8, dtype=np.uint64
)


def mask(texts: pa.Array) -> pa.Array:
    """``texts`` with payload-like spans (code, URLs, e-mails, quoted strings, numbers)
    replaced by placeholders (Arrow regex)."""
    for pattern, repl in _MASKS:
        texts = pc.replace_substring_regex(texts, pattern, repl)
    return texts


def masked_codepoints(prompts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Masked head and tail windows of each prompt: NFKC, lower case, homoglyphs folded,
    whitespace and digit runs collapsed; flat code points + offsets."""
    cps, starts = window_codepoints(prompts, SHINGLE_WINDOW, SHINGLE_WINDOW, transform=mask)
    return squeeze(fold(cps, _FOLD), starts)


def _fingerprints(cps: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Exact 64-bit fingerprint of each masked text's first and last ``SKELETON_CHARS`` code
    points: a position-keyed multilinear hash, fully vectorised."""
    lens = np.diff(starts)
    k = SKELETON_CHARS
    head = np.minimum(lens, 2 * k)
    long = lens > 2 * k
    seg_start = np.stack([starts[:-1], np.where(long, starts[1:] - k, 0)], axis=1).ravel()
    seg_len = np.stack([np.where(long, k, head), np.where(long, k, 0)], axis=1).ravel()
    take = ranges_take(seg_start, seg_len)
    win = np.minimum(lens, 2 * k)
    win_starts = np.zeros(len(lens) + 1, np.int64)
    np.cumsum(win, out=win_starts[1:])
    pos = np.arange(len(take), dtype=np.int64) - np.repeat(win_starts[:-1], win)
    with np.errstate(over="ignore"):
        terms = (cps[take].astype(np.uint64) + np.uint64(1)) * _FP_TABLE[pos]
        out = np.zeros(len(lens), dtype=np.uint64)
        nz = win > 0
        if len(terms):
            out[nz] = np.add.reduceat(terms, win_starts[:-1][nz])
        out = (out ^ (out >> np.uint64(29))) * np.uint64(0xBF58476D1CE4E5B9) + win.astype(np.uint64)
    return out


def _shingles(cps: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sampled character shingles of each masked text: flat hashes and offsets (``n + 1``)."""
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


def _sketch_batch(prompts: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cps, starts = masked_codepoints(prompts)
    flat, offsets = _shingles(cps, starts)
    return _fingerprints(cps, starts), flat, offsets


def sketch_parts(prompts: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fingerprint per prompt plus sampled shingles (flat + offsets), batched on the pool."""
    parts = map_batches(_sketch_batch, prompts)
    if not parts:
        return np.zeros(0, np.uint64), np.zeros(0, np.uint64), np.zeros(1, np.int64)
    sizes = np.cumsum([0] + [len(p[1]) for p in parts])
    offsets = np.concatenate(
        [np.zeros(1, np.int64)] + [p[2][1:] + b for p, b in zip(parts, sizes[:-1], strict=True)]
    )
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        offsets,
    )


def fingerprints(prompts: pa.Array) -> np.ndarray:
    """Exact 64-bit skeleton per prompt (see :func:`_fingerprints`), batched on the pool."""
    parts = map_batches(lambda p: _fingerprints(*masked_codepoints(p)), prompts)
    return np.concatenate(parts) if parts else np.zeros(0, np.uint64)


@dataclass
class Sketch:
    """Distinct skeletons with their sampled shingles (flat hashes + offsets)."""

    skeletons: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    flat: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))

    @classmethod
    def of(cls, distinct: pa.Array) -> Sketch:
        return cls(*sketch_parts(distinct)).unique()

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
        if len(self.skeletons) == 0:
            return np.zeros(0, np.int64)
        df = np.bincount(df_buckets(self.flat), minlength=1 << DF_BITS)
        eligible, digests = wrapper_digests(self.flat, self.offsets, df >= MIN_DF)
        return group_ids(self.skeletons, eligible, digests)


def df_buckets(flat: np.ndarray) -> np.ndarray:
    """Document-frequency bucket (top :data:`DF_BITS` of the 56-bit shingle hash) per shingle.
    Collisions only over-count."""
    return (flat >> np.uint64(56 - DF_BITS)).astype(np.int64)


def wrapper_digests(
    flat: np.ndarray, offsets: np.ndarray, wrapper: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """MinHash digests of the texts (flat shingles + offsets) that keep at least
    :data:`MIN_SHINGLES` wrapper shingles (``wrapper[bucket]`` true: the bucket's document
    frequency reached :data:`MIN_DF`). Returns the positions of those texts and their digests
    ``(NUM_PERM, m)``. Each text's digest depends only on its own shingles and ``wrapper``, so
    shards can compute theirs separately."""
    n = len(offsets) - 1
    rows = np.repeat(np.arange(n), np.diff(offsets))
    keep = wrapper[df_buckets(flat)]
    kept_counts = np.bincount(rows[keep], minlength=n)
    eligible = np.flatnonzero(kept_counts >= MIN_SHINGLES)
    sel = keep & (kept_counts[rows] >= MIN_SHINGLES)
    member = np.full(n, -1, dtype=np.int64)
    member[eligible] = np.arange(len(eligible))
    return eligible, minhash(flat[sel], member[rows[sel]], len(eligible))


def group_ids(skeletons: np.ndarray, eligible: np.ndarray, digests: np.ndarray) -> np.ndarray:
    """Template id per skeleton (``skeletons`` sorted, unique): LSH components over the
    ``eligible`` skeletons' digests (see :func:`wrapper_digests`), each group named by its
    smallest skeleton (as int64); the others are their own group."""
    n = len(skeletons)
    labels = np.arange(n)
    if len(eligible) > 1:
        labels = _lsh_components(digests, eligible, n)
    root_min = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(root_min, labels, skeletons.view(np.int64))
    return root_min[labels]


@dataclass
class SkeletonIndex:
    """Mergeable near-duplicate state (datasketch-style vocabulary): ``update_batch`` adds a
    table's prompts, ``merge`` folds in another index (e.g. another shard, or the index kept
    from earlier runs; order does not matter), ``template_ids`` assigns each row of a table its
    template id using all state, ``save``/``load`` persist it (a workspace keeps one, so template
    ids hold across runs: an id is the smallest skeleton of its group, and groups only grow).
    :class:`SkeletonSignal` runs through it."""

    sketch: Sketch = field(default_factory=Sketch)
    # Ids handed out before (skeleton -> template id, sorted by skeleton): a group that holds
    # one keeps the smallest such id even when a new, smaller skeleton joins it.
    issued: tuple[np.ndarray, np.ndarray] = field(
        default_factory=lambda: (np.zeros(0, np.uint64), np.zeros(0, np.int64))
    )

    def update_batch(self, table: pa.Table) -> SkeletonIndex:
        """Add the distinct prompts of ``table``."""
        distinct, _ = distinct_prompts(table)
        self.sketch = self.sketch.concat(Sketch.of(distinct))
        return self

    def merge(self, other: SkeletonIndex) -> SkeletonIndex:
        """Fold ``other`` into this index."""
        self.sketch = self.sketch.concat(other.sketch)
        skel = np.concatenate([self.issued[0], other.issued[0]])
        ids = np.concatenate([self.issued[1], other.issued[1]])
        order = np.lexsort((ids, skel))
        keep = np.unique(skel[order], return_index=True)[1]
        self.issued = (skel[order][keep], ids[order][keep])
        return self

    def __len__(self) -> int:
        return len(self.sketch.skeletons)

    def template_ids(self, table: pa.Table) -> pa.Array:
        """Template id (int64) per row (null where the prompt is null); prompts never added
        get their own skeleton as id."""
        distinct, idx = distinct_prompts(table)
        skel = fingerprints(distinct)
        return expand(pa.array(self._ids_of(skel), pa.int64()), idx)

    def update_and_assign(self, table: pa.Table) -> tuple[pa.Array, pa.Array]:
        """``update_batch(table)`` then ``skeleton`` (uint64) and ``template_id`` (int64) per
        row, sketching each distinct prompt once."""
        distinct, idx = distinct_prompts(table)
        skel, flat, offsets = sketch_parts(distinct)
        self.sketch = self.sketch.concat(Sketch(skel, flat, offsets).unique())
        return (
            expand(pa.array(skel, pa.uint64()), idx),
            expand(pa.array(self._ids_of(skel), pa.int64()), idx),
        )

    def _ids_of(self, skel: np.ndarray) -> np.ndarray:
        known = self.sketch.skeletons
        ids = self._group_ids()
        pos = np.searchsorted(known, skel)
        pos_c = np.minimum(pos, max(len(known) - 1, 0))
        hit = (
            (pos < len(known)) & (known[pos_c] == skel) if len(known) else np.zeros(len(skel), bool)
        )
        out: np.ndarray = np.where(hit, ids[pos_c] if len(ids) else 0, skel.view(np.int64))
        return out

    def _group_ids(self) -> np.ndarray:
        """Template id per known skeleton: the group's smallest skeleton, unless the group
        holds ids issued before, then the smallest of those (ids hold across runs)."""
        ids = self.sketch.template_ids()
        prev_skel, prev_ids = self.issued
        if len(prev_skel) == 0 or len(ids) == 0:
            return ids
        known = self.sketch.skeletons
        pos = np.minimum(np.searchsorted(known, prev_skel), len(known) - 1)
        hit = known[pos] == prev_skel
        groups, inverse = np.unique(ids, return_inverse=True)
        best = np.full(len(groups), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, inverse[pos[hit]], prev_ids[hit])
        keep = best[inverse] != np.iinfo(np.int64).max
        return np.where(keep, best[inverse], ids)

    def save(self, path: Path) -> None:
        """Write the index to ``path`` (NumPy ``.npz``: the sketch and the ids it has issued,
        so the next run keeps them)."""
        s = self.sketch
        with open(path, "wb") as fh:
            np.savez_compressed(
                fh,
                skeletons=s.skeletons,
                flat=s.flat,
                offsets=s.offsets,
                issued=self._group_ids(),
            )

    @classmethod
    def load(cls, path: Path) -> SkeletonIndex:
        """An index written by :meth:`save` (an empty one when ``path`` does not exist)."""
        if not Path(path).exists():
            return cls()
        with np.load(path) as z:
            sketch = Sketch(z["skeletons"], z["flat"], z["offsets"])
            return cls(sketch, (sketch.skeletons, z["issued"]))


def minhash(tokens: np.ndarray, row: np.ndarray, n_rows: int) -> np.ndarray:
    """One-permutation MinHash with rotation densification (Li et al. 2012; Shrivastava and
    Li 2014): each token hash is mixed once, its top bits pick one of ``NUM_PERM`` bins and the
    row keeps the smallest remainder per bin; an empty bin borrows the next non-empty bin's
    value (circularly) plus an offset per step. ``(NUM_PERM, n_rows)`` uint64 (one bin per
    row of the result); Jaccard is estimated by the share of equal bins. Linear in the number
    of tokens."""
    k = NUM_PERM
    bits = k.bit_length() - 1
    with np.errstate(over="ignore"):
        z = tokens * np.uint64(0xD6E8FEB86659FD93)
        z ^= z >> np.uint64(32)
        z *= np.uint64(0xD6E8FEB86659FD93)
    b = (z >> np.uint64(64 - bits)).astype(np.int64)
    v = z & np.uint64((1 << (64 - bits)) - 1)
    empty = np.uint64(2**63)
    flat = np.full(k * n_rows, empty, dtype=np.uint64)
    np.minimum.at(flat, b * n_rows + row, v)
    cols: np.ndarray = flat.reshape(k, n_rows)  # one bin per contiguous row
    filled = cols != empty
    if filled.all():
        return cols
    out = cols.copy()
    val = np.full(n_rows, empty, dtype=np.uint64)
    dist = np.zeros(n_rows, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in [*range(k - 1, -1, -1)] * 2:  # right to left, twice (circular)
            f = filled[j]
            val = np.where(f, cols[j], val)
            dist = np.where(f, np.uint64(0), dist + np.uint64(1))
            out[j] = np.where(f, cols[j], val + dist * np.uint64(0x9E3779B97F4A7C15))
    out[:, ~filled.any(axis=0)] = empty
    return out


def _lsh_components(digests: np.ndarray, eligible: np.ndarray, n: int) -> np.ndarray:
    """Connected components over LSH candidate pairs (``digests`` is ``(NUM_PERM, m)``) whose
    estimated Jaccard passes :data:`THRESHOLD`."""
    r = NUM_PERM // BANDS
    m = digests.shape[1]
    cols = digests
    src: list[np.ndarray] = []
    dst: list[np.ndarray] = []
    with np.errstate(over="ignore"):
        for band in range(BANDS):
            key = np.zeros(m, dtype=np.uint64)
            for j in range(band * r, (band + 1) * r):
                key = key * np.uint64(0x100000001B3) + cols[j]
            order = np.argsort(key)
            sk = key[order]
            new = np.ones(m, dtype=bool)
            new[1:] = sk[1:] != sk[:-1]
            leader = order[np.maximum.accumulate(np.where(new, np.arange(m), 0))]
            left, right = order[~new], leader[~new]  # each bucket member -> its leader
            if len(left) == 0:
                continue
            ok = (cols[:, left] == cols[:, right]).mean(axis=0) >= THRESHOLD
            src.append(left[ok])
            dst.append(right[ok])
    if not src:
        return np.arange(n, dtype=np.int64)
    a, c = eligible[np.concatenate(src)], eligible[np.concatenate(dst)]
    graph = sparse.coo_matrix((np.ones(len(a)), (a, c)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


def row_sketches(table: pa.Table) -> pa.Table:
    """Per row: ``skeleton`` (uint64) and the sampled wrapper-candidate ``shingles``
    (list<uint64>) of the prompt, null where the prompt is null. Row-local: the shard-side half
    of :class:`SkeletonSignal` (the template id needs every shard, see
    :func:`group_ids`)."""
    distinct, idx = distinct_prompts(table)
    skel, flat, offsets = sketch_parts(distinct)
    shingles = pa.ListArray.from_arrays(
        pa.array(offsets.astype(np.int32), pa.int32()), pa.array(flat, pa.uint64())
    )
    return pa.table(
        {
            "skeleton": expand(pa.array(skel, pa.uint64()), idx),
            "shingles": expand(shingles, idx),
        }
    )


class SkeletonSignal(RequestSignal):
    """``skeleton`` (uint64 exact wrapper fingerprint) and ``template_id`` (int64 group of
    near-identical wrappers within the table)."""

    name: ClassVar[str] = "skeleton"
    description: ClassVar[str] = "fingerprint of the prompt's wrapper, and its near-duplicate group"
    outputs: ClassVar[dict[str, pa.DataType]] = {"skeleton": pa.uint64(), "template_id": pa.int64()}
    # template ids group prompts across rows: shards need the merge of
    # :mod:`distillguard.signals.shards` to compute them
    row_local: ClassVar[bool] = False

    def compute(self, table: pa.Table) -> pa.Table:
        skeleton, template = SkeletonIndex().update_and_assign(table)
        return pa.table({"skeleton": skeleton, "template_id": template})
