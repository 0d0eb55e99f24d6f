"""Contract checks every component must pass, in the manner of river's ``check_estimator``.

:func:`linker_checks`, :func:`signal_checks` and :func:`engine_checks` yield small named check
functions for one component; ``tests/contract/`` runs them over every registered linker, signal
and engine, so a new component gets them by being registered. The data are a tiny seeded log
built here (:func:`contract_log`): a handful of ordinary accounts and a small coordinated fleet
sharing a network, a payment instrument, a prompt template and a dispatcher's timing, plus null
optional fields, so every linker has something to find and every null path is exercised.

>>> from distillguard.linkage import NetworkLinker
>>> [name for name, _ in linker_checks(NetworkLinker())][:3]
['empty_input', 'one_account', 'edge_schema']
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import ibis
import ibis.expr.types as ir
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from distillguard.accounts import account_table, score_accounts
from distillguard.engine.base import Engine, EngineSettings
from distillguard.engine.tables import conform
from distillguard.linkage.base import EDGE_SCHEMA, LinkContext, Linker
from distillguard.schema import REQUEST_SCHEMA
from distillguard.signals.base import RequestSignal
from distillguard.signals.stage import sample_request_signals
from distillguard.signals.summary import summarise_by_account

__all__ = [
    "Check",
    "contract_context",
    "contract_log",
    "engine_checks",
    "linker_checks",
    "signal_checks",
]

Check = tuple[str, Callable[[], None]]
START = datetime(2026, 3, 2, tzinfo=UTC)
REQUIRED = ("request_id", "timestamp", "account_id", "model")
_TOPICS = (
    "sorting lists",
    "tax forms",
    "a birthday card",
    "SQL joins",
    "a haiku",
    "rust lifetimes",
)


def contract_log(
    n_fleet: int = 5,
    n_people: int = 9,
    requests: int = 30,
    seed: int = 7,
    null_prompts: bool = True,
) -> pa.Table:
    """A small request log with the full schema: ``n_fleet`` accounts of one operator (one
    /24, one card, one prompt wrapper and system prompt, requests in the same five-minute
    slots) and ``n_people`` ordinary accounts (own networks, own prompts, own hours; a third of
    them send one common system prompt); some optional fields are null."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    slots = np.sort(rng.choice(7 * 288, size=requests, replace=False))
    for k in range(n_fleet + n_people):
        fleet = k < n_fleet
        account = f"{'fleet' if fleet else 'user'}-{k:02d}"
        own = np.sort(rng.choice(7 * 288, size=requests, replace=False))
        for i in range(requests):
            slot = int(slots[i] if fleet else own[i])
            topic = _TOPICS[int(rng.integers(0, len(_TOPICS)))]
            prompt = (
                f"### Task {i}\nExplain step by step, showing all reasoning: {topic}. "
                "Return the final answer after the reasoning."
                if fleet
                else f"hey, can you help me with {topic}? number {int(rng.integers(0, 99))}"
            )
            rows.append(
                {
                    "request_id": f"{account}-{i:03d}",
                    "timestamp": START + timedelta(seconds=slot * 300 + int(rng.integers(0, 60))),
                    "account_id": account,
                    "org_id": None if fleet else f"org-{k % 4}",
                    "ip": f"203.0.113.{10 + k}" if fleet else f"198.51.{k}.{i % 3 + 1}",
                    "asn": 64500 if fleet else 64600 + k,
                    "user_agent": "python-httpx/0.27" if fleet else None,
                    "payment_fingerprint": "card-fleet" if fleet else f"card-{k}",
                    "account_created_at": START - timedelta(days=1 if fleet else 100 + k),
                    "email_domain": "mailbox.example" if fleet else None,
                    "model": "m-large" if fleet else "m-small",
                    "conversation_id": None if fleet else f"{account}-c{i // 3}",
                    "turn_index": 0 if fleet else i % 3,
                    "prompt": None if (null_prompts and not fleet and i % 10 == 9) else prompt,
                    "system_prompt": (
                        "You run the batch. Answer fully."
                        if fleet
                        else ("You are a helpful assistant." if k % 3 == 0 else None)
                    ),
                    "max_tokens": 4096 if fleet else int(rng.integers(200, 900)),
                    "temperature": 0.0 if fleet else None,
                    "input_tokens": 60,
                    "output_tokens": 1500 if fleet else int(rng.integers(50, 300)),
                    "status": "ok",
                }
            )
    # Every optional field may be null (metadata-only logs carry no prompt).
    schema = pa.schema([f.with_nullable(f.name not in REQUIRED) for f in REQUEST_SCHEMA])
    return pa.Table.from_pylist(rows, schema=schema)


def contract_context(table: pa.Table | ir.Table, seed: int = 0) -> LinkContext:
    """What linkers see for ``table``, built by the stage functions as ``detect`` builds it."""
    t = conform(ibis.memtable(table) if isinstance(table, pa.Table) else table)
    accounts = account_table(t)
    sample = sample_request_signals(t, accounts, 100)
    accounts, _ = score_accounts(summarise_by_account(accounts, sample))
    return LinkContext(requests=t, accounts=accounts, sample=sample, seed=seed)


@functools.cache
def _shared_context(which: str) -> LinkContext:
    """The linker checks' contexts, built once per process (the signals are the slow part)."""
    full = contract_log()
    if which == "empty":
        return contract_context(full.slice(0, 0))
    if which == "one":
        return contract_context(full.filter(pa.compute.equal(full["account_id"], "fleet-00")))
    return contract_context(full)


def _check_edges(edges: pl.DataFrame, linker: Linker, n_accounts: int) -> None:
    assert dict(edges.schema) == dict(linker.outputs), (dict(edges.schema), linker.outputs)
    if edges.is_empty():
        return
    w = edges["weight"].to_numpy()
    assert ((w > 0) & (w <= 1)).all(), f"weights outside (0, 1]: {w.min()}..{w.max()}"
    assert (edges["a"] < edges["b"]).all(), "edges must have a < b (no self or reversed pairs)"
    a, b = edges["a"].to_numpy(), edges["b"].to_numpy()
    assert a.min() >= 0 and b.max() < n_accounts, "edge ends must be account indices"
    assert set(edges["family"].unique().to_list()) == {linker.family}
    assert edges.select("a", "b").is_unique().all(), "one edge per pair and linker"


def linker_checks(linker: Linker) -> Iterator[Check]:
    """The contract of a linker: its metadata passes :meth:`Linker.check`; on an empty log it
    returns an empty edge table of the declared schema; one account gets no edge; edges have the
    declared columns and types, ``a < b``, weights in (0, 1] and the linker's family; the same
    input gives the same edges."""

    def metadata() -> None:
        linker.check()
        assert set(EDGE_SCHEMA) <= set(linker.outputs)

    def empty_input() -> None:
        edges = linker.link(_shared_context("empty"))
        assert edges.is_empty() and dict(edges.schema) == dict(linker.outputs)

    def one_account() -> None:
        edges = linker.link(_shared_context("one"))
        assert edges.is_empty(), "a single account cannot be linked to anyone"

    def edge_schema() -> None:
        ctx = _shared_context("full")
        _check_edges(linker.link(ctx), linker, ctx.n_accounts)

    def deterministic() -> None:
        a = linker.link(_shared_context("full")).sort(["a", "b"])
        b = linker.link(contract_context(contract_log())).sort(["a", "b"])
        assert a.equals(b)

    yield "empty_input", empty_input
    yield "one_account", one_account
    yield "edge_schema", edge_schema
    yield "deterministic", deterministic
    yield "metadata", metadata


def signal_checks(signal: type[RequestSignal]) -> Iterator[Check]:
    """The contract of a request signal: declared name, description and typed outputs; exactly
    the declared columns and types, one row per input row; an empty table and a table without a
    prompt column work; a null prompt gives null outputs; the same input gives the same output;
    a row-local signal gives each row the same values whatever the rest of the table."""
    full = contract_log(requests=12)

    def schema() -> None:
        out = signal().compute(full)
        assert out.schema == pa.schema(list(signal.outputs.items())), out.schema
        assert out.num_rows == full.num_rows

    def empty_input() -> None:
        out = signal().compute(full.slice(0, 0))
        assert out.num_rows == 0 and out.column_names == list(signal.outputs)

    def no_prompt_column() -> None:
        out = signal().compute(full.select(["request_id", "account_id"]))
        assert out.num_rows == full.num_rows
        assert all(out.column(c).null_count == out.num_rows for c in out.column_names)

    def null_prompt() -> None:
        nulls = pa.compute.is_null(full["prompt"])
        assert pa.compute.any(nulls).as_py()
        out = signal().compute(full).filter(nulls)
        assert all(out.column(c).null_count == out.num_rows for c in out.column_names)

    def deterministic() -> None:
        assert signal().compute(full).equals(signal().compute(full))

    def row_local() -> None:
        if not signal.row_local:
            return  # declared: values depend on other rows (merged across shards instead)
        half = full.num_rows // 2
        parts = pa.concat_tables(
            [signal().compute(full.slice(0, half)), signal().compute(full.slice(half))]
        )
        assert parts.equals(signal().compute(full))

    def metadata() -> None:
        assert signal.name and signal.description and signal.outputs
        assert signal.columns == tuple(signal.outputs)

    yield "metadata", metadata
    yield "schema", schema
    yield "empty_input", empty_input
    yield "no_prompt_column", no_prompt_column
    yield "null_prompt", null_prompt
    yield "deterministic", deterministic
    yield "row_local", row_local


def engine_checks(
    engine: type[Engine], workdir: Path, linkers: Sequence[Linker] = ()
) -> Iterator[Check]:
    """The contract of an engine: it opens a Parquet log as a table that conforms to the stored
    schema, counts what it stored, quarantines nothing valid, and gives the account stage the
    same table, its own request-signal runner the same sample features, and each of ``linkers``
    the same edges as the embedded reference (DuckDB over an in-memory table)."""
    # Ingest validation is the engines' own contract (tests/ingest); here every row is valid.
    log = contract_log(null_prompts=False)
    path = workdir / "log.parquet"
    workdir.mkdir(parents=True, exist_ok=True)
    pq.write_table(log, path)
    reference = account_table(conform(ibis.memtable(log)))

    def opens_and_counts() -> None:
        with engine(EngineSettings(workdir=workdir / engine.name)) as eng:
            t = conform(eng.open([path]))
            assert eng.stats.rows_stored == log.num_rows
            assert eng.stats.rows_quarantined == 0
            assert int(t.count().to_pyarrow().as_py()) == log.num_rows

    def same_account_table() -> None:
        with engine(EngineSettings(workdir=workdir / f"{engine.name}-acc")) as eng:
            got = account_table(conform(eng.open([path])))
        cols = [c for c in reference.columns if not reference[c].dtype.is_temporal()]
        assert got.columns == reference.columns
        for c in cols:
            a, b = got[c], reference[c]
            if a.dtype.is_float():
                assert np.allclose(a.to_numpy(), b.to_numpy(), equal_nan=True, atol=1e-9), c
            else:
                assert a.to_list() == b.to_list(), c

    def same_signals_and_edges() -> None:
        ref = contract_context(log)
        with engine(EngineSettings(workdir=workdir / f"{engine.name}-link")) as eng:
            t = conform(eng.open([path]))
            accounts = account_table(t)
            sample = sample_request_signals(t, accounts, 100, eng.request_signals)
            accounts, _ = score_accounts(summarise_by_account(accounts, sample))
            ctx = LinkContext(requests=t, accounts=accounts, sample=sample, seed=ref.seed)
            key = ["request_id"]
            assert sample.sort(key).select(ref.sample.columns).equals(ref.sample.sort(key))
            for lk in linkers:
                got = lk.link(ctx).sort(["a", "b"])
                want = lk.link(ref).sort(["a", "b"])
                assert got.select("a", "b", "family").equals(want.select("a", "b", "family"))
                assert np.allclose(got["weight"].to_numpy(), want["weight"].to_numpy(), atol=1e-9)

    yield "opens_and_counts", opens_and_counts
    yield "same_account_table", same_account_table
    yield "same_signals_and_edges", same_signals_and_edges
