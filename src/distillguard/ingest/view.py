"""Zero-copy opening of request logs for detection: :func:`open_requests`.

When every input is Parquet and nothing has to be hashed, no row is copied: the logs become a
DuckDB TEMP VIEW over ``read_parquet([...], union_by_name=true)`` that casts to ``STORED_SCHEMA``
(optional columns missing from every file are typed NULLs, ``ip_prefix`` is derived in SQL) and
leaves out invalid rows and repeated ``request_id`` s. Opening costs a few vectorised passes:

1. one scan validating every row (the same SQL as the Parquet adapter): the invalid rows, with
   file, row number, reason and the row as JSON, go to a small TEMP table and from it to the
   quarantine file in one ``COPY ... TO``;
2. one scan of ``request_id`` (and ``ip``) over the valid rows: ``count(*)``,
   ``count(DISTINCT request_id)`` and the distinct IPv6-looking addresses (their networks are
   computed once per distinct value by :func:`~distillguard.ingest.privacy.ip_prefix`);
3. only when ids repeat: the later occurrences of the repeated ids (first file and row wins).

The rows to leave out (invalid and repeated) are kept as ``(file, row)`` keys in a TEMP table the
view anti-joins; clean inputs give a view that is a pure projection of the files, so a query
reading two columns reads only those columns. Any other format, or a hash key, falls back to
:func:`~distillguard.ingest.store.load_requests` into a TEMP table named ``view`` (canonical JSON
Lines by one DuckDB ``read_json`` scan: :mod:`distillguard.ingest.jsonscan`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillguard.errors import ConfigError, InputError
from distillguard.ingest.adapters import resolve_sources
from distillguard.ingest.base import temp_name, validate_sql
from distillguard.ingest.privacy import _IPV4, TEXT_FIELDS, Privacy, ip_prefix
from distillguard.ingest.sqlmacros import install_macros
from distillguard.ingest.store import _IDENT, IngestStats, content_hash_sql, load_requests
from distillguard.ingest.validation import (
    DUCKDB,
    field_kind,
    field_rules,
    reason_cases,
    run_time,
    source_kind_of_duckdb,
)
from distillguard.schema import REQUEST_SCHEMA

FILE_COL = "_dg_file"
ROW_COL = "file_row_number"
# RE2 has the same syntax for this pattern; the network is the first group.
_IPV4_SQL = _IPV4.replace("?P<net>", "")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_requests(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[str | Path],
    *,
    fmt: str | None = None,
    privacy: Privacy | None = None,
    quarantine_path: Path | None = None,
    view: str = "requests",
    progress: Callable[[IngestStats], None] | None = None,
) -> IngestStats:
    """Make ``view`` on ``con`` hold the valid, deduplicated requests of ``sources``.

    Parquet inputs without a hash key become a TEMP VIEW over the files (no copy; ``drop_text``
    is applied in the view); anything else is loaded into a TEMP table ``view``. Invalid rows
    are written to ``quarantine_path`` (JSON Lines, appended; not written when None) and counted
    by reason in the returned stats, exactly as :func:`load_requests` does. ``rows_stored`` is
    the number of rows ``view`` holds. ``progress`` is called with the stats as rows are read
    (after each batch loaded, or once for a Parquet view).
    """
    t0 = time.perf_counter()
    if not _IDENT.match(view):
        raise ConfigError(f"invalid view name {view!r}")
    privacy = privacy or Privacy()
    plan = resolve_sources(sources, fmt)
    if privacy.hash_key is not None or any(name != "parquet" for _, name in plan):
        return load_requests(
            con,
            sources,
            table=view,
            fmt=fmt,
            privacy=privacy,
            quarantine_path=quarantine_path,
            temp=True,
            progress=progress,
        )
    try:
        stats = parquet_view(con, [p for p, _ in plan], view, privacy, quarantine_path)
    except duckdb.Error as exc:
        raise InputError(f"cannot read Parquet input: {str(exc).splitlines()[0]}") from exc
    stats.seconds = time.perf_counter() - t0
    if progress is not None:
        progress(stats)
    return stats


def _columns(files: Sequence[Path]) -> dict[str, pa.DataType]:
    """Union of the files' columns (first type seen); checks each file is readable, non-empty."""
    cols: dict[str, pa.DataType] = {}
    for path in files:
        try:
            meta = pq.read_metadata(path)
            schema = meta.schema.to_arrow_schema()
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"not a readable Parquet file: {exc}", source=str(path)) from exc
        if meta.num_rows == 0:
            raise InputError("contains no records", source=str(path))
        for f in schema:
            cols.setdefault(f.name, f.type)
    return cols


def parquet_view(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[Path],
    view: str,
    privacy: Privacy,
    quarantine_path: Path | None,
    ledger: str | None = None,
) -> IngestStats:
    """Create TEMP VIEW ``view`` over Parquet ``files`` (see the module docstring); no timing.

    ``ledger`` names a table ``(source, location)`` of rows quarantined by earlier runs (a
    workspace's): those are left out of the view but neither written nor counted again (they
    count as duplicates), and the new ones are added to it."""
    install_macros(con)  # TimeZone = UTC: naive Parquet timestamps are UTC
    cols = _columns(files)
    names = [str(p) for p in files]
    file_list = "[" + ", ".join(_lit(n) for n in names) + "]"
    scan = (
        f"read_parquet({file_list}, union_by_name=true, filename={_lit(FILE_COL)}, "
        f"file_row_number=true)"
    )
    bad, excluded, v6map = _helpers(view)
    dups = f"_dg_{view}_dups"
    for t in (bad, excluded, v6map):
        con.execute(f"DROP TABLE IF EXISTS temp.{t}")

    # Pass 1: validate every row; keep the invalid ones (rare) with their raw JSON.
    exprs = {f: _q(f) for f in REQUEST_SCHEMA.names if f in cols}
    described = con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    sources = {str(r[0]): source_kind_of_duckdb(str(r[1])) for r in described if r[0] in exprs}
    now = run_time()
    record = "struct_pack(" + ", ".join(f"{_q(c)} := {_q(c)}" for c in cols) + ")"
    src = f"(SELECT {ROW_COL} + 1 AS _loc, {FILE_COL}, {record} AS _rec, * FROM {scan})"
    checked = validate_sql(src, exprs, keep=(FILE_COL, "_rec"), sources=sources, now=now)
    order = f'list_position({file_list}, source), "row"'
    con.execute(
        f'CREATE TEMP TABLE {bad} AS SELECT * FROM (SELECT {FILE_COL} AS source, _loc AS "row", '
        f"_reason AS reason, to_json(_rec)::VARCHAR AS raw, _fields AS fields FROM ({checked}) "
        f"WHERE _reason IS NOT NULL) ORDER BY {order}"
    )
    n_bad = int(con.execute(f"SELECT count(*) FROM {bad}").fetchall()[0][0])
    fresh = bad
    if ledger is not None and n_bad:
        fresh = f"_dg_{view}_fresh"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {fresh} AS SELECT * FROM {bad} b ANTI JOIN {ledger} l "
            f'ON l.source = b.source AND l.location = b."row" ORDER BY {order}'
        )
    reasons = dict(con.execute(f"SELECT reason, count(*) FROM {fresh} GROUP BY reason").fetchall())
    n_fresh = sum(reasons.values())
    stats = IngestStats(rows_quarantined=n_fresh, reasons=reasons)
    if n_fresh and quarantine_path is not None:
        _write_quarantine(con, fresh, quarantine_path, privacy)
        stats.quarantine_file = str(quarantine_path)
    if ledger is not None and n_fresh:
        con.execute(f'INSERT INTO {ledger} SELECT source, "row" FROM {fresh}')
    if fresh != bad:
        con.execute(f"DROP TABLE {fresh}")

    # Pass 2: count valid rows and distinct ids, collect IPv6-looking addresses.
    skip_bad = (
        f' ANTI JOIN {bad} b ON b.source = t.{FILE_COL} AND b."row" = t.{ROW_COL} + 1'
        if n_bad
        else ""
    )
    ip6 = "list(DISTINCT ip) FILTER (WHERE contains(ip, ':'))" if "ip" in cols else "[]"
    ip_expr = "CAST(t.ip AS VARCHAR) AS ip, " if "ip" in cols else ""
    rid = "CAST(t.request_id AS VARCHAR)" if "request_id" in cols else "NULL"
    row = con.execute(
        f"SELECT count(*), count(DISTINCT rid), {ip6} FROM (SELECT {ip_expr}"
        f"{rid} AS rid FROM {scan} t{skip_bad})"
    ).fetchone()
    assert row is not None
    n_valid, n_ids, v6_values = int(row[0]), int(row[1]), list(row[2] or [])
    stats.rows_read = n_valid + n_bad
    stats.rows_stored = n_ids
    stats.rows_duplicate = n_valid - n_ids + (n_bad - n_fresh)  # + quarantined in earlier runs

    # Pass 3 (only with repeated ids): every occurrence after the first.
    con.execute(
        f'CREATE TEMP TABLE {excluded} AS SELECT source AS f, "row" - 1 AS r FROM {bad} LIMIT 0'
    )
    if n_bad:
        con.execute(f'INSERT INTO {excluded} SELECT source, "row" - 1 FROM {bad}')
    if stats.rows_duplicate:
        content = content_hash_sql("t", [c for c in cols if c != "request_id"])
        valid = (
            f"(SELECT CAST(t.request_id AS VARCHAR) AS rid, t.{FILE_COL} AS f, t.{ROW_COL} AS r, "
            f"{content} AS h FROM {scan} t{skip_bad})"
        )
        order = f"PARTITION BY rid ORDER BY list_position({file_list}, f), r"
        con.execute(
            f"CREATE TEMP TABLE {dups} AS SELECT f, r, h, "
            f"first_value(h) OVER ({order}) AS h0, row_number() OVER ({order}) AS n FROM {valid} "
            f"WHERE rid IN (SELECT rid FROM {valid} GROUP BY rid HAVING count(*) > 1)"
        )
        con.execute(f"INSERT INTO {excluded} SELECT f, r FROM {dups} WHERE n > 1")
        row = con.execute(f"SELECT count(*) FROM {dups} WHERE n > 1 AND h <> h0").fetchone()
        stats.rows_duplicate_conflicting = int(row[0]) if row else 0
        con.execute(f"DROP TABLE {dups}")
    con.execute(f"DROP TABLE {bad}")

    # The view: casts, derived ip_prefix, minus the excluded rows.
    joins = ""
    if n_bad or stats.rows_duplicate:
        joins += f" ANTI JOIN {excluded} x ON x.f = t.{FILE_COL} AND x.r = t.{ROW_COL}"
    if v6_values:
        mapping = pa.table({"ip": pa.array(v6_values, pa.string())})
        mapping = mapping.append_column("prefix", ip_prefix(mapping["ip"]))
        name = temp_name("ip6")
        con.register(name, mapping)
        try:
            con.execute(f"CREATE TEMP TABLE {v6map} AS SELECT * FROM {name}")
        finally:
            con.unregister(name)
        joins += f" LEFT JOIN {v6map} m ON m.ip = CAST(t.ip AS VARCHAR)"
    # The same typed expressions validation used (only valid rows reach the view).
    typed, _ = reason_cases(field_rules(), lambda n: f"t.{_q(n)}", _q, sources, DUCKDB, now)
    select = [
        _view_column(f.name, f.type, typed[f.name] if f.name in cols else None, privacy)
        for f in REQUEST_SCHEMA
    ]
    if "ip" in cols:
        ip = "CAST(t.ip AS VARCHAR)"
        v6 = "m.prefix" if v6_values else "NULL"
        prefix = (
            f"CASE WHEN regexp_matches({ip}, {_lit(_IPV4_SQL)}) "
            f"THEN regexp_extract({ip}, {_lit(_IPV4_SQL)}, 1) || '.0/24' "
            f"WHEN contains({ip}, ':') THEN {v6} END"
        )
    else:
        prefix = "NULL"
    select.append(f"CAST({prefix} AS VARCHAR) AS ip_prefix")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {', '.join(select)} FROM {scan} t{joins}"
    )
    return stats


def _helpers(view: str) -> tuple[str, str, str]:
    """Names of the TEMP tables behind ``view``: invalid rows, excluded keys, IPv6 networks."""
    return f"_dg_{view}_bad", f"_dg_{view}_excluded", f"_dg_{view}_ip6"


def drop_view(con: duckdb.DuckDBPyConnection, view: str) -> None:
    """Drop a view made by :func:`parquet_view` and its helper tables."""
    con.execute(f"DROP VIEW IF EXISTS temp.{view}")
    for t in _helpers(view):
        con.execute(f"DROP TABLE IF EXISTS temp.{t}")


def _view_column(name: str, typ: pa.DataType, typed: str | None, privacy: Privacy) -> str:
    sql_t = DUCKDB.types[field_kind(typ)]
    if typed is None or (privacy.drop_text and name in TEXT_FIELDS):
        return f"CAST(NULL AS {sql_t}) AS {_q(name)}"
    return f"CAST({typed} AS {sql_t}) AS {_q(name)}"


def _write_quarantine(
    con: duckdb.DuckDBPyConnection, table: str, path: Path, privacy: Privacy
) -> None:
    """Append ``table`` (source, row, reason, raw, fields) to ``path`` through the one
    quarantine writer (so privacy and size bounds apply as on every other path)."""
    from distillguard.ingest.base import quarantine_table
    from distillguard.ingest.store import QuarantineWriter

    bad = con.sql(f'SELECT * FROM {table} ORDER BY source, "row"').to_arrow_table()
    writer = QuarantineWriter(path, privacy)
    try:
        for source in dict.fromkeys(bad["source"].to_pylist()):
            part = bad.filter(pc.equal(bad["source"], source))
            writer.write(
                quarantine_table(
                    str(source), "row", part["row"], part["reason"], part["raw"], part["fields"]
                )
            )
    finally:
        writer.close()
