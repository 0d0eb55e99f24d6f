"""Stage function of the request-signal stage: text signals on a bounded sample of requests.

Python never sees every request: :func:`sample_request_signals` picks an evenly spaced sample
per account (an engine expression, see :mod:`distillguard.signals.sample`) and has it scored
where it lives (an engine's executors) or in this process, a bounded batch at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import ibis.expr.types as ir
import polars as pl
import pyarrow as pa

from distillguard.signals.sample import evenly_spaced_sample
from distillguard.signals.shards import stream_signals

__all__ = [
    "BATCH_ROWS",
    "SAMPLE_COLUMNS",
    "SignalRunner",
    "in_process_signals",
    "sample_request_signals",
    "sample_size",
]

# What the text signals read from each sampled request (prompts are fetched for these rows only).
SAMPLE_COLUMNS = (
    "request_id",
    "account_id",
    "timestamp",
    "prompt",
    "system_prompt",
    "tool_count",
    "turn_index",
    "model",
)

# Sampled requests scored at a time in this process: what the stage holds of prompt text.
BATCH_ROWS = 32_768

SignalRunner = Callable[[ir.Table, Sequence[str]], pa.Table]
"""Scores a sample: ``(sample, keep) -> request_id, keep columns, feature columns``."""


def in_process_signals(
    sample: ir.Table, keep: Sequence[str] = (), batch_rows: int = BATCH_ROWS
) -> pa.Table:
    """Score ``sample`` in this process, ``batch_rows`` requests at a time
    (:func:`~distillguard.signals.shards.stream_signals`): memory follows the batch, not the
    sample, and the values are those of
    :func:`~distillguard.signals.compute_request_signals` on the whole sample. The default
    :data:`SignalRunner`; engines with executors provide their own, with the same values."""
    batches = _sample_batches(sample, batch_rows)
    scored = stream_signals(batches, sample.schema().to_pyarrow(), keep)
    pa.default_memory_pool().release_unused()  # the batches' freed pages, for later stages
    return scored


def _sample_batches(sample: ir.Table, rows: int) -> Iterator[pa.RecordBatch]:
    """``sample`` as record batches of at most ``rows`` rows, typed as ``to_pyarrow`` types it."""
    backend = sample.get_backend()
    if backend.name != "duckdb":
        with sample.to_pyarrow_batches(chunk_size=rows) as reader:
            yield from reader
        return
    # Ibis 12's DuckDB batch reader calls a method DuckDB 2 dropped: read the relation that
    # Ibis's own to_pyarrow reads, batch by batch, with the same conversion.
    from ibis.backends.duckdb.converter import DuckDBPyArrowData

    schema = sample.schema()
    for batch in backend._to_duckdb_relation(sample).to_arrow_reader(rows):
        table = DuckDBPyArrowData.convert_table(pa.Table.from_batches([batch]), schema)
        yield from table.to_batches()


def sample_size(n_accounts: int, *, per_account: int, budget: int, floor: int) -> int:
    """Requests sampled per account: ``per_account``, fewer when ``n_accounts`` would exceed the
    ``budget`` in all, never under ``floor`` (so model cost stays bounded as traffic grows).

    >>> sample_size(10, per_account=100, budget=300_000, floor=12)
    100
    >>> sample_size(100_000, per_account=100, budget=300_000, floor=12)
    12
    """
    return min(per_account, max(floor, budget // max(n_accounts, 1)))


def sample_request_signals(
    requests: ir.Table,
    accounts: pl.DataFrame,
    per_account: int,
    run: SignalRunner | None = None,
) -> pl.DataFrame:
    """Per-request text signals on an evenly spaced sample of each account's requests.

    Every ``ceil(n / per_account)``-th request in time order: spread over the account's whole
    activity, deterministic, and the same rows on every engine (no engine-specific hashing).
    ``run`` scores them (an engine's ``request_signals``; default :func:`in_process_signals`).
    Returns ``request_id, account_id, timestamp, model``, the feature columns and the account's
    ``idx`` from ``accounts``.
    """
    picked = evenly_spaced_sample(requests, per_account, SAMPLE_COLUMNS)
    scorer = run if run is not None else in_process_signals
    frame = pl.from_arrow(scorer(picked, ("account_id", "timestamp", "model")))
    assert isinstance(frame, pl.DataFrame)
    return frame.join(accounts.select("account_id", "idx"), on="account_id")
