"""JSON Lines reading shared by every line-oriented adapter, and the canonical ``jsonl`` adapter.

A file (plain or gzip) is read in blocks of whole lines; each block becomes an Arrow table of
``(_loc, line)`` with 1-based line numbers, and one DuckDB query maps every line of the block to
raw canonical columns. Lines that are not JSON objects are quarantined by a vectorised
``json_valid`` test. If DuckDB still rejects a block, the block is bisected so only the lines that
cause the error are quarantined and the rest are kept.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, ClassVar, cast

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.errors import InputError
from distillguard.ingest.base import (
    QUARANTINE_SCHEMA,
    Adapter,
    Batch,
    quarantine_table,
    split_valid,
    temp_name,
    validate_sql,
)
from distillguard.ingest.sqlmacros import install_macros
from distillguard.ingest.validation import field_limits
from distillguard.schema import REQUEST_SCHEMA

GZIP_MAGIC = b"\x1f\x8b"
BOM = b"\xef\xbb\xbf"
BLOCK_BYTES = 32 << 20
# Errors a line's content can cause inside a query (others are bugs and propagate).
DATA_ERRORS = (
    duckdb.ConversionException,
    duckdb.InvalidInputException,
    duckdb.OutOfRangeException,
    duckdb.NotImplementedException,
)


def open_maybe_gzip(path: Path) -> IO[bytes]:
    """Open a file for binary reading, decompressing gzip transparently."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(2)
        if magic == GZIP_MAGIC:
            return cast(IO[bytes], gzip.open(path, "rb"))
        return open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot open file: {exc.strerror or exc}", source=str(path)) from exc


def _decode_lines(chunk: bytes) -> tuple[pa.Array, pa.Array | None]:
    """Split a block of whole lines into a string array (one element per line, empty kept), and
    a mask of the lines that are not valid UTF-8 (None when all are).

    A bad line is kept for the quarantine with its bytes shown as ``\\xNN`` escapes, never with
    U+FFFD replacements passed off as the content."""
    binary = pc.split_pattern(pa.array([chunk], pa.large_binary()), b"\n").flatten()
    try:
        return pc.cast(binary, pa.large_string()), None
    except pa.ArrowInvalid:
        # Some line is not UTF-8 (rare): find it line by line in this block only.
        raw = chunk.split(b"\n")
        bad = []
        lines = []
        for b in raw:
            try:
                lines.append(b.decode("utf-8"))
                bad.append(False)
            except UnicodeDecodeError:
                lines.append(b.decode("utf-8", errors="backslashreplace"))
                bad.append(True)
        return pa.array(lines, pa.large_string()), pa.array(bad, pa.bool_())


def line_limit() -> int:
    """Lines longer than this (bytes) must have an oversize field: every field at its limit,
    plus 1 MiB of keys, punctuation and extra columns."""
    return sum(field_limits().values()) + (1 << 20)


def too_large_reason(line: str) -> str:
    """``too_large:FIELD`` for the first field over its limit in an oversize line, else
    ``too_large:line`` (e.g. a huge extra column)."""
    import json

    limits = field_limits()
    try:
        doc = json.loads(line)
    except ValueError:
        return "too_large:line"
    if isinstance(doc, dict):
        for name, limit in limits.items():
            value = doc.get(name)
            if isinstance(value, str) and len(value.encode("utf-8", "replace")) > limit:
                return f"too_large:{name}"
    return "too_large:line"


def _json_valid(con: duckdb.DuckDBPyConnection, block: pa.Table) -> pa.Array:
    name = temp_name("valid")
    con.register(name, block.select(["line"]))
    try:
        out = con.sql(f"SELECT json_valid(line) AS ok FROM {name}").to_arrow_table()["ok"]
    finally:
        con.unregister(name)
    return pc.fill_null(out, False)


def _not_blank(lines: pa.Array) -> pa.Array:
    """Mask of lines with content (whitespace is only checked on short lines: it is slow)."""
    nbytes = pc.binary_length(lines)
    short = pc.less_equal(nbytes, 16)
    blank_short = pc.and_(
        short,
        pc.equal(
            pc.utf8_length(
                pc.utf8_trim_whitespace(pc.if_else(short, lines, pa.scalar("", lines.type)))
            ),
            0,
        ),
    )
    return pc.invert(blank_short)


def lines_block(chunk: bytes, first_line: int = 1) -> pa.Table:
    """A block of whole lines as a table ``(_loc int64, line string, utf8 bool)`` of its
    non-blank lines, numbered from ``first_line`` (``utf8`` false: not valid UTF-8)."""
    lines, bad_utf8 = _decode_lines(chunk)
    n = len(lines)
    locs = pa.array(np.arange(first_line, first_line + n, dtype=np.int64))
    ok = pa.array(np.ones(n, bool)) if bad_utf8 is None else pc.invert(bad_utf8)
    return pa.table({"_loc": locs, "line": lines, "utf8": ok}).filter(_not_blank(lines))


def iter_line_blocks(path: Path, max_lines: int) -> Iterator[pa.Table]:
    """Yield tables ``(_loc int64, line string, utf8 bool)`` of at most ``max_lines`` non-blank
    lines (``utf8`` false: the line's bytes are not valid UTF-8). A UTF-8 byte-order mark at
    the start of the file is skipped."""
    first_line = 1
    rest = b""
    at_file_start = True
    try:
        with open_maybe_gzip(path) as fh:
            while True:
                data = fh.read(BLOCK_BYTES)
                if at_file_start:
                    data = data.removeprefix(BOM)
                    at_file_start = False
                eof = not data
                buf = rest + data
                if eof:
                    chunk, rest = buf, b""
                else:
                    cut = buf.rfind(b"\n")
                    if cut < 0:
                        rest = buf
                        continue
                    chunk, rest = buf[:cut], buf[cut + 1 :]
                if chunk:
                    block = lines_block(chunk, first_line)
                    first_line += chunk.count(b"\n") + 1
                    for start in range(0, block.num_rows, max_lines):
                        yield block.slice(start, max_lines)
                elif not eof:
                    first_line += 1  # an empty line exactly at a chunk boundary
                if eof:
                    return
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read file: {exc}", source=str(path)) from exc


class JsonRecordsAdapter(Adapter):
    """Base for formats with one JSON object per line, mapped to the schema by SQL expressions.

    Subclasses set :attr:`fields` (canonical name -> SQL over the JSON column ``j``), optionally
    :attr:`checks`, and may override :meth:`records_sql` to expand one line into several records.
    """

    fields: ClassVar[dict[str, str]] = {}
    checks: ClassVar[tuple[tuple[str, str], ...]] = ()
    unit: ClassVar[str] = "line"

    def records_sql(self, lines: str) -> str:
        """Records ``(_loc, j, _rawrec)`` from the JSON-object lines of view ``lines``."""
        return f"SELECT _loc, line AS j, line AS _rawrec FROM {lines}"

    def read(self, path: Path, con: duckdb.DuckDBPyConnection) -> Iterator[Batch]:
        install_macros(con)
        for block in self.blocks(path):
            yield self._convert(block, con, str(path))

    def read_bytes(
        self, data: bytes, con: duckdb.DuckDBPyConnection, source: str
    ) -> Iterator[Batch]:
        """Batches from an in-memory body (a service request) instead of a file."""
        install_macros(con)
        block = self.body_block(data)
        for start in range(0, block.num_rows, self.batch_size):
            yield self._convert(block.slice(start, self.batch_size), con, source)

    def body_block(self, data: bytes) -> pa.Table:
        """The ``(_loc, line)`` table of a body: one record per line (override for documents)."""
        return lines_block(data)

    def blocks(self, path: Path) -> Iterator[pa.Table]:
        """Line blocks of the file (override for whole-document formats)."""
        return iter_line_blocks(path, self.batch_size)

    def _convert(self, block: pa.Table, con: duckdb.DuckDBPyConnection, source: str) -> Batch:
        # One JSON parse to find invalid lines; non-object JSON falls through to "missing:".
        utf8 = block["utf8"] if "utf8" in block.column_names else None
        valid = _json_valid(con, block)
        if utf8 is not None:
            valid = pc.and_(valid, utf8)
        oversize = pc.greater(pc.binary_length(block["line"]), line_limit())
        if pc.any(oversize).as_py():
            valid = pc.and_(valid, pc.invert(oversize))
        not_obj = block.filter(pc.invert(valid))
        reason = pa.array(["invalid_json"] * not_obj.num_rows, pa.string())
        if pc.any(oversize).as_py():
            # Too big to hand to SQL at all (it would hold several copies): name the field in
            # Python, on these rare lines only.
            big = pc.greater(pc.binary_length(not_obj["line"]), line_limit())
            named = [
                too_large_reason(x) if b else None
                for x, b in zip(not_obj["line"].to_pylist(), big.to_pylist(), strict=True)
            ]
            reason = pc.coalesce(pa.array(named, pa.string()), reason)
        if utf8 is not None and not_obj.num_rows:
            bad_bytes = pc.invert(not_obj["utf8"])
            reason = pc.if_else(bad_bytes, pa.scalar("invalid_utf8"), reason)
        not_obj = pa.table({"_loc": not_obj["_loc"], "reason": reason, "raw": not_obj["line"]})
        good_lines = block.filter(valid)
        name = temp_name("lines")
        con.register(name, good_lines)
        try:
            try:
                good, bad = self._validate(con, name, name, source)
            except DATA_ERRORS:
                good, bad = self._bisect(good_lines, con, source, not_obj)
                return Batch(good, bad, block.num_rows)
        finally:
            con.unregister(name)
        q = quarantine_table(source, self.unit, not_obj["_loc"], not_obj["reason"], not_obj["raw"])
        return Batch(good, pa.concat_tables([q, bad]).sort_by("location"), block.num_rows)

    def _validate(
        self, con: duckdb.DuckDBPyConnection, lines: str, lines_name: str, source: str
    ) -> tuple[pa.Table, pa.Table]:
        sql = validate_sql(f"({self.records_sql(lines)})", self.fields, self.checks, "_rawrec")
        return split_valid(con, sql, source=source, unit=self.unit)

    def _bisect(
        self, block: pa.Table, con: duckdb.DuckDBPyConnection, source: str, not_obj: pa.Table
    ) -> tuple[pa.Table, pa.Table]:
        """Process a block DuckDB rejected by halves, quarantining the lines that fail alone."""
        goods: list[pa.Table] = []
        bads: list[pa.Table] = [
            quarantine_table(source, self.unit, not_obj["_loc"], not_obj["reason"], not_obj["raw"])
        ]
        stack = [block]
        while stack:
            part = stack.pop()
            if part.num_rows == 0:
                continue
            name = temp_name("part")
            con.register(name, part)
            try:
                g, b = self._validate(con, name, name, source)
                goods.append(g)
                bads.append(b)
            except DATA_ERRORS as exc:
                if part.num_rows == 1:
                    reason = "unparseable:" + type(exc).__name__
                    bads.append(
                        quarantine_table(
                            source, self.unit, part["_loc"], pa.array([reason]), part["line"]
                        )
                    )
                else:
                    half = part.num_rows // 2
                    stack.extend([part.slice(half), part.slice(0, half)])
            finally:
                con.unregister(name)
        good = pa.concat_tables(goods) if goods else REQUEST_SCHEMA.empty_table()
        bad = pa.concat_tables(bads) if bads else QUARANTINE_SCHEMA.empty_table()
        return good, bad.sort_by("location")


def _path_list(fields: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'$.\"{f}\"'" for f in fields) + "]"


_STRING_FIELDS = tuple(
    f.name for f in REQUEST_SCHEMA if pa.types.is_string(f.type) or pa.types.is_timestamp(f.type)
)
_TIME_FIELDS = tuple(f.name for f in REQUEST_SCHEMA if pa.types.is_timestamp(f.type))


def json_field_sql(name: str, ref: str) -> str:
    """The raw text of canonical field ``name`` from the JSON value ``ref`` (a SQL expression of
    type JSON): strings unquoted, numbers as written, NULL for JSON null; booleans, objects and
    arrays as JSON text (:func:`json_type_check` quarantines them)."""
    if name in _STRING_FIELDS:
        return f"{ref}->>'$'"
    return (
        f"CASE WHEN json_type({ref}) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR') "
        f"THEN {ref}->>'$' WHEN json_type({ref}) = 'NULL' THEN NULL "
        f"ELSE {ref}::VARCHAR END"
    )


def json_type_check(name: str, ref: str) -> tuple[str, str]:
    """``(reason, condition)``: strict JSON types, nothing coerced. A number where a string (or
    an RFC 3339 time) is expected, a boolean, object or array anywhere: ``bad_type``. Text in a
    number field must read as that number exactly (checked with every other rule in
    :mod:`distillguard.ingest.validation`)."""
    label = "bad_timestamp" if name in _TIME_FIELDS else "bad_type"
    allowed = (
        "('VARCHAR', 'NULL')"
        if name in _STRING_FIELDS
        else "('BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR', 'NULL')"
    )
    return f"{label}:{name}", f"json_type({ref}) NOT IN {allowed}"


class JsonlAdapter(JsonRecordsAdapter):
    """Canonical JSON Lines: one object per line with the schema's field names (RFC 3339 times)."""

    name = "jsonl"
    extensions = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".json", ".json.gz")

    # Extract every field with one JSON parse per line: ``v`` is a list of JSON values.
    fields: ClassVar[dict[str, str]] = {
        f: json_field_sql(f, f"v[{i + 1}]") for i, f in enumerate(REQUEST_SCHEMA.names)
    }
    checks = tuple(json_type_check(f, f"v[{i + 1}]") for i, f in enumerate(REQUEST_SCHEMA.names))

    def records_sql(self, lines: str) -> str:
        paths = _path_list(tuple(REQUEST_SCHEMA.names))
        return f"SELECT _loc, json_extract(line, {paths}) AS v, line AS _rawrec FROM {lines}"

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        from distillguard.ingest.sniffing import first_object

        obj = first_object(head)
        return obj is not None and {"request_id", "timestamp", "account_id"} <= obj.keys()
