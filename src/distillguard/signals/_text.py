"""Shared, vectorised text plumbing: prompt access, de-duplication, code points, folding,
n-gram hashing, and a thread pool over batches.

Nothing here loops over rows in Python: strings are handled as whole Arrow columns, and
n-grams are hashed on one flat NumPy array of code points per batch. Batches run on a small
thread pool (Arrow kernels and the NumPy/SciPy work release the GIL).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

FEATURE_BITS = 16
N_FEATURES = 1 << FEATURE_BITS  # columns are the top bits of a hash
_MUL = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xBF58476D1CE4E5B9)

# Windows kept for classification: the instruction sits at the start or the end of a prompt.
HEAD_CHARS = 160
TAIL_CHARS = 96
NGRAM_SIZES = (1, 2, 3, 4)
SEPARATOR = (32, 0x2026, 32)  # " … " between head and tail windows
BATCH = 4096  # texts per batch (temporaries stay small; one batch is one pool task)

T = TypeVar("T")


def workers() -> int:
    """Threads used for batch work: ``DISTILLGUARD_THREADS`` or the CPU count (at most 8)."""
    env = os.environ.get("DISTILLGUARD_THREADS", "")
    return max(1, int(env)) if env.isdigit() else max(1, min(8, os.cpu_count() or 1))


def map_batches(fn: Callable[[pa.Array], T], texts: pa.Array, size: int = BATCH) -> list[T]:
    """``fn`` over consecutive slices of ``texts`` (in order), on the thread pool."""
    parts = [texts.slice(i, size) for i in range(0, len(texts), size)]
    if len(parts) <= 1 or workers() == 1:
        return [fn(p) for p in parts]
    with ThreadPoolExecutor(workers()) as pool:
        return list(pool.map(fn, parts))


def prompt_column(table: pa.Table, column: str = "prompt") -> pa.Array:
    """The prompt column as one string array; all-null when the column is missing."""
    if column not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    col = table.column(column)
    if isinstance(col, pa.ChunkedArray):
        arr = col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
    else:
        arr = col
    if pa.types.is_large_string(arr.type) or pa.types.is_string_view(arr.type):
        arr = arr.cast(pa.string())
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(pa.string())
    return arr


def _buffers_key(col: pa.ChunkedArray | pa.Array) -> tuple[object, ...]:
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    key: list[object] = [str(col.type), len(col)]
    for c in chunks:
        key += [c.offset, len(c)]
        key += [(b.address, b.size) if b is not None else None for b in c.buffers()]
    return tuple(key)


_PROMPTS_CACHE: list[tuple[tuple[object, ...], object, pa.Array, pa.Array]] = []
_PROMPTS_SCOPES = [0]


@contextmanager
def shared_prompts() -> Iterator[None]:
    """Inside, every signal computed over one table shares one de-duplication of its prompts
    (:func:`distinct_prompts`); on leaving the outermost scope it is forgotten, so the table's
    prompt text is not kept alive by the cache once its signals are computed.

    >>> with shared_prompts():
    ...     _ = distinct_prompts(pa.table({"prompt": ["a", "a", None]}))
    ...     len(_PROMPTS_CACHE)
    1
    >>> len(_PROMPTS_CACHE)
    0
    """
    _PROMPTS_SCOPES[0] += 1
    try:
        yield
    finally:
        _PROMPTS_SCOPES[0] -= 1
        if _PROMPTS_SCOPES[0] == 0:
            _PROMPTS_CACHE.clear()


def distinct_prompts(table: pa.Table, column: str = "prompt") -> tuple[pa.Array, pa.Array]:
    """Distinct non-null prompts of ``table`` and, per row, the index into them.

    Inside :func:`shared_prompts`, the last answer is cached by the memory the column lives in
    (Arrow data is immutable and the cache keeps it alive), so every signal computed over one
    table shares one pass; outside, nothing is kept.
    """
    if column not in table.column_names:
        return dedupe(pa.nulls(table.num_rows, pa.string()))
    col = table.column(column)
    key = _buffers_key(col)
    for k, _, distinct, idx in _PROMPTS_CACHE:
        if k == key:
            return distinct, idx
    distinct, idx = dedupe(prompt_column(table, column))
    if _PROMPTS_SCOPES[0]:
        _PROMPTS_CACHE[:] = [(key, col, distinct, idx)]
    return distinct, idx


def dedupe(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Distinct non-null values and, per row, the index into them (null where the row is null)."""
    encoded = pc.dictionary_encode(values)  # one hash pass; null rows stay null
    return encoded.dictionary, encoded.indices


def expand(values: pa.Array, idx: pa.Array) -> pa.Array:
    """Map per-distinct values back onto rows (null rows stay null)."""
    return pc.take(values, idx)


def head_tail(texts: pa.Array, head: int = HEAD_CHARS, tail: int = TAIL_CHARS) -> pa.Array:
    """The first ``head`` and last ``tail`` code points joined by " … " (whole text when short
    enough), as strings (used where a regex must see the window)."""
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
    raw = b"" if data is None else memoryview(data)[offsets[0] : offsets[-1]]
    cps = np.frombuffer(bytes(raw).decode("utf-8").encode("utf-32-le"), dtype=np.uint32)
    lens = pc.utf8_length(texts).to_numpy(zero_copy_only=False).astype(np.int64)
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lens, out=starts[1:])
    return cps, starts


def ranges_take(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + l)`` for each (start, length): a flat gather index."""
    lengths = np.maximum(lengths, 0)
    total = int(lengths.sum())
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(total, dtype=np.int64)


def tail_window(texts: pa.Array, tail: int) -> pa.Array:
    """At least the last ``tail`` code points of each text (at most ``4 * tail`` bytes, cut at
    a code point boundary), by byte arithmetic instead of a code-point scan."""
    texts = pc.fill_null(texts, "")
    texts = pa.concat_arrays([texts]) if texts.offset else texts
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int32, count=len(texts) + 1)
    buf = texts.buffers()[2]
    data = np.zeros(0, np.uint8) if buf is None else np.frombuffer(buf, dtype=np.uint8)
    ends = offsets[1:].astype(np.int64)
    start = np.maximum(ends - 4 * tail, offsets[:-1])
    for _ in range(3):  # step over UTF-8 continuation bytes
        inside = start < ends
        cont = np.zeros(len(start), dtype=bool)
        cont[inside] = (data[start[inside]] & 0xC0) == 0x80
        start += cont
    lens = ends - start
    new_offsets = np.zeros(len(texts) + 1, np.int32)
    np.cumsum(lens, out=new_offsets[1:])
    body = data[ranges_take(start, lens)]
    return pa.StringArray.from_buffers(
        len(texts), pa.py_buffer(new_offsets), pa.py_buffer(body.tobytes())
    )


def window_codepoints(
    texts: pa.Array,
    head: int,
    tail: int,
    sep: Sequence[int] = SEPARATOR,
    transform: Callable[[pa.Array], pa.Array] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Code points of each text's first ``head`` and last ``tail`` code points, with ``sep``
    between them (whole text when it is at most ``head + tail`` long); flat + offsets.

    ``transform`` (e.g. regex masking) is applied to the first ``head + tail`` code points and
    to a tail window before they are decoded and cut."""
    texts = pc.fill_null(texts, "")
    n = len(texts)
    long = pc.greater(pc.utf8_length(texts), head + tail).to_numpy(zero_copy_only=False)
    fn = transform if transform is not None else (lambda a: a)
    a, a_starts = codepoints(fn(pc.utf8_slice_codeunits(texts, 0, head + tail)))
    a_len = np.diff(a_starts)
    seg_start = np.zeros((n, 3), np.int64)
    seg_len = np.zeros((n, 3), np.int64)
    seg_start[:, 0] = a_starts[:-1]
    seg_len[:, 0] = np.where(long, np.minimum(a_len, head), a_len)
    ext = a
    if long.any():
        b, b_starts = codepoints(fn(tail_window(pc.filter(texts, pa.array(long)), tail)))
        b_len = np.minimum(np.diff(b_starts), tail)
        ext = np.concatenate([a, np.asarray(sep, np.uint32), b])
        seg_start[long, 1] = len(a)
        seg_len[long, 1] = len(sep)
        seg_start[long, 2] = b_starts[1:] - b_len + len(a) + len(sep)
        seg_len[long, 2] = b_len
    out = ext[ranges_take(seg_start.ravel(), seg_len.ravel())]
    starts = np.zeros(n + 1, np.int64)
    np.cumsum(seg_len.sum(axis=1), out=starts[1:])
    return out, starts


@cache
def fold_table() -> np.ndarray:
    """Per BMP code point: NFKC, lower case, any whitespace -> space, any decimal digit -> 0
    (where NFKC + lower give one code point; other code points map to themselves)."""
    lut = np.arange(0x10000, dtype=np.uint32)
    for cp in range(0x10000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        s = unicodedata.normalize("NFKC", ch).lower()
        if len(s) != 1 or ord(s) >= 0x10000:
            continue
        if s.isspace() or cp in (0x200B, 0x200C, 0x200D, 0xFEFF):
            lut[cp] = 32
        elif s.isdecimal():
            lut[cp] = 48
        else:
            lut[cp] = ord(s)
    lut[:33] = 32
    return lut


def fold(cps: np.ndarray, extra: np.ndarray | None = None) -> np.ndarray:
    """Apply :func:`fold_table` (and an optional second BMP table) to flat code points."""
    lut = fold_table() if extra is None else extra[fold_table()]
    bmp = cps < 0x10000
    return np.where(bmp, lut[cps & np.uint32(0xFFFF)], cps)


def squeeze(cps: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Runs of spaces become one space and runs of ``0`` one ``0`` (after :func:`fold`)."""
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


def classifier_codepoints(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """What the classifiers read: head and tail windows, folded and squeezed code points."""
    cps, starts = window_codepoints(texts, HEAD_CHARS, TAIL_CHARS)
    return squeeze(fold(cps), starts)


def ngram_matrix(cps: np.ndarray, starts: np.ndarray) -> sparse.csr_matrix:
    """Hashed character n-gram counts (orders :data:`NGRAM_SIZES`) scaled by ``1 /
    sqrt(#n-grams)`` per text, as a CSR matrix with ``N_FEATURES`` columns. Duplicate columns
    within a row are left unsummed (products are the same; nothing is sorted)."""
    n = len(starts) - 1
    lens = np.diff(starts)
    shift = np.uint64(64 - FEATURE_BITS)
    cols: list[np.ndarray] = []
    oks: list[np.ndarray] = []
    for _, hs, ok in ngram_hashes(cps, starts, NGRAM_SIZES):
        cols.append((hs >> shift).astype(np.int32))
        oks.append(ok)
    # interleave orders per position so each text's entries stay contiguous
    col = np.stack(cols, axis=1).ravel()
    ok = np.stack(oks, axis=1).ravel()
    counts = np.bincount(np.repeat(np.arange(n), lens * len(NGRAM_SIZES))[ok], minlength=n)
    scale = (1.0 / np.sqrt(np.maximum(counts, 1))).astype(np.float32)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    value = np.repeat(scale, counts)
    return sparse.csr_matrix((value, col[ok], indptr), shape=(n, N_FEATURES))


def features(texts: pa.Array) -> sparse.csr_matrix:
    """Classifier features of ``texts`` (one batch; see :func:`ngram_matrix`)."""
    return ngram_matrix(*classifier_codepoints(texts))


def training_matrix(texts: pa.Array) -> sparse.csr_matrix:
    """Canonical (summed, sorted) feature matrix of ``texts``, for training."""
    parts = map_batches(features, texts)
    if not parts:
        return sparse.csr_matrix((0, N_FEATURES), dtype=np.float32)
    x = sparse.csr_matrix(sparse.vstack(parts))
    x.sum_duplicates()
    return x
