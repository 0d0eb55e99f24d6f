"""Scoring the sample a batch at a time gives the single-pass signals: same rows, order, values."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import ibis
import numpy as np
import pyarrow as pa
import pytest

from distillguard.signals import compute_request_signals, feature_schema, in_process_signals
from distillguard.signals.shards import stream_signals
from distillguard.signals.skeleton import SKELETON_CHARS


def _log(texts: list[str]) -> pa.Table:
    """About 1,300 requests in ``request_id`` order: templated prompts, the same prompts again
    far apart (so in other batches), nulls, and pairs that share a skeleton but not every
    shingle (they differ only past the fingerprinted head), the later one in a later batch."""
    rng = random.Random(11)
    prompts: list[str | None] = list(texts)
    prompts += [rng.choice(texts) for _ in range(200)]  # repeats, anywhere in the log
    head = "Summarise the report below for the board, in plain words. " * 3
    tail = " End of report. Keep it under two hundred words, and list the three main risks."
    for i in range(40):
        middle = f"Section {chr(65 + i % 26)} of the appendix lists figures for region {i}."
        prompts.append(head[:SKELETON_CHARS] + middle * 4 + head[SKELETON_CHARS:] + tail * 3)
    prompts += [None] * 30
    rng.shuffle(prompts)
    n = len(prompts)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return pa.table(
        {
            "request_id": [f"r{i:05d}" for i in range(n)],
            "account_id": [f"a{rng.randrange(40):02d}" for _ in range(n)],
            "timestamp": pa.array(
                [start + timedelta(seconds=17 * i) for i in range(n)], pa.timestamp("us", tz="UTC")
            ),
            "prompt": pa.array(prompts, pa.string()),
            "system_prompt": pa.array(
                [None if i % 3 else "You are a helpful assistant." for i in range(n)]
            ),
            "tool_count": pa.array([i % 4 for i in range(n)], pa.int32()),
            "turn_index": pa.array([None if i % 5 == 0 else i % 3 for i in range(n)], pa.int32()),
            "model": [("large", "small")[i % 2] for i in range(n)],
        }
    )


@pytest.fixture(scope="module")
def log(templated: tuple[list[str], list[int]]) -> pa.Table:
    return _log(templated[0])


def test_streamed_signals_equal_single_pass(log: pa.Table) -> None:
    expected = compute_request_signals(log)
    batches = log.to_batches(max_chunksize=97)
    assert len(batches) > 10

    got = stream_signals(batches, log.schema, keep=("account_id", "model"))

    assert got.column_names == ["request_id", "account_id", "model", *feature_schema().names[1:]]
    assert got.column("account_id").equals(log.column("account_id"))
    assert got.column("model").equals(log.column("model"))
    for name in feature_schema().names:
        assert got.column(name).equals(expected.column(name)), name
    # templates were grouped across batches: one template id spans rows of several batches
    batch_of = np.arange(log.num_rows) // 97
    template = got.column("template_id").to_numpy(zero_copy_only=False)
    skeleton = got.column("skeleton").to_numpy(zero_copy_only=False)
    valid = ~np.isnan(template.astype(float))
    assert len(np.unique(template[valid])) < len(np.unique(skeleton[valid]))  # LSH joined some
    spans = {t: len(np.unique(batch_of[valid][template[valid] == t])) for t in template[valid]}
    assert max(spans.values()) > 5


def test_in_process_signals_read_a_duckdb_sample_in_batches(log: pa.Table) -> None:
    sample = ibis.memtable(log)
    expected = sample.to_pyarrow()
    feats = compute_request_signals(expected)

    got = in_process_signals(sample, keep=("account_id", "timestamp"), batch_rows=128)

    assert got.num_rows == log.num_rows
    for name in ("account_id", "timestamp"):
        assert got.column(name).type == expected.column(name).type
        assert got.column(name).equals(expected.column(name)), name
    for name in feature_schema().names:
        assert got.column(name).equals(feats.column(name)), name


def test_an_empty_sample_gives_an_empty_feature_table(log: pa.Table) -> None:
    sample = ibis.memtable(log).filter(ibis._.request_id == "none")

    got = in_process_signals(sample, keep=("account_id",))

    assert got.num_rows == 0
    assert got.column_names == ["request_id", "account_id", *feature_schema().names[1:]]
    assert got.schema.field("template_id").type == pa.int64()
