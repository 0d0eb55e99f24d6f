"""Canonical JSON Lines at the pace of one DuckDB scan: :func:`stage_jsonl`.

The line-block adapter (:class:`~distillguard.ingest.jsonlines.JsonlAdapter`) decompresses and
splits files in Python and parses every line twice; on a 5 M-row gzip log that is most of
``detect``. Here DuckDB's own JSON reader does the work in one statement over every file
(decompression and parsing on DuckDB's threads, files read in parallel): each schema field is read
as a JSON value and put through the same SQL as the adapter (:func:`json_field_sql`,
:func:`json_type_check`, :func:`~distillguard.ingest.base.validate_sql`), so a row is valid here
exactly when the adapter would store it.

DuckDB's reader gives no line numbers, and a quarantined row needs one. So the scan only decides
which files are clean; a file with any row to quarantine, or that DuckDB cannot read at all (not
JSON, not an object, invalid UTF-8, a duplicated key, a corrupt gzip stream), is read again by the
adapter, which locates every bad line, and its rows replace the scan's. Real logs keep that rare.

Rows land in a TEMP *stage* table (the stored schema, plus the file's position for "first
occurrence wins"); repeated ``request_id`` s are then removed and counted in SQL, as
:func:`~distillguard.ingest.store.store_batch` counts them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from distillguard.errors import InputError
from distillguard.ingest.base import Batch, temp_name, validate_sql
from distillguard.ingest.jsonlines import JsonlAdapter, json_field_sql, json_type_check
from distillguard.ingest.privacy import _IPV4, TEXT_FIELDS, Privacy, ip_prefix
from distillguard.ingest.sqlmacros import install_macros
from distillguard.schema import REQUEST_SCHEMA, STORED_SCHEMA

FILE = "_dg_file"  # the file's position in the run: earlier files win repeated ids
REASON = "_dg_reason"  # why the scan would quarantine the row (only ever non-NULL in dirty files)
_FNAME = "_dg_fname"
_IPV4_SQL = _IPV4.replace("?P<net>", "")

# Called for each (file, adapter batch) of a file read by the adapter, before its rows are staged.
OnBatch = Callable[[Path, Batch], None]


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def scan_sql(files: Sequence[tuple[int, Path]], privacy: Privacy) -> str:
    """A SELECT over ``(position, file)`` pairs giving the stage's columns: ``_dg_file`` (the
    position), every stored column and ``_dg_reason``."""
    file_list = "[" + ", ".join(_lit(str(p)) for _, p in files) + "]"
    names = "(VALUES " + ", ".join(f"({_lit(str(p))}, {i})" for i, p in files)
    columns = "{" + ", ".join(f"{_lit(n)}: 'JSON'" for n in REQUEST_SCHEMA.names) + "}"
    reader = (
        f"read_json({file_list}, format='newline_delimited', columns={columns}, "
        f"filename={_lit(_FNAME)})"
    )
    src = (
        f"(SELECT n.pos AS _loc, t.* FROM {reader} t "
        f"JOIN {names}) n(name, pos) ON n.name = t.{_FNAME})"
    )
    exprs = {f: json_field_sql(f, _q(f)) for f in REQUEST_SCHEMA.names}
    checks = [json_type_check(f, _q(f)) for f in REQUEST_SCHEMA.names]
    checked = validate_sql(src, exprs, checks)
    cols = [
        f"CAST(NULL AS VARCHAR) AS {_q(f.name)}"
        if privacy.drop_text and f.name in TEXT_FIELDS
        else _q(f.name)
        for f in REQUEST_SCHEMA
    ]
    prefix = (
        f"CASE WHEN regexp_matches(ip, {_lit(_IPV4_SQL)}) "
        f"THEN regexp_extract(ip, {_lit(_IPV4_SQL)}, 1) || '.0/24' END"
    )
    return (
        f"SELECT _loc AS {FILE}, {', '.join(cols)}, {prefix} AS ip_prefix, _reason AS {REASON} "
        f"FROM ({checked})"
    )


def _create_stage(con: duckdb.DuckDBPyConnection, stage: str) -> None:
    name = temp_name("empty")
    con.register(name, STORED_SCHEMA.empty_table())
    try:
        con.execute(
            f"CREATE TEMP TABLE {stage} AS SELECT CAST(NULL AS INTEGER) AS {FILE}, *, "
            f"CAST(NULL AS VARCHAR) AS {REASON} FROM {name}"
        )
    finally:
        con.unregister(name)


def _insert_scan(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    files: Sequence[tuple[int, Path]],
    privacy: Privacy,
) -> bool:
    """Scan ``files`` into ``stage`` in one transaction; False (nothing inserted) when DuckDB
    cannot read one of them."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"INSERT INTO {stage} BY NAME {scan_sql(files, privacy)}")
        con.execute("COMMIT")
    except duckdb.Error:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        return False
    return True


def _stage_batch(con: duckdb.DuckDBPyConnection, stage: str, pos: int, rows: pa.Table) -> None:
    if rows.num_rows == 0:
        return
    rows = rows.append_column(FILE, pa.array(np.full(rows.num_rows, pos, np.int32)))
    name = temp_name("rows")
    con.register(name, rows)
    try:
        con.execute(f"INSERT INTO {stage} BY NAME SELECT * FROM {name}")
    finally:
        con.unregister(name)


def stage_jsonl(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[Path],
    stage: str,
    privacy: Privacy,
    on_batch: OnBatch,
    prepare: Callable[[pa.Table], pa.Table],
) -> int:
    """Fill TEMP table ``stage`` with the valid rows of canonical JSON Lines ``files``; return
    how many rows the scan read from clean files.

    Clean files come from one DuckDB scan; a file the scan cannot read, or with rows to
    quarantine, is read by :class:`JsonlAdapter` instead: each of its batches goes to
    ``on_batch`` (which counts it and writes the quarantine) and its rows, through ``prepare``
    (canonical -> stored), to the stage. Repeated ids are kept: see :func:`dedupe_stage`.
    Raises InputError for a file with no records, or that cannot be read."""
    install_macros(con)  # TimeZone = UTC, as for every adapter
    _create_stage(con, stage)
    before = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    con.execute("SET preserve_insertion_order = true")  # rowid order = line order in a file
    try:
        # A name DuckDB would expand as a glob is left to the adapter, which opens it as is.
        redo = [i for i, p in enumerate(files) if any(c in str(p) for c in "*?[{")]
        scan = [(i, p) for i, p in enumerate(files) if i not in redo]
        if scan and not _insert_scan(con, stage, scan, privacy):
            # Some file is unreadable as a whole: find which, scanning them one by one.
            for i, path in scan:
                if not _insert_scan(con, stage, [(i, path)], privacy):
                    redo.append(i)
        counts = dict(
            con.execute(
                f"SELECT {FILE}, count(*) FILTER (WHERE {REASON} IS NOT NULL) FROM {stage} "
                f"GROUP BY {FILE}"
            ).fetchall()
        )
        # Files with a row to quarantine, unreadable ones, and those that gave no row at all
        # (empty, blank lines only: the adapter says why) are read by the adapter.
        dirty = sorted(
            {int(i) for i, bad in counts.items() if bad}
            | set(redo)
            | {i for i in range(len(files)) if i not in counts}
        )
        if dirty:
            con.execute(f"DELETE FROM {stage} WHERE {FILE} IN ({', '.join(map(str, dirty))})")
        scanned = int(con.execute(f"SELECT count(*) FROM {stage}").fetchall()[0][0])
        adapter = JsonlAdapter()
        for i in dirty:
            path = files[i]
            seen = 0
            for batch in adapter.read(path, con):
                seen += batch.rows.num_rows + batch.quarantined.num_rows
                on_batch(path, batch)
                _stage_batch(con, stage, i, prepare(batch.rows))
            if seen == 0:
                raise InputError("contains no records", source=str(path))
    finally:
        con.execute(f"SET preserve_insertion_order = {bool(before[0][0])}")
    con.execute(f"ALTER TABLE {stage} DROP COLUMN {REASON}")
    _fill_ipv6_prefixes(con, stage)
    return scanned


def _fill_ipv6_prefixes(con: duckdb.DuckDBPyConnection, stage: str) -> None:
    """IPv6 networks, computed once per distinct address by :func:`ip_prefix` (the scan derived
    the IPv4 ones in SQL; adapter rows already carry theirs)."""
    values = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT ip FROM {stage} WHERE ip_prefix IS NULL AND contains(ip, ':')"
        ).fetchall()
    ]
    if not values:
        return
    mapping = pa.table({"ip": pa.array(values, pa.string())})
    mapping = mapping.append_column("prefix", ip_prefix(mapping["ip"]))
    name = temp_name("ip6")
    con.register(name, mapping)
    try:
        con.execute(
            f"UPDATE {stage} SET ip_prefix = m.prefix FROM {name} m "
            f"WHERE {stage}.ip = m.ip AND {stage}.ip_prefix IS NULL"
        )
    finally:
        con.unregister(name)


def _hash(alias: str) -> str:
    from distillguard.ingest.store import content_hash_sql

    return content_hash_sql(alias, STORED_SCHEMA.names)


def dedupe_stage(con: duckdb.DuckDBPyConnection, stage: str, stored: str | None) -> tuple[int, int]:
    """Delete every occurrence of a repeated ``request_id`` in ``stage`` but the first (earliest
    file, then line), and return ``(deleted, conflicting)``.

    ``conflicting`` counts, as :func:`~distillguard.ingest.store.store_batch` does, the
    duplicates whose content differs from the row kept for their id: the row already in table
    ``stored`` when there is one (then the stage's first occurrence counts too), else the
    stage's first occurrence. Rows of ``stage`` already in ``stored`` stay (the caller's insert
    skips them)."""
    row = con.execute(f"SELECT count(*), count(DISTINCT request_id) FROM {stage}").fetchall()
    n, distinct = int(row[0][0]), int(row[0][1])
    deleted = conflicting = 0
    old = f"(SELECT request_id, {_hash('r')} AS hs FROM {stored} r)" if stored else None
    if n > distinct:
        dups = temp_name("dups")
        order = f"PARTITION BY request_id ORDER BY {FILE}, rid"
        con.execute(
            f"CREATE TEMP TABLE {dups} AS SELECT rid, request_id, h, "
            f"first_value(h) OVER ({order}) AS h0, row_number() OVER ({order}) AS n FROM "
            f"(SELECT rowid AS rid, {FILE}, request_id, {_hash('s')} AS h FROM {stage} s "
            f"WHERE request_id IN (SELECT request_id FROM {stage} GROUP BY request_id "
            f"HAVING count(*) > 1))"
        )
        try:
            winner = "d.h0"
            join = ""
            if old is not None:
                winner = "coalesce(o.hs, d.h0)"
                join = (
                    f" LEFT JOIN (SELECT * FROM {old} WHERE request_id IN "
                    f"(SELECT request_id FROM {dups})) o ON o.request_id = d.request_id"
                )
            row = con.execute(
                f"SELECT count(*), count(*) FILTER (WHERE d.h <> {winner}) FROM {dups} d{join} "
                f"WHERE d.n > 1"
            ).fetchall()
            deleted, conflicting = int(row[0][0]), int(row[0][1])
            con.execute(f"DELETE FROM {stage} WHERE rowid IN (SELECT rid FROM {dups} WHERE n > 1)")
        finally:
            con.execute(f"DROP TABLE IF EXISTS {dups}")
    if old is not None:
        row = con.execute(
            f"SELECT count(*) FROM {stage} s JOIN {old} o ON o.request_id = s.request_id "
            f"WHERE {_hash('s')} <> o.hs"
        ).fetchall()
        conflicting += int(row[0][0])
    return deleted, conflicting
