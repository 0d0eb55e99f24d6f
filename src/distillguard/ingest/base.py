"""The adapter role, the batch it yields, and the shared SQL validator.

An adapter turns one file into :class:`Batch` es: canonical rows (``REQUEST_SCHEMA``) plus the rows
it had to quarantine. Every adapter maps its format to *raw* canonical columns as DuckDB SQL
expressions; :func:`validate` then casts them to the schema and names what is wrong with a row,
for a whole batch at once.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.ingest.validation import (
    DUCKDB,
    FieldRule,
    SourceKind,
    case_sql,
    field_rules,
    reason_cases,
    run_time,
)
from distillguard.schema import REQUEST_SCHEMA

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string()),
        pa.field("unit", pa.string()),
        pa.field("location", pa.int64()),
        pa.field("reason", pa.string()),
        pa.field("raw", pa.large_string()),
        # The row's canonical field values as JSON (what the adapter extracted), when it had any:
        # written instead of ``raw`` when a hash key or drop-text is in force.
        pa.field("fields", pa.large_string()),
    ]
)

DEFAULT_BATCH_SIZE = 100_000

_counter = itertools.count()


@dataclass
class Batch:
    """Canonical rows read from one part of a file, and the rows quarantined from it."""

    rows: pa.Table
    quarantined: pa.Table
    rows_read: int
    # Records of this file merged into rows read from another file (OTel log records joined to
    # their spans): they make no row of their own, but the file was not empty.
    merged: int = 0


class Adapter(ABC):
    """Reads one log format. ``__init__`` only stores parameters."""

    name: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]] = ()

    def __init__(self, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.batch_size = batch_size

    @classmethod
    @abstractmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        """Whether the file starting with ``head`` (decompressed) looks like this format."""

    @abstractmethod
    def read(self, path: Path, con: duckdb.DuckDBPyConnection) -> Iterator[Batch]:
        """Yield batches of canonical and quarantined rows; raise InputError if unreadable."""

    def read_files(
        self, paths: Sequence[Path], con: duckdb.DuckDBPyConnection
    ) -> Iterator[tuple[Path, Batch]]:
        """Every file of one run in this format, in order. Formats whose records span files
        (OTel spans and the log records that carry their messages) override this."""
        for path in paths:
            for batch in self.read(path, con):
                yield path, batch

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_size={self.batch_size})"


def temp_name(prefix: str = "dg") -> str:
    """A fresh name for a registered view."""
    return f"_{prefix}_{next(_counter)}"


def validate_sql(
    src: str,
    exprs: Mapping[str, str],
    checks: Sequence[tuple[str, str]] = (),
    raw_expr: str | None = None,
    keep: Sequence[str] = (),
    sources: Mapping[str, SourceKind] | None = None,
    now: datetime | None = None,
    rules: tuple[FieldRule, ...] | None = None,
) -> str:
    """SQL casting raw canonical expressions over ``src`` (which has ``_loc``) to the schema.

    ``exprs`` maps canonical field -> SQL expression (missing fields are NULL). ``sources`` says
    what each raw value is (a typed column's class, or JSON-extracted ``text``, the default; see
    :mod:`distillguard.ingest.validation`, which holds every rule). ``checks`` are
    adapter-specific ``(reason, condition)`` pairs tested before the generic ones. The result has
    ``_loc``, every canonical column and ``_reason`` (NULL for a good row), and ``_raw`` (the raw
    record text of a bad row) when ``raw_expr`` is given, and ``_fields`` (the raw canonical
    values of a bad row as JSON, for privacy-preserving quarantine). Columns of ``src`` named in
    ``keep`` are passed through unchanged.
    """
    rules = rules or field_rules()
    kept = [f'"{k}"' for k in keep]
    inner = ["_loc", f"{raw_expr or 'NULL'} AS _rawsrc", *kept]
    outer = ["_loc", "_rawsrc", *kept]
    extra = []
    for i, (reason, cond) in enumerate(checks):
        inner.append(f"({cond}) AS _chk{i}")
        extra.append((f"_chk{i}", reason))
    typed, conditions = reason_cases(
        rules,
        raw_ref=lambda n: f'"r_{n}"',
        typed_ref=lambda n: f'"{n}"',
        sources=sources or {},
        d=DUCKDB,
        now=now or run_time(),
        extra=tuple(extra),
    )
    for f in REQUEST_SCHEMA:
        inner.append(f'{exprs.get(f.name, "NULL")} AS "r_{f.name}"')
        outer.append(f'{typed[f.name]} AS "{f.name}", "r_{f.name}"')
    names = ", ".join(f'"{n}"' for n in REQUEST_SCHEMA.names)
    raws = ", ".join(f'"r_{n}"' for n in REQUEST_SCHEMA.names)
    fields = (
        "to_json(struct_pack("
        + ", ".join(f'"{n}" := "r_{n}"' for n in REQUEST_SCHEMA.names)
        + "))::VARCHAR"
    )
    head = ", ".join(["_loc", "_rawsrc", *kept])
    return (
        f"SELECT *, CASE WHEN _reason IS NOT NULL THEN _rawsrc END AS _raw, "
        f"CASE WHEN _reason IS NOT NULL THEN {fields} END AS _fields FROM ("
        f"SELECT {head}, {names}, {raws}, {case_sql(conditions)} AS _reason FROM ("
        f"SELECT {', '.join(outer)}{''.join(f', _chk{i}' for i in range(len(checks)))} FROM ("
        f"SELECT {', '.join(inner)} FROM {src})))"
    )


def split_valid(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    *,
    source: str,
    unit: str,
    raw_sql: str | None = None,
) -> tuple[pa.Table, pa.Table]:
    """Run a :func:`validate_sql` query; return (canonical rows, quarantine rows).

    Without ``raw_sql`` the raw text comes from the query's ``_raw`` column. ``raw_sql`` is a query
    with columns ``_loc`` and ``raw``, run only when some rows failed.
    """
    result = con.sql(sql).to_arrow_table()
    bad = pc.is_valid(result["_reason"])
    good = result.filter(pc.invert(bad)).select(REQUEST_SCHEMA.names).cast(REQUEST_SCHEMA)
    failed = result.filter(bad).select(["_loc", "_reason", "_raw", "_fields"])
    if failed.num_rows == 0:
        return good, QUARANTINE_SCHEMA.empty_table()
    if raw_sql is None:
        return good, quarantine_table(
            source, unit, failed["_loc"], failed["_reason"], failed["_raw"], failed["_fields"]
        )
    failed = failed.select(["_loc", "_reason", "_fields"])
    name = temp_name("bad")
    con.register(name, failed)
    try:
        rows = con.sql(
            f"SELECT b._loc, b._reason, r.raw, b._fields FROM {name} b LEFT JOIN ({raw_sql}) r "
            f"ON r._loc = b._loc AND r._loc IN (SELECT _loc FROM {name}) ORDER BY b._loc"
        ).to_arrow_table()
    finally:
        con.unregister(name)
    return good, quarantine_table(
        source, unit, rows["_loc"], rows["_reason"], rows["raw"], rows["_fields"]
    )


def quarantine_table(
    source: str,
    unit: str,
    loc: pa.ChunkedArray | pa.Array,
    reason: pa.ChunkedArray | pa.Array,
    raw: pa.ChunkedArray | pa.Array,
    fields: pa.ChunkedArray | pa.Array | None = None,
) -> pa.Table:
    """Quarantine rows for one source file (``fields``: see :data:`QUARANTINE_SCHEMA`)."""
    n = len(loc)
    if fields is None:
        fields = pa.nulls(n, pa.large_string())
    return pa.table(
        [
            pa.array([source] * n, pa.string()) if n else pa.array([], pa.string()),
            pa.array([unit] * n, pa.string()) if n else pa.array([], pa.string()),
            pc.cast(loc, pa.int64()),
            pc.cast(reason, pa.string()),
            pc.cast(raw, pa.large_string()),
            pc.cast(fields, pa.large_string()),
        ],
        schema=QUARANTINE_SCHEMA,
    )
