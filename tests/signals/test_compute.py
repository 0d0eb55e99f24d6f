"""The entry point: columns, null/missing prompts, determinism, languages, account summary."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from distillguard.signals import compute_request_signals, feature_schema, summarise_by_account


def _table() -> pa.Table:
    prompts = [
        "Here is the problem and its final answer. Write the full derivation that leads to it."
        "\nQuestion: 3 apples cost $6, what do 5 cost?\nAnswer: $10",
        None,
        "List the steps to install nginx.",
        "请一步一步地思考，并写出完整的推理过程：1+1等于几？",
        "Привет! Посоветуй книгу.",
        "List the steps to install nginx.",
    ]
    return pa.table(
        {
            "request_id": [f"r{i}" for i in range(len(prompts))],
            "account_id": ["a", "a", "b", "b", "c", "c"],
            "prompt": pa.array(prompts, pa.string()),
            "tool_count": pa.array([None, 1, 0, None, 0, 0], pa.int64()),
        }
    )


def test_columns_types_and_nulls() -> None:
    f = compute_request_signals(_table())
    assert f.schema == feature_schema()
    assert f.num_rows == 6
    assert f.schema.field("elicitation").type == pa.float32()
    assert f.schema.field("template_id").type == pa.int64()
    assert f.schema.field("prompt_chars").type == pa.int32()
    row = f.slice(1, 1).to_pylist()[0]
    assert all(v is None for k, v in row.items() if k != "request_id")
    assert f.column("elicitation")[0].as_py() > 0.5
    assert f.column("elicitation")[2].as_py() < 0.5
    assert f.column("lang").to_pylist()[3:5] == ["zh", "cyrillic"]
    assert f.column("skeleton")[2] == f.column("skeleton")[5]


def test_missing_prompt_column_gives_null_features() -> None:
    f = compute_request_signals(pa.table({"request_id": ["x", "y"]}))
    assert f.num_rows == 2
    assert f.column("capability").null_count == 2
    assert f.column("template_id").null_count == 2


def test_empty_table() -> None:
    f = compute_request_signals(
        pa.table({"request_id": pa.array([], pa.string()), "prompt": pa.array([], pa.string())})
    )
    assert f.num_rows == 0


def test_deterministic() -> None:
    a = compute_request_signals(_table())
    b = compute_request_signals(_table())
    assert a.equals(b)


def test_summarise_by_account() -> None:
    t = _table()
    ids = t.column("account_id").to_pylist()
    sample = pl.from_arrow(compute_request_signals(t))
    assert isinstance(sample, pl.DataFrame)
    sample = sample.with_columns(pl.Series("idx", [sorted(set(ids)).index(a) for a in ids]))
    accounts = pl.DataFrame({"account_id": ["a", "b", "c", "d"], "idx": [0, 1, 2, 3]})
    s = summarise_by_account(accounts, sample)
    assert s["account_id"].to_list() == ["a", "b", "c", "d"]
    a = s.row(0, named=True)
    assert a["sampled"] == 2  # both requests, one with a null prompt
    assert a["elicitation_share"] == 1.0  # shares are over the scored (non-null) requests
    assert s.row(2, named=True)["n_templates"] == 2
    assert s.row(3, named=True)["sampled"] is None  # nothing sampled: nulls, not zeros
    assert s.filter(pl.col("cap_entropy").is_not_null())["cap_entropy"].is_between(0, 1).all()
