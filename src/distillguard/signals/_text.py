"""Shared, vectorised text plumbing: prompt access, de-duplication, normalisation, n-gram hashing.

Nothing here loops over rows in Python: strings are handled as whole Arrow columns, and n-grams
are hashed on one flat NumPy array of code points.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

N_FEATURES = 1 << 18  # columns are the top 18 bits of a hash
_MUL = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xBF58476D1CE4E5B9)

# Windows kept for classification: the instruction sits at the start or the end of a prompt.
HEAD_CHARS = 160
TAIL_CHARS = 96


def prompt_column(table: pa.Table, column: str = "prompt") -> pa.Array:
    """The prompt column as one string array; all-null when the column is missing."""
    if column not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    col = table.column(column)
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_large_string(arr.type) or pa.types.is_string_view(arr.type):
        arr = arr.cast(pa.string())
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(pa.string())
    return arr


_DEDUPE_CACHE: list[tuple[pa.Array, pa.Array, pa.Array]] = []


def dedupe(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Distinct non-null values and, per row, the index into them (null where the row is null).

    The last answer is cached by identity, so signals computed over one table share the work.
    """
    for arr, distinct, idx in _DEDUPE_CACHE:
        if arr is values:
            return distinct, idx
    distinct = pc.unique(values.drop_null())
    idx = pc.index_in(values, value_set=distinct)
    _DEDUPE_CACHE[:] = [(values, distinct, idx)]
    return distinct, idx


def expand(values: pa.Array, idx: pa.Array) -> pa.Array:
    """Map per-distinct values back onto rows (null rows stay null)."""
    return pc.take(values, idx)


def nfkc_lower(texts: pa.Array) -> pa.Array:
    """NFKC (only where a text is not plain ASCII, the costly part) and lower case."""
    non_ascii = pc.invert(pc.fill_null(pc.string_is_ascii(texts), True))
    if pc.any(non_ascii).as_py():
        fixed = pc.utf8_normalize(pc.filter(texts, non_ascii), "NFKC")
        texts = pc.replace_with_mask(texts, non_ascii, fixed)
    return pc.utf8_lower(texts)


def normalise(texts: pa.Array, *, mask_digits: bool = True) -> pa.Array:
    """NFKC, case-folded, whitespace-collapsed text; digit runs become ``0`` (Arrow regex;
    used where whole strings are needed, e.g. skeletons)."""
    out = nfkc_lower(texts)
    out = pc.replace_substring_regex(out, r"[\s\x{200b}\x{200c}\x{200d}\x{feff}]+", " ")
    if mask_digits:
        out = pc.replace_substring_regex(out, r"[0-9]+", "0")
    return pc.utf8_trim_whitespace(out)


def head_tail(texts: pa.Array, head: int = HEAD_CHARS, tail: int = TAIL_CHARS) -> pa.Array:
    """The first ``head`` and last ``tail`` code points (whole text when short enough)."""
    lengths = pc.utf8_length(texts)
    short = pc.less_equal(lengths, head + tail)
    h = pc.utf8_slice_codeunits(texts, 0, head)
    t = pc.utf8_slice_codeunits(texts, -tail)
    joined = pc.binary_join_element_wise(h, t, " \u2026 ")
    return pc.if_else(short, texts, joined)


def codepoints(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """All code points of ``texts`` as one uint32 array, plus per-text start offsets (n + 1)."""
    texts = pc.fill_null(texts, "")
    texts = pa.concat_arrays([texts]) if texts.offset else texts
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int32, count=len(texts) + 1)
    data = texts.buffers()[2]
    raw = b"" if data is None else data.to_pybytes()[offsets[0] : offsets[-1]]
    cps = np.frombuffer(raw.decode("utf-8").encode("utf-32-le"), dtype=np.uint32)
    lens = pc.utf8_length(texts).to_numpy(zero_copy_only=False).astype(np.int64)
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lens, out=starts[1:])
    return cps, starts


def _fold_table() -> np.ndarray:
    lut = np.arange(0x10000, dtype=np.uint32)
    lut[:33] = np.where(np.arange(33) <= 32, 32, lut[:33])
    lut[[0xA0, 0x200B, 0x200C, 0x200D, 0x3000, 0xFEFF]] = 32
    lut[48:58] = 48
    return lut


_FOLD = _fold_table()


def squeeze(cps: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whitespace runs become one space and digit runs one ``0``, on flat code points."""
    cps = np.where(cps < 0x10000, _FOLD[cps & np.uint32(0xFFFF)], cps)
    if len(cps) == 0:
        return cps, starts
    first = np.zeros(len(cps), dtype=bool)
    first[starts[:-1][np.diff(starts) > 0]] = True
    dup = np.zeros(len(cps), dtype=bool)
    dup[1:] = (cps[1:] == cps[:-1]) & ((cps[1:] == 32) | (cps[1:] == 48))
    keep = ~dup | first
    kept_before = np.zeros(len(cps) + 1, dtype=np.int64)
    np.cumsum(keep, out=kept_before[1:])
    return cps[keep], kept_before[starts]


def ngram_hashes(
    cps: np.ndarray, starts: np.ndarray, sizes: Sequence[int]
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """For each n in ``sizes``: a 64-bit multiplicative hash (use its top bits) of the n-gram
    starting at every code point, and whether that n-gram fits inside its text.

    Arrays have one entry per code point, so text ``i`` owns ``starts[i]:starts[i + 1]``.
    """
    total = len(cps)
    max_n = max(sizes)
    base = np.zeros(total + max_n, dtype=np.uint64)
    base[:total] = cps
    lens = np.diff(starts)
    room = np.repeat(starts[1:], lens) - np.arange(total, dtype=np.int64)
    out: list[tuple[int, np.ndarray, np.ndarray]] = []
    h = base.copy()
    with np.errstate(over="ignore"):
        for n in range(1, max_n + 1):
            if n > 1:
                h = h[:-1] * _MUL + base[n - 1 :]
            if n in sizes:
                out.append((n, (h[:total] ^ np.uint64(n)) * _MIX, room >= n))
    return out


NGRAM_SIZES = (1, 2, 3, 4)


class HashedNgrams:
    """Character n-gram features of texts, hashed into ``N_FEATURES`` columns and scaled by
    ``1 / sqrt(#n-grams)`` per text (HashingVectorizer-style). Kept as one CSR block per n
    (rows already in order, duplicates allowed), so nothing is ever sorted."""

    def __init__(self, texts: pa.Array, sizes: Sequence[int] = NGRAM_SIZES) -> None:
        cps, starts = squeeze(*codepoints(texts))
        self.n_rows = len(texts)
        self.starts = starts
        lens = np.diff(starts)
        n_grams = sum(np.maximum(lens - n + 1, 0) for n in sizes)
        scale = np.repeat((1.0 / np.sqrt(np.maximum(n_grams, 1))).astype(np.float32), lens)
        self.blocks: list[tuple[np.ndarray, np.ndarray]] = []
        for _, hs, ok in ngram_hashes(cps, starts, sizes):
            col = (hs >> np.uint64(46)).astype(np.int32)  # top 18 bits -> column
            self.blocks.append((col, np.where(ok, scale, np.float32(0.0))))

    def _csr(self, col: np.ndarray, value: np.ndarray) -> sparse.csr_matrix:
        return sparse.csr_matrix((value, col, self.starts), shape=(self.n_rows, N_FEATURES))

    def matrix(self) -> sparse.csr_matrix:
        """The features as one canonical CSR matrix (for training)."""
        x = sparse.csr_matrix((self.n_rows, N_FEATURES))
        for col, value in self.blocks:
            x = x + self._csr(col, value)
        x.eliminate_zeros()
        return sparse.csr_matrix(x)

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """``X @ weights`` for a ``(N_FEATURES, k)`` weight matrix."""
        out = np.zeros((self.n_rows, weights.shape[1]), dtype=np.float64)
        for col, value in self.blocks:
            out += self._csr(col, value) @ weights
        return out


class BatchedNgrams:
    """:class:`HashedNgrams` over many texts, built in batches so temporaries stay in cache."""

    def __init__(self, texts: pa.Array, batch_size: int = 512) -> None:
        self.n_rows = len(texts)
        self.batches = [
            HashedNgrams(texts.slice(i, batch_size)) for i in range(0, len(texts), batch_size)
        ]

    def matrix(self) -> sparse.csr_matrix:
        """All rows as one CSR matrix (for training)."""
        if not self.batches:
            return sparse.csr_matrix((0, N_FEATURES))
        return sparse.csr_matrix(sparse.vstack([b.matrix() for b in self.batches]))

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """``X @ weights``."""
        if not self.batches:
            return np.zeros((0, weights.shape[1]))
        return np.vstack([b.dot(weights) for b in self.batches])


def windows(prompts: pa.Array) -> pa.Array:
    """The text a classifier looks at: head and tail windows, NFKC and lower-cased."""
    return nfkc_lower(head_tail(prompts))


_FEATURE_CACHE: list[tuple[pa.Array, BatchedNgrams]] = []


def prompt_features(distinct_prompts: pa.Array) -> BatchedNgrams:
    """Classifier features for distinct prompts, cached by identity so the elicitation and
    capability signals share one featurisation."""
    for arr, x in _FEATURE_CACHE:
        if arr is distinct_prompts:
            return x
    x = BatchedNgrams(windows(distinct_prompts))
    _FEATURE_CACHE[:] = [(distinct_prompts, x)]
    return x
