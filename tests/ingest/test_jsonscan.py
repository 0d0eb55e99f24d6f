"""Canonical JSON Lines read by one DuckDB scan store exactly what the line-by-line adapter
stores: same rows, same first-occurrence winner of a repeated id, same duplicate and quarantine
accounting, and a bad line is still reported with its file and line number."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.ingest import Workspace, open_requests, read_batches
from distillguard.ingest.privacy import with_ip_prefix
from distillguard.schema import STORED_SCHEMA

from .conftest import canonical_rows, write_jsonl


def _adapter_rows(paths: list[Path]) -> pa.Table:
    """What the line-block adapter reads (first occurrence of each id kept)."""
    rows = pa.concat_tables([b.rows for _, b in read_batches(paths)])
    keep = pc.equal(
        pc.index_in(rows["request_id"], rows["request_id"]),
        pa.array(range(rows.num_rows), pa.int32()),
    )
    return with_ip_prefix(rows.filter(keep)).sort_by("request_id")


def test_the_scan_stores_what_the_adapter_stores_and_first_file_wins(tmp_path: Path) -> None:
    t = canonical_rows(300, seed=11)
    # An IPv6 client, and an id repeated in a later file with other content.
    t = t.set_column(t.schema.get_field_index("ip"), "ip", pa.array(["2001:db8::7"] * 300))
    later = t.slice(0, 5).set_column(
        t.schema.get_field_index("prompt"), "prompt", pa.array(["changed"] * 5)
    )
    a = write_jsonl(t.slice(0, 200), tmp_path / "a.jsonl.gz")
    b = write_jsonl(pa.concat_tables([later, t.slice(200)]), tmp_path / "b.jsonl")
    con = duckdb.connect()
    stats = open_requests(con, [a, b])
    assert (stats.rows_read, stats.rows_stored, stats.rows_duplicate) == (305, 300, 5)
    assert stats.rows_duplicate_conflicting == 5 and stats.rows_quarantined == 0
    got = con.sql("SELECT * FROM requests ORDER BY request_id").to_arrow_table()
    assert got.column_names == STORED_SCHEMA.names
    want = _adapter_rows([a, b]).cast(got.schema)
    assert got.equals(want)
    assert "changed" not in got["prompt"].to_pylist()
    assert got["ip_prefix"].null_count == 0


def test_a_bad_line_is_located_in_its_file_and_clean_files_are_kept(tmp_path: Path) -> None:
    clean = write_jsonl(canonical_rows(50, seed=1, prefix="c"), tmp_path / "clean.jsonl")
    rows = [
        json.loads(x)
        for x in write_jsonl(canonical_rows(4, seed=2, prefix="d"), tmp_path / "x.jsonl")
        .read_text()
        .splitlines()
    ]
    lines = [json.dumps(r) for r in rows]
    lines.insert(2, '{"request_id": "broken", ')  # not JSON: DuckDB's reader rejects the file
    lines.insert(4, json.dumps({**rows[0], "request_id": "num", "prompt": 7}))
    dirty = tmp_path / "dirty.jsonl.gz"
    with gzip.open(dirty, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    q = tmp_path / "q.jsonl"
    con = duckdb.connect()
    stats = open_requests(con, [clean, dirty], quarantine_path=q)
    assert (stats.rows_read, stats.rows_stored, stats.rows_quarantined) == (56, 54, 2)
    assert stats.reasons == {"invalid_json": 1, "bad_type:prompt": 1}
    recs = [json.loads(x) for x in q.read_text().splitlines()]
    assert [(r["source"], r["line"], r["reason"]) for r in recs] == [
        (str(dirty), 3, "invalid_json"),
        (str(dirty), 5, "bad_type:prompt"),
    ]


def test_a_file_name_with_glob_characters_is_read_as_itself(tmp_path: Path) -> None:
    odd = write_jsonl(canonical_rows(10, seed=4, prefix="o"), tmp_path / "log[1]*.jsonl")
    write_jsonl(canonical_rows(10, seed=5, prefix="x"), tmp_path / "log1x.jsonl")
    con = duckdb.connect()
    stats = open_requests(con, [odd])
    assert stats.rows_stored == 10
    ids = {r[0] for r in con.execute("SELECT request_id FROM requests").fetchall()}
    assert ids == {f"o-{i}" for i in range(10)}


def test_workspace_reingest_counts_every_row_as_a_duplicate(tmp_path: Path) -> None:
    src = write_jsonl(canonical_rows(120, seed=6), tmp_path / "log.jsonl.gz")
    ws = Workspace(tmp_path / "ws")
    first = ws.ingest([src], batch_size=50)
    again = ws.ingest([src])
    assert (first.rows_stored, first.rows_duplicate) == (120, 0)
    assert (again.rows_stored, again.rows_duplicate, again.rows_duplicate_conflicting) == (
        0,
        120,
        0,
    )
