"""The entry point: columns, null/missing prompts, determinism, languages, account summary."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from distillguard.signals import FEATURE_COLUMNS, compute_request_signals, summarise_by_account


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
    assert tuple(f.column_names) == FEATURE_COLUMNS
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
    s = summarise_by_account(compute_request_signals(t), t.column("account_id"))
    assert s.column("account_id").to_pylist() == ["a", "b", "c"]
    a = s.slice(0, 1).to_pylist()[0]
    assert a["requests"] == 2 and a["scored"] == 1
    assert a["elicitation_share"] == 1.0
    c = s.slice(2, 1).to_pylist()[0]
    assert c["templates"] == 2
    assert pc.all(pc.greater_equal(s.column("langs"), 0)).as_py()
