"""Signals computed shard by shard and merged equal the single-pass signals (no Spark needed)."""

from __future__ import annotations

import itertools
import random

import numpy as np
import polars as pl
import pyarrow as pa

from distillguard.signals import compute_request_signals, feature_schema
from distillguard.signals.shards import (
    MIN_DF,
    POSITION,
    assemble,
    representative_digests,
    row_signals,
    template_ids,
    wrapper_mask,
)
from distillguard.signals.skeleton import DF_BITS


def test_sharded_signals_equal_single_pass(templated: tuple[list[str], list[int]]) -> None:
    texts, _ = templated
    rng = random.Random(5)
    prompts: list[str | None] = [rng.choice(texts) if rng.random() < 0.2 else t for t in texts]
    prompts[3] = None
    n = len(prompts)
    table = pa.table(
        {
            POSITION: pa.array(np.arange(n), pa.int64()),
            "request_id": [f"r{i:05d}" for i in range(n)],
            "prompt": pa.array(prompts, pa.string()),
        }
    )
    expected = compute_request_signals(table.drop_columns([POSITION]))

    # 1. row signals per shard (uneven shard sizes)
    cuts = [0, 37, 400, 401, n]
    rows = pa.concat_tables(
        [row_signals(table.slice(a, b - a)) for a, b in itertools.pairwise(cuts)]
    )
    # 2. one representative per skeleton (first row), document frequency of shingle buckets
    frame = pl.from_arrow(rows.select([POSITION, "skeleton", "shingles"]))
    assert isinstance(frame, pl.DataFrame)
    reps = frame.drop_nulls("skeleton").sort(POSITION).group_by("skeleton").first()
    buckets = (
        reps.select(pl.col("shingles").explode().alias("s"))
        .select((pl.col("s") // (1 << (56 - DF_BITS))).alias("b"))  # shingles are >= 0
        .group_by("b")
        .len()
        .filter(pl.col("len") >= MIN_DF)["b"]
        .to_numpy()
    )
    # 3. digests per shard of representatives, 4. merge
    wrapper = wrapper_mask(buckets)
    rep_table = reps.select("skeleton", "shingles").to_arrow()
    digests = pa.Table.from_batches(
        [representative_digests(b, wrapper) for b in rep_table.to_batches(max_chunksize=300)]
    )
    got = assemble(rows, template_ids(rows.column("skeleton"), digests))

    assert got.column_names == feature_schema().names
    assert len(set(got.column("template_id").to_pylist())) < len(rep_table)  # LSH joined some
    for name in feature_schema().names:
        assert got.column(name).equals(expected.column(name)), name
