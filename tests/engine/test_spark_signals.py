"""Text signals scored on Spark executors equal the in-process signals, row for row."""

from __future__ import annotations

import random
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from distillguard.engine.spark_signals import spark_request_signals
from distillguard.signals import compute_request_signals, corpora, feature_schema

pytestmark = pytest.mark.spark

WRAPPERS = [
    "You are an expert tutor. Read the task below carefully.\n\n{p}\n\n"
    "Write the detailed derivation, step by step, then the final answer in a box.",
    "You're an expert tutor. Read the problem below with care.\n\n{p}\n\n"
    "Write out the detailed derivation, step by step, then give the final answer in a box.",
    "### Instruction\nGrade the following submission against the rubric and return JSON "
    "with fields score and rationale.\n### Submission\n{p}\n### End",
    "### Instructions\nGrade the submission below against the rubric and return JSON with "
    "fields score and rationale\n### Submission\n{p}\n### End",
    "请一步一步地推理下面的问题，并写出完整的思考过程。\n\n{p}\n\n最后给出答案。",
]


def _requests(n: int = 600, seed: int = 7) -> pa.Table:
    """Templated and free-form prompts (real payloads), repeats, a null, tool calls."""
    rng = random.Random(seed)
    pool = [q for q, _ in corpora.gsm8k()] + corpora.truthfulqa() + corpora.humaneval()
    prompts: list[str | None] = []
    for _ in range(n):
        payload = rng.choice(pool)[: rng.choice((40, 200, 1500))]
        roll = rng.random()
        if roll < 0.6:
            prompts.append(rng.choice(WRAPPERS).format(p=payload))
        elif roll < 0.95:
            prompts.append(payload)
        else:
            prompts.append(prompts[-1] if prompts else payload)  # an exact repeat
    prompts[5] = None
    return pa.table(
        {
            "request_id": [f"r{i:04d}" for i in range(n)],
            "account_id": [f"a{rng.randrange(20):02d}" for _ in range(n)],
            "prompt": pa.array(prompts, pa.string()),
            "tool_count": pa.array([rng.choice((0, 0, 0, 2)) for _ in range(n)], pa.int64()),
        }
    )


def test_executor_signals_equal_in_process_signals(spark: Any) -> None:
    table = _requests()
    expected = compute_request_signals(table)
    ids = expected.column("template_id")
    groups = pc.count_distinct(ids).as_py()
    assert groups < pc.count_distinct(expected.column("skeleton")).as_py(), (
        "the data should contain near-duplicate wrappers that LSH groups"
    )

    view = "dg_test_signals"
    spark.createDataFrame(table.to_pandas()).repartition(1).createOrReplaceTempView(view)
    old = spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch")
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "97")  # many shards
    try:
        sample = ibis.pyspark.connect(spark).table(view)
        got = spark_request_signals(sample, keep=("account_id",))
    finally:
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", old)
        spark.catalog.dropTempView(view)

    assert got.column_names == ["request_id", "account_id", *feature_schema().names[1:]]
    assert got.num_rows == table.num_rows
    got = got.sort_by("request_id")
    for name in feature_schema().names:
        assert got.column(name).type == expected.column(name).type, name
        assert got.column(name).equals(expected.column(name)), name
    assert got.column("account_id").equals(table.column("account_id"))
