"""open_requests: a zero-copy view over Parquet, and the table fallback for other formats."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.errors import InputError
from distillguard.ingest import Privacy, ip_prefix, load_requests, open_requests
from distillguard.schema import STORED_SCHEMA

from .conftest import DATA, canonical_rows, write_jsonl


def _set(t: pa.Table, name: str, values: list[object], typ: pa.DataType | None = None) -> pa.Table:
    i = t.column_names.index(name)
    return t.set_column(i, name, pa.array(values, typ or t.schema.field(name).type))


def messy_parquet(tmp: Path) -> tuple[Path, Path]:
    """Two files: bad rows, repeated ids within and across files, columns missing from one."""
    a = canonical_rows(40, seed=1)
    models = a["model"].to_pylist()
    models[3] = None  # missing:model
    accounts = a["account_id"].to_pylist()
    accounts[5] = "   "  # blank -> missing:account_id
    status = a["status"].to_pylist()
    status[7] = "maybe"  # bad_value:status
    temps: list[object] = [0.5] * 40
    temps[9] = float("nan")  # bad_value:temperature
    ips = a["ip"].to_pylist()
    ips[11] = "2001:db8:1:2::1"
    ids = a["request_id"].to_pylist()
    ids[20] = ids[10]  # repeated id inside file a: row 11 wins
    a = _set(_set(_set(a, "model", models), "account_id", accounts), "status", status)
    a = _set(_set(_set(a, "temperature", temps), "ip", ips), "request_id", ids)
    a = _set(a, "status", [s.upper() if s == "ok" else s for s in status])  # case-insensitive

    # File b: timestamps as text (one unparseable), no status/response/temperature/asn columns,
    # an extra column, and ids that repeat rows of file a (file a wins).
    b = canonical_rows(12, seed=2, prefix="b")
    b_ids = b["request_id"].to_pylist()
    b_ids[0], b_ids[1] = "req-0", "req-1"
    ts = [x.isoformat() for x in b["timestamp"].to_pylist()]
    ts[4] = "not a time"
    b = _set(b, "request_id", b_ids)
    b = b.drop_columns(["status", "response", "temperature", "asn", "timestamp"])
    b = b.append_column("timestamp", pa.array(ts, pa.string()))
    b = b.append_column("extra", pa.array(range(12), pa.int64()))
    pa_ = tmp / "a.parquet"
    pb = tmp / "b.parquet"
    pq.write_table(a, pa_)
    pq.write_table(b, pb)
    return pa_, pb


def _rows(con: duckdb.DuckDBPyConnection, name: str) -> pa.Table:
    return con.sql(f"SELECT * FROM {name} ORDER BY request_id").to_arrow_table()


def _quarantine(path: Path) -> list[tuple[str, int, str]]:
    recs = [json.loads(x) for x in path.read_text().splitlines()]
    return [(Path(r["source"]).name, r.get("row", r.get("line")), r["reason"]) for r in recs]


REASONS = {
    "missing:model": 1,
    "missing:account_id": 1,
    "bad_value:status": 1,
    "bad_value:temperature": 1,
    "bad_timestamp:timestamp": 1,
}
QUARANTINED = [
    ("a.parquet", 4, "missing:model"),
    ("a.parquet", 6, "missing:account_id"),
    ("a.parquet", 8, "bad_value:status"),
    ("a.parquet", 10, "bad_value:temperature"),
    ("b.parquet", 5, "bad_timestamp:timestamp"),
]


def _counts(stats: object) -> tuple[int, int, int, int]:
    return (
        stats.rows_read,  # type: ignore[attr-defined]
        stats.rows_stored,  # type: ignore[attr-defined]
        stats.rows_duplicate,  # type: ignore[attr-defined]
        stats.rows_quarantined,  # type: ignore[attr-defined]
    )


def test_parquet_view_is_valid_deduplicated_rows_without_a_copy(tmp_path: Path) -> None:
    files = messy_parquet(tmp_path)
    con = duckdb.connect()
    q = tmp_path / "q.jsonl"
    stats = open_requests(con, files, quarantine_path=q)

    assert _counts(stats) == (52, 44, 3, 5)
    assert stats.reasons == REASONS
    assert stats.quarantine_file == str(q) and _quarantine(q) == QUARANTINED
    first = json.loads(q.read_text().splitlines()[0])
    assert json.loads(first["raw"])["request_id"] == "req-3"

    kinds = dict(
        con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall()
    )
    assert kinds["requests"] == "VIEW"
    for name, kind in kinds.items():  # besides the view only small key tables: no copied rows
        if kind != "VIEW":
            n = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
            assert n <= stats.rows_quarantined + stats.rows_duplicate

    got = _rows(con, "requests")
    assert got.schema.names == STORED_SCHEMA.names
    assert [f.type for f in got.schema] == [f.type for f in STORED_SCHEMA]
    ids = got["request_id"].to_pylist()
    assert len(ids) == len(set(ids)) == 44
    by_id = {r["request_id"]: r for r in got.to_pylist()}
    assert by_id["req-10"]["prompt"] == "prompt number 10"  # first occurrence won
    assert by_id["req-0"]["email_domain"] == "example.com" and by_id["req-0"]["status"] == "ok"
    assert by_id["b-5"]["status"] is None and by_id["b-5"]["temperature"] is None  # missing cols
    assert by_id["b-5"]["timestamp"] is not None
    assert by_id["req-11"]["ip_prefix"] == "2001:db8:1::/48"
    assert by_id["req-12"]["ip_prefix"] == "198.51.0.0/24"
    for bad in ("req-3", "req-5", "req-7", "req-9", "b-4"):
        assert bad not in by_id

    # Exactly the rows, counts and quarantine entries of the Arrow adapter path (a text_features
    # hook forces it), and of the SQL path that stores Parquet into a table.
    for hook in (lambda b: pa.table({"n": pa.nulls(b.num_rows, pa.int64())}), None):
        con2 = duckdb.connect()
        q2 = tmp_path / f"q{hook is None}.jsonl"
        ref = load_requests(con2, files, quarantine_path=q2, text_features=hook)
        assert _counts(ref) == _counts(stats) and ref.reasons == stats.reasons
        assert _quarantine(q2) == QUARANTINED
        names = ", ".join(STORED_SCHEMA.names)
        assert _rows(con2, f"(SELECT {names} FROM requests)").equals(got)


def test_parquet_view_clean_input_appends_nothing_and_drops_text(tmp_path: Path) -> None:
    t = canonical_rows(30, seed=4)
    (tmp_path / "in").mkdir()
    pq.write_table(t, tmp_path / "in" / "clean.parquet")
    q = tmp_path / "q.jsonl"
    q.write_text('{"earlier": 1}\n')
    con = duckdb.connect()
    stats = open_requests(
        con, [tmp_path / "in"], privacy=Privacy(drop_text=True), quarantine_path=q, view="reqs"
    )
    assert _counts(stats) == (30, 30, 0, 0) and stats.quarantine_file is None
    assert q.read_text() == '{"earlier": 1}\n'
    got = _rows(con, "reqs")
    assert got.num_rows == 30 and got["prompt"].null_count == 30
    assert got["account_id"].to_pylist() == t.sort_by("request_id")["account_id"].to_pylist()
    assert got["ip_prefix"].to_pylist() == ip_prefix(got["ip"]).to_pylist()

    # A second messy run appends to the existing quarantine file.
    files = messy_parquet(tmp_path)
    stats = open_requests(con, files, quarantine_path=q, view="reqs")
    lines = q.read_text().splitlines()
    assert lines[0] == '{"earlier": 1}' and len(lines) == 6 and stats.rows_stored == 44


def test_jsonl_falls_back_to_a_temp_table_with_the_same_result(tmp_path: Path) -> None:
    t = canonical_rows(50, seed=5)
    src = write_jsonl(pa.concat_tables([t, t.slice(0, 7)]), tmp_path / "log.jsonl.gz")
    con = duckdb.connect()
    stats = open_requests(con, [src, DATA / "canonical.jsonl"], quarantine_path=tmp_path / "q")
    assert _counts(stats) == (65, 53, 7, 5)
    assert stats.reasons["invalid_json"] == 1 and stats.reasons["missing:account_id"] == 1
    assert [r[1] for r in _quarantine(tmp_path / "q")] == [2, 5, 6, 8, 9]
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = 'requests'"
    ).fetchall()
    assert kind == [("LOCAL TEMPORARY",)]
    got = _rows(con, "requests")
    assert got.schema.names == STORED_SCHEMA.names and got.num_rows == 53
    assert len(set(got["request_id"].to_pylist())) == 53


def test_hash_key_falls_back_and_hashes(tmp_path: Path) -> None:
    t = canonical_rows(10, seed=6)
    pq.write_table(t, tmp_path / "a.parquet")
    con = duckdb.connect()
    stats = open_requests(con, [tmp_path / "a.parquet"], privacy=Privacy(hash_key=b"k"))
    assert stats.rows_stored == 10
    ips = con.execute("SELECT ip FROM requests").fetchall()
    assert all(len(ip) == 32 and "." not in ip for (ip,) in ips)


def test_bad_parquet_inputs_raise_input_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.parquet"
    pq.write_table(canonical_rows(0), empty)
    with pytest.raises(InputError, match="no records"):
        open_requests(duckdb.connect(), [empty])
    with pytest.raises(InputError):
        open_requests(duckdb.connect(), [tmp_path / "missing.parquet"])


def test_parquet_without_a_required_column_quarantines_every_row(tmp_path: Path) -> None:
    pq.write_table(canonical_rows(5).drop_columns(["model"]), tmp_path / "a.parquet")
    con = duckdb.connect()
    stats = open_requests(con, [tmp_path / "a.parquet"])
    assert _counts(stats) == (5, 0, 0, 5) and stats.reasons == {"missing:model": 5}
    assert con.execute("SELECT count(*) FROM requests").fetchall() == [(0,)]


def test_metadata_only_parquet_without_text_columns_is_stored(tmp_path: Path) -> None:
    t = canonical_rows(5).drop_columns(["prompt", "response", "system_prompt"])
    pq.write_table(t, tmp_path / "a.parquet")
    con = duckdb.connect()
    stats = open_requests(con, [tmp_path / "a.parquet"])
    assert _counts(stats) == (5, 5, 0, 0) and stats.reasons == {}
    got = _rows(con, "requests")
    assert got["prompt"].null_count == 5
    assert got["account_id"].to_pylist() == t.sort_by("request_id")["account_id"].to_pylist()
