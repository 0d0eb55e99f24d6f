"""Ingest throughput and memory. Prints figures; asserts nothing.

    PYTHONPATH=src python benchmarks/bench_ingest.py [--rows 1000000] [--rss-rows 10000000]
        [--nested-rows 100000] [--dir /tmp/dg-bench]

Generates synthetic canonical rows (prompts of 200-2000 characters), writes them as Parquet and
as .jsonl.gz, and times ``load_requests`` into a file-backed workspace. Nested adapters (openai,
litellm, otel) are timed on envelopes built from the same rows. Peak RSS is measured in a child
process ingesting ``--rss-rows`` rows from Parquet (``resource.RUSAGE_CHILDREN``).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillguard.ingest import Workspace, read_batches
from distillguard.schema import REQUEST_SCHEMA

CHUNK = 200_000
WORDS = [
    "explain",
    "step",
    "by",
    "step",
    "the",
    "reasoning",
    "behind",
    "this",
    "answer",
    "and",
    "check",
    "each",
    "intermediate",
    "result",
    "write",
    "a",
    "python",
    "function",
    "that",
    "parses",
    "the",
    "log",
    "file",
    "returns",
    "counts",
    "per",
    "account",
    "then",
    "add",
    "tests",
    "translate",
    "the",
    "following",
    "paragraph",
    "into",
    "french",
    "keeping",
    "technical",
    "terms",
    "grade",
    "the",
    "response",
    "on",
    "a",
    "rubric",
    "from",
    "one",
    "to",
    "ten",
    "justify",
    "the",
    "score",
]


def prompt_pool(rng: np.random.Generator, size: int = 4000) -> pa.Array:
    lengths = rng.integers(200, 2001, size)
    out = []
    for n in lengths:  # building the small pool only (not per row)
        words = rng.choice(WORDS, size=n // 4)
        out.append(" ".join(words)[:n])
    return pa.array(out, pa.string())


def synth(n: int, start: int, rng: np.random.Generator, pool: pa.Array) -> pa.Table:
    ids = np.arange(start, start + n)
    id_str = pc.cast(pa.array(ids), pa.string())
    ts = np.datetime64("2026-02-01T00:00:00", "us") + np.sort(
        rng.integers(0, 86_400_000_000 * 7, n)
    ).astype("timedelta64[us]")
    accounts = rng.integers(0, 20_000, n)
    acct = pc.binary_join_element_wise("acct-", pc.cast(pa.array(accounts), pa.string()), "")
    ip = pc.binary_join_element_wise(
        "10.",
        pc.cast(pa.array(accounts % 250), pa.string()),
        ".",
        pc.cast(pa.array(accounts % 7), pa.string()),
        ".",
        pc.cast(pa.array(rng.integers(1, 255, n)), pa.string()),
        "",
    )
    prompt = pc.binary_join_element_wise(
        pool.take(pa.array(rng.integers(0, len(pool), n))), " #", id_str, ""
    )
    cols = {
        "request_id": pc.binary_join_element_wise("req-", id_str, ""),
        "timestamp": pa.array(ts).cast(pa.timestamp("us", tz="UTC")),
        "account_id": acct,
        "ip": ip,
        "asn": pa.array(64_500 + accounts % 300),
        "country": pa.array(np.array(["US", "DE", "SG", "BR"])[accounts % 4]),
        "user_agent": pa.array(
            np.array(["python-httpx/0.27", "curl/8.5", "OpenAI/Python"])[accounts % 3]
        ),
        "model": pa.array(np.array(["frontier-2", "frontier-1"])[rng.integers(0, 2, n)]),
        "conversation_id": pc.binary_join_element_wise(
            "c-", pc.cast(pa.array(ids // 3), pa.string()), ""
        ),
        "turn_index": pa.array(ids % 3),
        "prompt": prompt,
        "max_tokens": pa.array(rng.integers(64, 4096, n)),
        "temperature": pa.array(rng.random(n).round(2)),
        "input_tokens": pa.array(rng.integers(50, 600, n)),
        "output_tokens": pa.array(rng.integers(50, 2000, n)),
        "response": pa.array(np.where(rng.random(n) < 0.5, None, "ok response text")),
        "status": pa.array(np.array(["ok", "ok", "ok", "error"])[rng.integers(0, 4, n)]),
    }
    return pa.table(
        [
            cols[f.name].cast(f.type) if f.name in cols else pa.nulls(n, f.type)
            for f in REQUEST_SCHEMA
        ],
        schema=REQUEST_SCHEMA,
    )


def chunks(n: int, seed: int = 0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    pool = prompt_pool(rng)
    for start in range(0, n, CHUNK):
        yield synth(min(CHUNK, n - start), start, rng, pool)


def write_parquet(n: int, path: Path) -> None:
    with pq.ParquetWriter(path, REQUEST_SCHEMA) as w:
        for t in chunks(n):
            w.write_table(t, row_group_size=100_000)


JSON_SQL = {
    "jsonl": "SELECT * REPLACE (strftime(timestamp, '%Y-%m-%dT%H:%M:%S.%fZ') AS timestamp) FROM t",
    "openai": """SELECT request_id, strftime(timestamp, '%Y-%m-%dT%H:%M:%S.%fZ') AS timestamp,
        account_id, ip, {'user-agent': user_agent} AS headers,
        {model: model, max_tokens: max_tokens, temperature: temperature,
         messages: [{role: 'system', content: 'You are helpful.'}, {role: 'user', content: prompt}]}
         AS request,
        {id: request_id, choices: [{message: {content: response}}],
         usage: {prompt_tokens: input_tokens, completion_tokens: output_tokens}} AS response
        FROM t""",
    "litellm": """SELECT request_id AS id, 'acompletion' AS call_type,
        epoch(timestamp) AS "startTime",
        model, {user_api_key_user_id: account_id, user_api_key_hash: 'h', requester_ip_address: ip}
        AS metadata, [{role: 'user', content: prompt}] AS messages,
        {choices: [{message: {content: response}}]} AS response, input_tokens AS prompt_tokens,
        output_tokens AS completion_tokens, {temperature: temperature, max_tokens: max_tokens}
        AS model_parameters, 'success' AS status FROM t""",
    "otel": """SELECT request_id AS "spanId",
        CAST(epoch_us(timestamp) * 1000 AS VARCHAR) AS "startTimeUnixNano",
        [{key: 'gen_ai.request.model', value: {stringValue: model}},
         {key: 'enduser.id', value: {stringValue: account_id}},
         {key: 'client.address', value: {stringValue: ip}},
         {key: 'gen_ai.usage.input_tokens', value: {intValue: CAST(input_tokens AS VARCHAR)}},
         {key: 'gen_ai.usage.output_tokens', value: {intValue: CAST(output_tokens AS VARCHAR)}},
         {key: 'gen_ai.input.messages', value: {stringValue:
            to_json([{role: 'user', parts: [{type: 'text', content: prompt}]}])::VARCHAR}}]
        AS attributes FROM t""",
}


def write_json(n: int, path: Path, kind: str) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    parts = []
    for i, t in enumerate(chunks(n)):
        con.register("t", t)
        part = path.with_name(f"{path.name}.part{i}")
        con.execute(f"COPY ({JSON_SQL[kind]}) TO '{part}' (FORMAT json, COMPRESSION gzip)")
        con.unregister("t")
        parts.append(part)
    with open(path, "wb") as out:  # gzip members concatenate into one valid stream
        for part in parts:
            with open(part, "rb") as fh:
                shutil.copyfileobj(fh, out)
            part.unlink()


def timed_ingest(path: Path, ws_dir: Path, fmt: str | None = None) -> tuple[float, int]:
    shutil.rmtree(ws_dir, ignore_errors=True)
    t0 = time.perf_counter()
    stats = Workspace(ws_dir).ingest([path], fmt=fmt)
    return time.perf_counter() - t0, stats.rows_stored


def timed_read(path: Path, fmt: str | None = None) -> tuple[float, int]:
    """Read + validate to canonical Arrow batches only (no storage)."""
    t0 = time.perf_counter()
    n = sum(b.rows.num_rows for _, b in read_batches([path], fmt=fmt))
    return time.perf_counter() - t0, n


def child_rss(path: Path, ws_dir: Path) -> tuple[float, float]:
    shutil.rmtree(ws_dir, ignore_errors=True)
    code = (
        "import sys; from distillguard.ingest import Workspace; "
        "Workspace(sys.argv[2]).ingest([sys.argv[1]])"
    )
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(path), str(ws_dir)], check=True)
    seconds = time.perf_counter() - t0
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024, seconds


def report(fmt: str, what: str, n: int, s: float) -> None:
    print(f"{fmt:<9} {what:<14} {n:>10,} rows {s:7.1f} s {n / s:>10,.0f} rows/s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rss-rows", type=int, default=10_000_000, help="0 to skip")
    ap.add_argument("--nested-rows", type=int, default=100_000, help="0 to skip")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/dg-bench"))
    args = ap.parse_args()
    d: Path = args.dir
    d.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {}

    pqf = d / f"rows_{args.rows}.parquet"
    if not pqf.exists():
        write_parquet(args.rows, pqf)
    s, n = timed_read(pqf)
    results["parquet_read_rows_per_s"] = round(n / s)
    report("parquet", "read+validate", n, s)
    s, n = timed_ingest(pqf, d / "ws")
    results["parquet_rows_per_s"] = round(n / s)
    report("parquet", "stored", n, s)

    gz = d / f"rows_{args.rows}.jsonl.gz"
    if not gz.exists():
        write_json(args.rows, gz, "jsonl")
    s, n = timed_read(gz)
    results["jsonl_gz_read_rows_per_s"] = round(n / s)
    report("jsonl.gz", "read+validate", n, s)
    s, n = timed_ingest(gz, d / "ws")
    results["jsonl_gz_rows_per_s"] = round(n / s)
    report("jsonl.gz", "stored", n, s)

    if args.nested_rows:
        for kind in ("openai", "litellm", "otel"):
            f = d / f"{kind}_{args.nested_rows}.jsonl.gz"
            if not f.exists():
                write_json(args.nested_rows, f, kind)
            s, n = timed_read(f, fmt=kind)
            results[f"{kind}_read_rows_per_s"] = round(n / s)
            report(kind, "read+validate", n, s)
            s, n = timed_ingest(f, d / "ws", fmt=kind)
            results[f"{kind}_rows_per_s"] = round(n / s)
            report(kind, "stored", n, s)

    if args.rss_rows:
        big = d / f"rows_{args.rss_rows}.parquet"
        if not big.exists():
            write_parquet(args.rss_rows, big)
        rss, s = child_rss(big, d / "ws_rss")
        results["peak_rss_gib"] = round(rss, 2)
        print(
            f"peak RSS ingesting {args.rss_rows:,} Parquet rows: {rss:.2f} GiB "
            f"({s:.0f} s; target < 2 GiB)",
            flush=True,
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
