"""Prompt skeletons: fingerprints of the wrapper a prompt was built from, with payload masked.

``skeleton`` is an exact 64-bit fingerprint of the masked head and tail of a prompt.
``template_id`` groups near-identical wrappers (paraphrased or noised) within the data seen:
character 8-gram shingles of the masked head and tail, keeping only shingles that recur across
prompts (the wrapper recurs, the payload does not), MinHash (``rensa``) and LSH banding, then
connected components over verified candidate pairs. :class:`SkeletonIndex` holds this state so
shards can be sketched separately and merged.
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
    stable_hash64,
)
from distillguard.signals.base import RequestSignal

# Cheap confusable folding: Cyrillic/Greek look-alikes of Latin letters.
_CONFUSABLES = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ο": "o", "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ρ": "p", "τ": "t",
}  # fmt: skip
_MASKS = (
    (r"```[\s\S]*?```", " <code> "),
    (r"https?://\S+|www\.\S+", " <url> "),
    (r"[\w.+-]+@[\w-]+\.[\w.-]+", " <email> "),
    (r"\"[^\"\n]{1,400}\"|“[^”\n]{1,400}”|«[^»\n]{1,400}»|「[^」\n]{1,400}」", " <q> "),
    (r"[0-9]+(?:[.,][0-9]+)*", "<n>"),
    (r"\s+", " "),
)
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


def mask(prompts: pa.Array) -> pa.Array:
    """Normalised prompts (NFKC, case-folded, common Cyrillic/Greek homoglyphs of Latin letters
    folded) with payload-like spans (code, URLs, e-mails, quotes, numbers) masked."""
    out = nfkc_lower(prompts)
    for src, dst in _CONFUSABLES.items():
        out = pc.replace_substring(out, src, dst)
    for pattern, repl in _MASKS:
        out = pc.replace_substring_regex(out, pattern, repl)
    return pc.utf8_trim_whitespace(out)


def skeleton_text(masked: pa.Array) -> pa.Array:
    """The exact-fingerprint text: masked head and tail."""
    return head_tail(masked, SKELETON_CHARS, SKELETON_CHARS)


def shingles(masked: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Sampled character shingles of the masked head/tail of each text: flat hashes and
    per-text offsets (``n + 1``)."""
    cps, starts = squeeze(*codepoints(head_tail(masked, SHINGLE_WINDOW, SHINGLE_WINDOW)))
    ((_, hs, ok),) = ngram_hashes(cps, starts, (SHINGLE_N,))
    hs = hs >> np.uint64(8)
    keep = ok & (hs % np.uint64(SAMPLE_MOD) == 0)
    counts = np.add.reduceat(keep.astype(np.int64), starts[:-1]) if len(cps) else keep[:0]
    counts = np.where(np.diff(starts) > 0, counts, 0) if len(counts) else np.zeros(0, np.int64)
    offsets = np.zeros(len(starts), dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return hs[keep], offsets


@dataclass
class SkeletonIndex:
    """Mergeable near-duplicate state over distinct skeletons (datasketch-style vocabulary).

    ``update_batch`` adds a table's prompts, ``merge`` combines two indexes (e.g. two shards),
    ``template_ids`` assigns each row of a table its template id using everything seen.
    """

    skeletons: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    hashes: list[np.ndarray] = field(default_factory=list)  # per distinct skeleton
    _seen: set[int] = field(default_factory=set)

    def update_batch(self, table: pa.Table) -> SkeletonIndex:
        """Add the distinct prompts of ``table``."""
        skel, _, flat, offsets = _distinct_sketch(table)
        new = [i for i, s in enumerate(skel.tolist()) if s not in self._seen]
        for i in new:
            self._seen.add(int(skel[i]))
            self.hashes.append(flat[offsets[i] : offsets[i + 1]])
        self.skeletons = np.concatenate([self.skeletons, skel[new]])
        return self

    def merge(self, other: SkeletonIndex) -> SkeletonIndex:
        """Fold ``other`` into this index (order-independent result)."""
        for s, h in zip(other.skeletons.tolist(), other.hashes, strict=True):
            if s not in self._seen:
                self._seen.add(s)
                self.hashes.append(h)
                self.skeletons = np.append(self.skeletons, np.uint64(s))
        return self

    def groups(self) -> dict[int, int]:
        """Skeleton fingerprint -> template id (smallest skeleton of its group, as int64)."""
        n = len(self.skeletons)
        if n == 0:
            return {}
        order = np.argsort(self.skeletons)  # merge order must not matter
        skel = self.skeletons[order]
        hs = [self.hashes[i] for i in order]
        lens = np.array([len(h) for h in hs], dtype=np.int64)
        flat = np.concatenate(hs) if hs else np.zeros(0, np.uint64)
        _, inv, df = np.unique(flat, return_inverse=True, return_counts=True)
        keep = df[inv] >= MIN_DF
        rows = np.repeat(np.arange(n), lens)
        kept_counts = np.bincount(rows[keep], minlength=n)
        labels = np.arange(n)
        eligible = np.flatnonzero(kept_counts >= MIN_SHINGLES)
        if len(eligible) > 1:
            sel = keep & np.isin(rows, eligible)
            offs = np.zeros(len(eligible) + 1, dtype=np.uint64)
            np.cumsum(kept_counts[eligible], out=offs[1:])
            digests = np.asarray(
                rensa.RMinHash.digest_matrix_from_flat_token_hashes(
                    np.ascontiguousarray(flat[sel]), offs, NUM_PERM, SEED
                ).to_rows(),
                dtype=np.uint64,
            )
            labels = _lsh_components(digests, eligible, n)
        root_min = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        skel_i64 = skel.view(np.int64)
        np.minimum.at(root_min, labels, skel_i64)
        template = root_min[labels]
        return dict(zip(skel.tolist(), template.tolist(), strict=True))

    def template_ids(self, table: pa.Table) -> pa.Array:
        """Template id (int64) per row of ``table`` (null where the prompt is null); rows whose
        prompt was never added get their own skeleton as id."""
        prompts = prompt_column(table)
        distinct, idx = dedupe(prompts)
        skel = stable_hash64(skeleton_text(mask(distinct)))
        g = self.groups()
        ids = np.array([g.get(int(s), int(s.view(np.int64))) for s in skel], dtype=np.int64)
        return expand(pa.array(ids, pa.int64()), idx)


def _distinct_sketch(table: pa.Table) -> tuple[np.ndarray, pa.Array, np.ndarray, np.ndarray]:
    prompts = prompt_column(table)
    distinct, idx = dedupe(prompts)
    masked = mask(distinct)
    skel = stable_hash64(skeleton_text(masked))
    flat, offsets = shingles(masked)
    return skel, idx, flat, offsets


def _lsh_components(digests: np.ndarray, eligible: np.ndarray, n: int) -> np.ndarray:
    """Connected components over LSH candidate pairs whose MinHash similarity passes."""
    r = NUM_PERM // BANDS
    src: list[np.ndarray] = []
    dst: list[np.ndarray] = []
    with np.errstate(over="ignore"):
        for band in range(BANDS):
            key = np.zeros(len(digests), dtype=np.uint64)
            for j in range(band * r, (band + 1) * r):
                key = key * np.uint64(0x100000001B3) + digests[:, j]
            _, first, inv = np.unique(key, return_index=True, return_inverse=True)
            leader = first[inv]
            pair = leader != np.arange(len(digests))
            src.append(np.flatnonzero(pair))
            dst.append(leader[pair])
    left = np.concatenate(src)
    right = np.concatenate(dst)
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
        skel, idx, flat, offsets = _distinct_sketch(table)
        index = SkeletonIndex()
        index.skeletons = skel
        index.hashes = [flat[offsets[i] : offsets[i + 1]] for i in range(len(skel))]
        index._seen = set(skel.tolist())
        g = index.groups()
        ids = np.array([g[int(s)] for s in skel], dtype=np.int64)
        return pa.table(
            {
                "skeleton": expand(pa.array(skel, pa.uint64()), idx),
                "template_id": expand(pa.array(ids, pa.int64()), idx),
            }
        )
