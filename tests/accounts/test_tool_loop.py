"""Tools without a tool loop: an account whose requests define tools but are never continued with
tool results stands out; a real agent's loop, an evaluation sweep with a few function-calling
items and a log without conversation ids do not — on DuckDB and on Spark alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import ibis
import numpy as np
import polars as pl
import pyarrow as pa
import pytest

from distillguard.accounts import account_table, score_accounts
from distillguard.engine.tables import conform

T0 = datetime(2026, 5, 1, 9, tzinfo=UTC)


def _log() -> pa.Table:
    """Four accounts of 40 requests each, and one of a single request.

    ``agent``: a coding agent whose tool-bearing requests run 5-turn loops (tool results sent
    back); ``oneshot``: tools on every request, each a new conversation never continued;
    ``sweep``: an evaluation sweep, single-turn items, 4 of 40 with tools; ``nocid``: tools on
    every request but no conversation ids at all; ``single``: one request with tools.
    """
    columns = "request_id timestamp account_id model conversation_id turn_index tool_count prompt"
    rows: dict[str, list[Any]] = {k: [] for k in columns.split()}

    def add(acct: str, i: int, conv: str | None, turn: int | None, tools: int) -> None:
        rows["request_id"].append(f"{acct}-{i:03d}")
        rows["timestamp"].append(T0 + timedelta(minutes=7 * i))
        rows["account_id"].append(acct)
        rows["model"].append("m1")
        rows["conversation_id"].append(conv)
        rows["turn_index"].append(turn)
        rows["tool_count"].append(tools)
        rows["prompt"].append(f"request {i} of {acct}")

    for i in range(40):
        add("agent", i, f"agent-c{i // 5}", i % 5, 6)
        add("oneshot", i, f"oneshot-c{i}", 0, 6)
        add("sweep", i, f"sweep-c{i}", 0, 3 if i % 10 == 0 else 0)
        add("nocid", i, None, None, 6)
    add("single", 0, "single-c0", 0, 6)  # one request, tools, never continued
    return pa.table(rows).cast(
        pa.schema(
            [
                ("request_id", pa.string()),
                ("timestamp", pa.timestamp("us", tz="UTC")),
                ("account_id", pa.string()),
                ("model", pa.string()),
                ("conversation_id", pa.string()),
                ("turn_index", pa.int64()),
                ("tool_count", pa.int64()),
                ("prompt", pa.string()),
            ]
        )
    )


def _by_account(accounts: pl.DataFrame, column: str) -> dict[str, float | None]:
    return dict(zip(accounts["account_id"].to_list(), accounts[column].to_list(), strict=True))


def test_tools_never_continued_stand_out_from_a_real_tool_loop() -> None:
    accounts = account_table(conform(ibis.memtable(_log())))
    share = _by_account(accounts, "tool_no_loop_share")
    assert share["agent"] == 0.0  # every tool request sits in a continued conversation
    assert share["oneshot"] == 1.0
    assert share["sweep"] == 1.0  # its few tool items are single-turn too...
    assert share["nocid"] is None  # no conversation ids: the log cannot say
    level = _by_account(accounts, "tools_without_loop")
    # ...but they are a tenth of its traffic, so its indicator stays low.
    assert level["oneshot"] == pytest.approx(1.0)
    assert level["sweep"] == pytest.approx(0.1)
    assert level["agent"] == 0.0
    assert level["nocid"] is None
    assert level["single"] is None  # one request cannot show a loop either way


def test_the_indicator_raises_the_harvest_score_of_the_one_shot_account_only() -> None:
    accounts = account_table(conform(ibis.memtable(_log())))
    scored, levels = score_accounts(accounts)
    harvest = _by_account(scored, "harvest")
    assert "tools_without_loop" in levels
    assert np.isnan(levels["tools_without_loop"][scored["account_id"].to_list().index("nocid")])
    assert harvest["oneshot"] > harvest["agent"] + 0.15
    assert harvest["oneshot"] > harvest["sweep"] + 0.15


@pytest.mark.spark
@pytest.mark.slow
def test_spark_computes_the_same_tool_loop_features(spark: Any) -> None:
    log = _log()
    view = "dg_test_tool_loop"
    spark.createDataFrame(log.to_pandas()).createOrReplaceTempView(view)
    try:
        on_spark = account_table(conform(ibis.pyspark.connect(spark).table(view)))
    finally:
        spark.catalog.dropTempView(view)
    on_duck = account_table(conform(ibis.memtable(log)))
    for column in ("tool_no_loop_share", "tools_without_loop", "n_conversations"):
        assert _by_account(on_spark, column) == _by_account(on_duck, column), column
