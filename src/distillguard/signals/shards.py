"""Request signals computed shard by shard, then merged: the form a distributed engine runs.

Every signal but ``template_id`` is a pure function of one request, so each shard (an Arrow
batch on an executor) computes them itself: :func:`row_signals`. ``template_id`` needs state
from every shard (which shingles recur across distinct prompts, then LSH over MinHash
signatures), so it is built as sketch-then-merge in three steps whose results are identical to
:class:`~distillguard.signals.skeleton.SkeletonSignal` on the whole table:

1. per shard, every row's ``skeleton`` and sampled ``shingles`` (:func:`row_signals`);
2. one representative per distinct skeleton (its first row), and the document frequency of
   each shingle bucket over the representatives (a group-by count; :func:`wrapper_mask` turns
   the buckets that reached ``MIN_DF`` into a lookup table);
3. per shard of representatives, MinHash digests of the eligible ones
   (:func:`representative_digests`); then, on one machine, LSH components over those small
   integer arrays (:func:`template_ids`).

:func:`stream_signals` runs the same steps in one process over a stream of batches (the
in-process route: one batch of prompts in memory at a time, :class:`Representatives` keeping
the first row's shingles of each distinct skeleton).

The batch functions here take and return Arrow record batches with 64-bit signed integers where
the signals use unsigned ones (engines such as Spark have no unsigned types): values are
reinterpreted bit for bit (:func:`as_signed`, :func:`as_unsigned`), never converted. This module
imports only NumPy, PyArrow and the signals, so an executor's Python worker stays light; the
text models load once per worker process (they are cached at module level).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.signals._text import shared_prompts
from distillguard.signals.registry import REQUEST_SIGNALS, compute_request_signals, feature_schema
from distillguard.signals.skeleton import (
    DF_BITS,
    MIN_DF,
    NUM_PERM,
    df_buckets,
    group_ids,
    row_sketches,
    wrapper_digests,
)

# Signals a shard computes alone; the others (template ids) are sketched and merged below.
ROW_SIGNALS = tuple(name for name, cls in REQUEST_SIGNALS.items() if cls.row_local)
POSITION = "_pos"  # the row's position in the sample (any increasing int64)
# What :func:`representative_digests` returns and :func:`template_ids` reads.
DIGEST_SCHEMA = pa.schema([("skeleton", pa.int64()), ("digest", pa.list_(pa.int64()))])

__all__ = [
    "DIGEST_SCHEMA",
    "MIN_DF",
    "POSITION",
    "ROW_SIGNALS",
    "Representatives",
    "as_signed",
    "as_unsigned",
    "assemble",
    "map_representative_digests",
    "map_row_signals",
    "representative_digests",
    "row_signals",
    "stream_signals",
    "template_ids",
    "wrapper_mask",
]


def as_signed(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """uint64 (or list<uint64>) values reinterpreted as int64, bit for bit, nulls kept."""
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pa.types.is_list(arr.type):
        inner = as_signed(arr.values)
        return pa.ListArray.from_arrays(arr.offsets, inner, mask=arr.is_null())
    return arr.view(pa.int64())


def as_unsigned(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The inverse of :func:`as_signed` for a flat int64 array."""
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return arr.view(pa.uint64())


def row_signals(table: pa.Table, keep: Sequence[str] = ()) -> pa.Table:
    """Shard step 1: ``POSITION`` (if present), ``request_id``, the ``keep`` columns unchanged,
    every feature of :func:`compute_request_signals` except ``template_id``, and the
    ``shingles`` that template ids are built from. ``skeleton`` and ``shingles`` are int64."""
    with shared_prompts():
        feats = compute_request_signals(table, ROW_SIGNALS)
        sketches = row_sketches(table)
    cols: dict[str, pa.Array | pa.ChunkedArray] = {}
    if POSITION in table.column_names:
        cols[POSITION] = table.column(POSITION)
    cols["request_id"] = feats.column("request_id")
    for name in keep:
        cols[name] = table.column(name)
    for name in feature_schema().names[1:]:
        if name == "skeleton":
            cols[name] = as_signed(sketches.column("skeleton"))
        elif name != "template_id":
            cols[name] = feats.column(name)
    cols["shingles"] = as_signed(sketches.column("shingles"))
    return pa.table(cols)


def map_row_signals(
    batches: Iterator[pa.RecordBatch], keep: Sequence[str]
) -> Iterator[pa.RecordBatch]:
    """:func:`row_signals` over a stream of batches (a ``mapInArrow`` function)."""
    for batch in batches:
        yield from row_signals(pa.Table.from_batches([batch]), keep).to_batches()


def wrapper_mask(buckets: np.ndarray) -> np.ndarray:
    """Lookup table over the ``2**DF_BITS`` shingle buckets: true for the given buckets (those
    whose document frequency over distinct skeletons reached ``MIN_DF``)."""
    mask = np.zeros(1 << DF_BITS, dtype=bool)
    mask[np.asarray(buckets, dtype=np.int64)] = True
    return mask


def representative_digests(batch: pa.RecordBatch, wrapper: np.ndarray) -> pa.RecordBatch:
    """Shard step 3: for a batch of (``skeleton``, ``shingles``) representatives, the
    ``skeleton`` and MinHash ``digest`` (``NUM_PERM`` int64) of each one that keeps enough
    wrapper shingles; the others are left out (they stay their own template)."""
    shingles = batch.column("shingles")
    offsets = shingles.offsets.to_numpy().astype(np.int64)
    flat = as_unsigned(shingles.values).to_numpy()[offsets[0] : offsets[-1]]
    eligible, digests = wrapper_digests(flat, offsets - offsets[0], wrapper)
    skel = batch.column("skeleton").to_numpy()[eligible]
    values = pa.array(digests.T.ravel(), pa.uint64()).view(pa.int64())
    return pa.record_batch(
        {
            "skeleton": pa.array(skel, pa.int64()),
            "digest": pa.FixedSizeListArray.from_arrays(values, NUM_PERM).cast(
                pa.list_(pa.int64())
            ),
        }
    )


def map_representative_digests(
    batches: Iterator[pa.RecordBatch], buckets: np.ndarray
) -> Iterator[pa.RecordBatch]:
    """:func:`representative_digests` over a stream of batches (a ``mapInArrow`` function);
    the wrapper lookup table is built once per stream."""
    wrapper = wrapper_mask(buckets)
    for batch in batches:
        yield representative_digests(batch, wrapper)


def template_ids(skeletons: pa.Array, digests: pa.Table) -> pa.Array:
    """Merge step: ``template_id`` (int64) for each row's ``skeleton`` (int64 as from
    :func:`row_signals`, null stays null), from the ``digests`` table (``skeleton``,
    ``digest``) of every shard's eligible representatives."""
    skel = as_unsigned(pc.drop_null(skeletons)).to_numpy()
    distinct = np.unique(skel)
    d_skel = as_unsigned(digests.column("skeleton")).to_numpy()
    order = np.argsort(d_skel)
    eligible = np.searchsorted(distinct, d_skel[order])
    col = digests.column("digest").combine_chunks()
    flat = as_unsigned(col.flatten()).to_numpy().reshape(len(col), NUM_PERM)
    ids = group_ids(distinct, eligible, np.ascontiguousarray(flat[order].T))
    full = as_unsigned(pc.fill_null(skeletons, 0)).to_numpy()
    out = ids[np.searchsorted(distinct, full)] if len(distinct) else np.zeros(len(full), np.int64)
    valid = pc.is_valid(skeletons)
    return pc.if_else(valid, pa.array(out, pa.int64()), pa.scalar(None, pa.int64()))


def assemble(rows: pa.Table, template: pa.Array, keep: Sequence[str] = ()) -> pa.Table:
    """The merged result in :func:`compute_request_signals`'s layout: ``request_id``, the
    ``keep`` columns, then the feature columns with their in-process types."""
    schema = feature_schema()
    cols: dict[str, pa.Array | pa.ChunkedArray] = {
        "request_id": rows.column("request_id").cast(schema.field("request_id").type)
    }
    for name in keep:
        cols[name] = rows.column(name)
    for name in schema.names[1:]:
        if name == "skeleton":
            cols[name] = as_unsigned(rows.column("skeleton"))
        elif name == "template_id":
            cols[name] = template
        else:
            cols[name] = rows.column(name).cast(schema.field(name).type)
    return pa.table(cols)


class Representatives:
    """Step 2 fed one shard at a time: the first row of each distinct skeleton, in the order
    the shards arrive (``skeleton`` int64 and ``shingles`` list<int64>, as from
    :func:`row_signals`), so rows fed in sample order pick the representatives that
    :func:`compute_request_signals` picks. Only these shingles are kept, never a prompt."""

    def __init__(self) -> None:
        self.batches: list[pa.RecordBatch] = []
        self._seen = np.zeros(0, np.int64)  # sorted skeletons that have a representative

    def __len__(self) -> int:
        return len(self._seen)

    def update(self, rows: pa.Table) -> None:
        """Add the skeletons of ``rows`` not seen before, each with its first row's shingles."""
        skeleton = rows.column("skeleton")
        valid = np.flatnonzero(pc.is_valid(skeleton).to_numpy(zero_copy_only=False))
        values = pc.fill_null(skeleton, 0).to_numpy()[valid]
        distinct, first = np.unique(values, return_index=True)
        new = ~np.isin(distinct, self._seen, assume_unique=True)
        if not new.any():
            return
        picked = rows.select(["skeleton", "shingles"]).take(np.sort(valid[first[new]]))
        self.batches.extend(picked.combine_chunks().to_batches())
        self._seen = np.union1d(self._seen, distinct[new])

    def frequent_buckets(self) -> np.ndarray:
        """The shingle buckets whose document frequency over the representatives reached
        ``MIN_DF`` (the argument of :func:`wrapper_mask`)."""
        counts = np.zeros(1 << DF_BITS, np.int64)
        for batch in self.batches:
            flat = as_unsigned(batch.column("shingles").flatten()).to_numpy()
            counts += np.bincount(df_buckets(flat), minlength=len(counts))
        return np.flatnonzero(counts >= MIN_DF)

    def digests(self) -> pa.Table:
        """Step 3 over every representative: :data:`DIGEST_SCHEMA`, for :func:`template_ids`."""
        wrapper = wrapper_mask(self.frequent_buckets())
        return pa.Table.from_batches(
            [representative_digests(b, wrapper) for b in self.batches], schema=DIGEST_SCHEMA
        )


def stream_signals(
    batches: Iterable[pa.RecordBatch], schema: pa.Schema, keep: Sequence[str] = ()
) -> pa.Table:
    """:func:`compute_request_signals` of the rows of ``batches`` (``schema``: theirs), in
    :func:`assemble`'s layout with the ``keep`` columns, one shard in memory at a time: each
    batch is scored (:func:`row_signals`) and dropped; what stays is its feature and ``keep``
    columns, copied out of it, and the shingles of new :class:`Representatives`. Same rows,
    order and values as scoring the concatenated batches at once."""
    reps = Representatives()
    parts: list[pa.Table] = []
    for batch in batches:
        rows = row_signals(pa.Table.from_batches([batch]), keep)
        reps.update(rows)
        # A column taken over from a fetched batch can hold the whole batch (prompts too)
        # alive: an imported Arrow batch releases its buffers together. Copy what stays.
        kept = rows.drop_columns(["shingles"])
        parts.append(kept.take(np.arange(kept.num_rows)))
        del batch, rows, kept
    if not parts:
        parts.append(row_signals(schema.empty_table(), keep).drop_columns(["shingles"]))
    features = pa.concat_tables(parts)
    del parts
    return assemble(features, template_ids(features.column("skeleton"), reps.digests()), keep)
