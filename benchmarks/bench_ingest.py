"""Ingest throughput and memory. Prints figures; asserts nothing.

    PYTHONPATH=src python benchmarks/bench_ingest.py [--rows 1000000] [--rss-rows 10000000]
        [--nested-rows 100000] [--dir /tmp/dg-bench]

Generates synthetic canonical rows (prompts of 200-2000 characters), writes them as Parquet and
as .jsonl.gz, and measures, each in its own child process (wall seconds, CPU seconds, peak RSS):

* ``open``: :func:`open_requests` on the Parquet file plus a full scan
  (``SELECT count(*), sum(length(prompt)) FROM requests``): what ``distillguard detect`` pays;
* ``stored``: ``Workspace.ingest`` (rows copied into the on-disk workspace) for Parquet and
  ``.jsonl.gz`` (and, with ``--nested-rows``, the openai / litellm / otel adapters);
* peak RSS of ``open`` and ``stored`` on a ``--rss-rows`` Parquet file (0 skips).

The machine may be shared: CPU seconds (user + system of the child) are printed beside wall time.
"""

from __future__ import annotations

import argparse
import json
import os
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


def child(kind: str, path: str, ws_dir: str, fmt: str) -> None:
    """Run one measurement in this (child) process; print one JSON line."""
    t0 = time.perf_counter()
    if kind == "open":
        from distillguard.ingest import open_requests

        con = duckdb.connect()
        stats = open_requests(con, [path], fmt=fmt or None)
        opened = time.perf_counter() - t0
        row = con.execute("SELECT count(*), sum(length(prompt)) FROM requests").fetchall()[0]
        rows = int(row[0])
        extra = {"open_s": round(opened, 2), "scan_s": round(time.perf_counter() - t0 - opened, 2)}
    elif kind == "stored":
        shutil.rmtree(ws_dir, ignore_errors=True)
        stats = Workspace(Path(ws_dir)).ingest([path], fmt=fmt or None)
        rows = stats.rows_stored
        db = Workspace(Path(ws_dir)).db_path
        extra = {"db_mb": round(db.stat().st_size / 1e6)}
    else:  # "read": adapters only, canonical Arrow batches, no storage
        rows = sum(b.rows.num_rows for _, b in read_batches([path], fmt=fmt or None))
        extra = {}
    seconds = time.perf_counter() - t0
    use = resource.getrusage(resource.RUSAGE_SELF)
    out = {
        "rows": rows,
        "seconds": round(seconds, 2),
        "cpu_s": round(use.ru_utime + use.ru_stime, 2),
        "peak_rss_gib": round(peak_rss_kib(use) / 1024 / 1024, 2),
        **extra,
    }
    print(json.dumps(out), flush=True)


def peak_rss_kib(use: resource.struct_rusage) -> int:
    """This process's peak RSS. ``ru_maxrss`` survives ``exec``: in a child started by the
    (large) parent it reports the parent's peak. Linux's ``VmHWM`` is the child's own."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(use.ru_maxrss)


def run_child(kind: str, path: Path, ws_dir: Path, fmt: str | None = None) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", kind, str(path), str(ws_dir), fmt or ""]
    env = {**os.environ}
    p = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    shutil.rmtree(ws_dir, ignore_errors=True)
    return dict(json.loads(p.stdout.strip().splitlines()[-1]))


def report(fmt: str, what: str, r: dict[str, float], target: str = "") -> None:
    n, s = r["rows"], r["seconds"]
    db = f", database {r['db_mb']:,.0f} MB" if "db_mb" in r else ""
    print(
        f"{fmt:<9} {what:<14} {n:>11,.0f} rows {s:7.1f} s {n / s:>10,.0f} rows/s "
        f"(cpu {r['cpu_s']:.1f} s, {n / max(r['cpu_s'], 1e-9):,.0f} rows/cpu-s; "
        f"peak RSS {r['peak_rss_gib']:.2f} GiB{db}){target}",
        flush=True,
    )


def measure(
    results: dict[str, object],
    key: str,
    mode: str,
    path: Path,
    ws: Path,
    label: tuple[str, str],
    note: str = "",
    fmt: str | None = None,
) -> dict[str, float]:
    """Run one child measurement, record its rows/s under ``key`` and print its line."""
    r = run_child(mode, path, ws, fmt=fmt)
    results[key] = round(r["rows"] / r["seconds"])
    report(*label, r, note)
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rss-rows", type=int, default=10_000_000, help="0 to skip")
    ap.add_argument("--nested-rows", type=int, default=0, help="0 to skip")
    ap.add_argument("--no-read", action="store_true", help="skip adapter-only read figures")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/dg-bench"))
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    d: Path = args.dir
    d.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {}
    ws = d / "ws"

    pqf = d / f"rows_{args.rows}.parquet"
    if not pqf.exists():
        write_parquet(args.rows, pqf)
    gz = d / f"rows_{args.rows}.jsonl.gz"
    if not gz.exists():
        write_json(args.rows, gz, "jsonl")
    r = run_child("open", pqf, ws)
    results["parquet_open_scan_rows_per_s"] = round(r["rows"] / r["seconds"])
    report("parquet", "open+scan", r, f" [open {r['open_s']} s, scan {r['scan_s']} s]")
    for name, key, path, target in (
        ("parquet", "parquet", pqf, "200,000"),
        ("jsonl.gz", "jsonl_gz", gz, "100,000"),
    ):
        if not args.no_read:
            measure(results, f"{key}_read_rows_per_s", "read", path, ws, (name, "read+validate"))
        note = f"  target >= {target} rows/s"
        measure(results, f"{key}_stored_rows_per_s", "stored", path, ws, (name, "stored"), note)

    if args.nested_rows:
        for kind in ("openai", "litellm", "otel"):
            f = d / f"{kind}_{args.nested_rows}.jsonl.gz"
            if not f.exists():
                write_json(args.nested_rows, f, kind)
            measure(
                results, f"{kind}_stored_rows_per_s", "stored", f, ws, (kind, "stored"), fmt=kind
            )

    if args.rss_rows:
        big = d / f"rows_{args.rss_rows}.parquet"
        if not big.exists():
            write_parquet(args.rss_rows, big)
        for kind in ("open", "stored"):
            r = measure(
                results,
                f"{kind}_{args.rss_rows}_rows_per_s",
                kind,
                big,
                d / "ws_rss",
                ("parquet", kind),
                "  peak RSS target < 2 GiB",
            )
            results[f"{kind}_{args.rss_rows}_peak_rss_gib"] = r["peak_rss_gib"]
    print(json.dumps(results))


if __name__ == "__main__":
    main()
