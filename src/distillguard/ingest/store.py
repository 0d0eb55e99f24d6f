"""Storing request logs: :func:`load_requests` into any DuckDB table, and the on-disk Workspace.

Each batch is committed in its own transaction, deduplicated on ``request_id`` against what is
already stored, so a run that is killed and re-run stores every row exactly once.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import duckdb
import numpy as np
import pyarrow as pa

from distillguard.errors import ConfigError, DistillguardError, InputError
from distillguard.ingest.adapters import ADAPTERS, resolve_sources
from distillguard.ingest.base import DEFAULT_BATCH_SIZE, Batch, temp_name
from distillguard.ingest.privacy import HASHED_FIELDS, TEXT_FIELDS, Privacy, with_ip_prefix
from distillguard.resources import duckdb_memory_limit
from distillguard.schema import STORED_SCHEMA

TextFeatures = Callable[[pa.Table], pa.Table]
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ORD = "_dg_batch_order"  # row position in a batch: the first occurrence of an id wins


@dataclass
class IngestStats:
    """What one ingest run did. ``rows_read = rows_stored + rows_duplicate + rows_quarantined``.

    ``rows_duplicate_conflicting`` counts the duplicates (included in ``rows_duplicate``) whose
    content differs from the stored row with the same ``request_id``: a broken exporter or
    tampering, never a harmless retry.
    """

    rows_read: int = 0
    rows_stored: int = 0
    rows_duplicate: int = 0
    rows_duplicate_conflicting: int = 0
    rows_quarantined: int = 0
    quarantine_file: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary_line(self) -> str:
        """The one JSON line the ``ingest`` command prints."""
        keys = (
            "rows_read",
            "rows_stored",
            "rows_duplicate",
            "rows_duplicate_conflicting",
            "rows_quarantined",
            "quarantine_file",
        )
        d = asdict(self)
        return json.dumps({k: d[k] for k in keys})


def read_batches(
    sources: Sequence[str | Path],
    *,
    fmt: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Iterator[tuple[Path, Batch]]:
    """Stream ``(file, Batch)`` for every input without storing anything.

    Raises InputError for a missing, unreadable, unrecognised or record-less file.
    """
    if batch_size < 1:
        raise ConfigError("batch size must be at least 1")
    plan = resolve_sources(sources, fmt)
    own = con is None
    conn = duckdb.connect() if con is None else con
    try:
        # Files are read grouped by format (first-seen order), each group in input order, so an
        # adapter can join records across its files.
        groups: dict[str, list[Path]] = {}
        for path, name in plan:
            groups.setdefault(name, []).append(path)
        for name, paths in groups.items():
            seen = dict.fromkeys(paths, 0)
            for path, batch in ADAPTERS[name](batch_size).read_files(paths, conn):
                seen[path] += batch.rows.num_rows + batch.quarantined.num_rows + batch.merged
                yield path, batch
            for path, n in seen.items():
                if n == 0:
                    raise InputError("contains no records", source=str(path))
    finally:
        if own:
            conn.close()


def _duck_type(con: duckdb.DuckDBPyConnection, table: pa.Table, column: str) -> str:
    name = temp_name("ty")
    con.register(name, table.select([column]).slice(0, 0))
    try:
        rows = con.execute(f'DESCRIBE SELECT "{column}" FROM {name}').fetchall()
    finally:
        con.unregister(name)
    return str(rows[0][1])


def ensure_table(con: duckdb.DuckDBPyConnection, table: str, *, temp: bool = False) -> None:
    """Create ``table`` (a TEMP table when ``temp``) with the stored schema if it does not exist."""
    if not _IDENT.match(table):
        raise ConfigError(f"invalid table name {table!r}")
    name = temp_name("empty")
    con.register(name, STORED_SCHEMA.empty_table())
    kind = "TEMP TABLE" if temp else "TABLE"
    try:
        con.execute(f"CREATE {kind} IF NOT EXISTS {table} AS SELECT * FROM {name}")
    finally:
        con.unregister(name)


def _add_missing_columns(con: duckdb.DuckDBPyConnection, table: str, batch: pa.Table) -> None:
    existing = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    for col in batch.column_names:
        if col not in existing:
            con.execute(f'ALTER TABLE {table} ADD COLUMN "{col}" {_duck_type(con, batch, col)}')


@contextlib.contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction around the block: committed when it ends, rolled back if it raises (or
    is interrupted). DuckDB may already have aborted it (a full disk, for one); the error that
    caused it is the one to report, not the rollback's."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise


def content_hash_sql(alias: str, columns: Sequence[str]) -> str:
    """A hash of a row's schema columns: two occurrences of one ``request_id`` with different
    hashes are a conflicting duplicate, not a retry."""
    parts = ", ".join(f'"{c}" := {alias}."{c}"' for c in columns)
    return f"md5(to_json(struct_pack({parts}))::VARCHAR)"


def store_batch(con: duckdb.DuckDBPyConnection, table: str, batch: pa.Table) -> tuple[int, int]:
    """Insert rows whose request_id is new (first occurrence wins) in one transaction; return
    (rows stored, duplicates whose content differs from the stored row)."""
    if batch.num_rows == 0:
        return 0, 0
    name = temp_name("batch")
    order = pa.array(np.arange(batch.num_rows, dtype=np.int64))
    con.register(name, batch.append_column(_ORD, order))
    try:
        with _transaction(con):
            _add_missing_columns(con, table, batch)
            row = con.execute(
                f"INSERT INTO {table} BY NAME SELECT * EXCLUDE ({_ORD}) FROM {name} b "
                f"WHERE NOT EXISTS (SELECT 1 FROM {table} r WHERE r.request_id = b.request_id) "
                f"QUALIFY row_number() OVER (PARTITION BY b.request_id ORDER BY b.{_ORD}) = 1"
            ).fetchone()
            stored = int(row[0]) if row else 0
            conflicting = 0
            if stored < batch.num_rows:
                cols = [c for c in STORED_SCHEMA.names if c in batch.column_names]
                hit = con.execute(
                    f"SELECT count(*) FROM {name} b JOIN {table} r ON r.request_id = b.request_id "
                    f"WHERE {content_hash_sql('b', cols)} <> {content_hash_sql('r', cols)}"
                ).fetchone()
                conflicting = int(hit[0]) if hit else 0
    finally:
        con.unregister(name)
    return stored, conflicting


RAW_MAX_CHARS = 64 << 10  # a quarantined 50 MB row keeps its first 64 KiB: enough to debug


class QuarantineWriter:
    """Appends quarantined rows to a JSON Lines file, created on the first bad row.

    Each line has ``source``, the line or row number, ``reason`` and ``raw``. With a hash key or
    drop-text in force, ``raw`` is not the original record: it is the row's canonical fields
    with the same protection as storage (identifiers keyed-hashed, text dropped), or null when
    the record could not be read into fields at all; nothing raw leaves through the quarantine.
    """

    def __init__(self, path: Path | None, privacy: Privacy | None = None) -> None:
        self.path = path
        self.privacy = privacy or Privacy()
        self._fh: IO[str] | None = None

    def write(self, rows: pa.Table) -> None:
        if rows.num_rows == 0 or self.path is None:
            return
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (kept across batches)
        # Quarantined rows are the rare bad ones, so a loop over them is fine.
        lines = []
        for r in rows.to_pylist():
            rec: dict[str, Any] = {"source": r["source"], r["unit"]: r["location"]}
            rec["reason"] = r["reason"]
            rec.update(self._raw(r))
            lines.append(json.dumps(rec, ensure_ascii=False) + "\n")
        self._fh.write("".join(lines))
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def _raw(self, r: dict[str, Any]) -> dict[str, Any]:
        p = self.privacy
        if p.hash_key is None and not p.drop_text:
            raw = r.get("raw")
            if isinstance(raw, str) and len(raw) > RAW_MAX_CHARS:
                return {"raw": raw[:RAW_MAX_CHARS], "raw_truncated": True}
            return {"raw": raw}
        fields = r.get("fields")
        if not fields:
            return {"raw": None, "redacted": True}
        doc = json.loads(fields)
        if not isinstance(doc, dict):
            return {"raw": None, "redacted": True}
        if p.hash_key is not None:
            for name in HASHED_FIELDS:
                if doc.get(name) is not None:
                    doc[name] = p.hash_value(str(doc[name]))
        if p.drop_text:
            for name in TEXT_FIELDS:
                doc.pop(name, None)
        text = json.dumps(doc, ensure_ascii=False)
        if len(text) > RAW_MAX_CHARS:
            return {"raw": text[:RAW_MAX_CHARS], "raw_truncated": True, "redacted": True}
        return {"raw": text, "redacted": True}

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


@contextlib.contextmanager
def storing(writer: QuarantineWriter) -> Iterator[QuarantineWriter]:
    """Around a store: a storage failure (DuckDB) or a quarantine-file ``OSError`` (a full disk,
    a read-only workspace) becomes one :class:`InputError` line, and the quarantine writer is
    closed whatever happens."""
    try:
        yield writer
    except duckdb.Error as exc:
        raise InputError(f"storage failed: {str(exc).splitlines()[0]}") from exc
    except OSError as exc:
        where = exc.filename or writer.path
        raise InputError(f"storage failed: {exc.strerror or exc}", source=str(where)) from exc
    finally:
        with contextlib.suppress(OSError):  # already reported above
            writer.close()


LEDGER = "_dg_quarantined"  # (source, location) of every row a workspace has quarantined


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> str:
    """The workspace's quarantine ledger, so a resumed or repeated ingest never writes the same
    bad row twice (its quarantine count always equals the lines it wrote)."""
    con.execute(f"CREATE TABLE IF NOT EXISTS {LEDGER} (source VARCHAR, location BIGINT)")
    return LEDGER


def _unseen(con: duckdb.DuckDBPyConnection, ledger: str, bad: pa.Table) -> pa.Table:
    """The quarantined rows of ``bad`` not in ``ledger`` (and adds them to it)."""
    if bad.num_rows == 0:
        return bad
    name = temp_name("q")
    con.register(name, bad)
    try:
        fresh = con.sql(
            f"SELECT b.* FROM {name} b ANTI JOIN {ledger} l "
            f"ON l.source = b.source AND l.location = b.location ORDER BY b.location"
        ).to_arrow_table()
        con.execute(
            f"INSERT INTO {ledger} SELECT source, location FROM {name} b ANTI JOIN {ledger} l "
            f"ON l.source = b.source AND l.location = b.location"
        )
    finally:
        con.unregister(name)
    return fresh.cast(bad.schema)


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    ledger: str | None,
    writer: QuarantineWriter,
    reasons: Counter[str],
    batch: Batch,
) -> tuple[pa.Table, int]:
    """Write a batch's quarantined rows that no earlier run into this workspace quarantined
    (``ledger``), counting their reasons: (the rows written, how many were seen before)."""
    bad = batch.quarantined
    if ledger is not None:
        bad = _unseen(con, ledger, bad)
    writer.write(bad)
    if bad.num_rows:
        reasons.update(bad["reason"].to_pylist())
    return bad, batch.quarantined.num_rows - bad.num_rows


def prepare(rows: pa.Table, privacy: Privacy, text_features: TextFeatures | None) -> pa.Table:
    """Canonical rows -> stored rows: derive ip_prefix, hash, add text features, drop text."""
    out = privacy.hash_identifiers(with_ip_prefix(rows))
    if text_features is not None:
        feats = text_features(out)
        if not isinstance(feats, pa.Table) or feats.num_rows != out.num_rows:
            raise ConfigError("text_features must return a table with one row per input row")
        clash = set(feats.column_names) & set(STORED_SCHEMA.names)
        if clash:
            raise ConfigError(f"text_features returned schema columns: {sorted(clash)}")
        for name in feats.column_names:
            out = out.append_column(feats.schema.field(name), feats[name])
    return privacy.drop(out)


def load_requests(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[str | Path],
    *,
    table: str = "requests",
    fmt: str | None = None,
    privacy: Privacy | None = None,
    quarantine_path: Path | None = None,
    batch_size: int | None = None,
    text_features: TextFeatures | None = None,
    progress: Callable[[IngestStats], None] | None = None,
    temp: bool = False,
) -> IngestStats:
    """Read ``sources`` into DuckDB table ``table`` (STORED_SCHEMA columns), deduped on request_id.

    With ``temp`` the table is a TEMP table (connection-local, kept in memory and spilled to the
    connection's ``temp_directory`` under its ``memory_limit``).

    Bad rows go to ``quarantine_path`` (JSON Lines; not written when None). ``text_features``, if
    given, is called on every canonical batch *after* identifiers are hashed but *before* text is
    dropped; the columns it returns are stored beside the schema columns. ``progress`` is called
    after each committed batch.

    ``batch_size`` is the number of rows per committed transaction. By default (None), canonical
    JSON Lines commit whole DuckDB row groups (:func:`commit_rows`), every other path
    :data:`~distillguard.ingest.base.DEFAULT_BATCH_SIZE` rows; Parquet without a hash key
    always commits once (see :func:`_store_parquet`).
    """
    t0 = time.perf_counter()
    privacy = privacy or Privacy()
    if batch_size is not None and batch_size < 1:
        raise ConfigError("batch size must be at least 1")
    plan = resolve_sources(sources, fmt)
    ensure_table(con, table, temp=temp)
    ledger = None if temp else ensure_ledger(con)
    if (
        text_features is None
        and privacy.hash_key is None
        and all(name == "parquet" for _, name in plan)
    ):
        stats = _store_parquet(con, [p for p, _ in plan], table, privacy, quarantine_path, ledger)
        if progress is not None:
            progress(stats)
        stats.seconds = time.perf_counter() - t0
        return stats
    if (
        text_features is None
        and privacy.hash_key is None
        and all(name == "jsonl" for _, name in plan)
    ):
        stats = _store_jsonl(
            con,
            [p for p, _ in plan],
            table,
            privacy,
            quarantine_path,
            ledger,
            temp=temp,
            batch_size=batch_size or commit_rows(con),
            progress=progress,
        )
        if progress is not None:
            progress(stats)
        stats.seconds = time.perf_counter() - t0
        return stats
    batch_size = batch_size or DEFAULT_BATCH_SIZE
    stats = IngestStats()
    reasons: Counter[str] = Counter()
    with storing(QuarantineWriter(quarantine_path, privacy)) as writer:
        # Adapters yield blocks of at most ~32 MB; blocks are gathered up to ``batch_size`` rows
        # per transaction, so DuckDB can write whole row groups instead of going through its WAL.
        pending: list[pa.Table] = []
        pending_read = pending_bad = 0

        def flush() -> None:
            nonlocal pending_read, pending_bad
            rows = pa.concat_tables(pending) if pending else None
            stored, conflicting = store_batch(con, table, rows) if rows is not None else (0, 0)
            n_good = rows.num_rows if rows is not None else 0
            stats.rows_read += pending_read
            stats.rows_stored += stored
            stats.rows_duplicate += n_good - stored
            stats.rows_duplicate_conflicting += conflicting
            stats.rows_quarantined += pending_bad
            stats.reasons = dict(reasons)
            if stats.rows_quarantined and quarantine_path is not None:
                stats.quarantine_file = str(quarantine_path)
            pending.clear()
            pending_read = pending_bad = 0
            if progress is not None:
                progress(stats)

        for _, batch in read_batches(sources, fmt=fmt, batch_size=batch_size, con=con):
            bad, seen = _quarantine(con, ledger, writer, reasons, batch)
            stats.rows_duplicate += seen
            if batch.rows.num_rows:
                pending.append(prepare(batch.rows, privacy, text_features))
            pending_read += batch.rows.num_rows + batch.quarantined.num_rows
            pending_bad += bad.num_rows
            if pending_read - pending_bad >= batch_size:
                flush()
        if pending_read:
            flush()
    stats.seconds = time.perf_counter() - t0
    return stats


# Rows in one of DuckDB's row groups (its default ``ROW_GROUP_SIZE``): the unit it compresses
# and writes to disk, one row group per thread at a time.
ROW_GROUP_ROWS = 122_880


def commit_rows(con: duckdb.DuckDBPyConnection) -> int:
    """Rows per transaction when copying a staged table into a stored one: one whole row group
    per DuckDB thread (at least two).

    A transaction of whole row groups is compressed and written straight to the database file by
    all threads at once; a smaller one (below a row group) goes through the write-ahead log and
    is compressed again, alone, at every checkpoint. Measured on 1 M rows of the ingest
    benchmark (2 cores): 100,000 rows per commit 7.4 s, 245,760 rows per commit 2.7 s, the
    same database size."""
    threads = int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
    return ROW_GROUP_ROWS * max(2, threads)


@contextlib.contextmanager
def _unordered(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """``preserve_insertion_order = false`` for the block: DuckDB's threads then each write
    their own row groups (the stored order of rows carries no meaning; ids decide duplicates)."""
    before = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {bool(before[0][0])}")


def _store_parquet(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[Path],
    table: str,
    privacy: Privacy,
    quarantine_path: Path | None,
    ledger: str | None = None,
) -> IngestStats:
    """Parquet without hashing: validate and insert by SQL straight from the files, no Arrow.

    One INSERT (one transaction) for the whole run: a killed run stores nothing, a re-run stores
    each row once. Insertion order is not kept (it lets DuckDB stream with less memory).
    """
    from distillguard.ingest.view import drop_view, parquet_view

    view = temp_name("src")
    try:
        stats = parquet_view(con, files, view, privacy, quarantine_path, ledger)
        with _unordered(con), _transaction(con):
            row = con.execute(
                f"INSERT INTO {table} BY NAME SELECT * FROM {view} v WHERE NOT EXISTS "
                f"(SELECT 1 FROM {table} r WHERE r.request_id = v.request_id)"
            ).fetchall()
    except duckdb.Error as exc:
        raise InputError(f"storage failed: {str(exc).splitlines()[0]}") from exc
    except OSError as exc:
        raise InputError(f"storage failed: {exc.strerror or exc}", source=exc.filename) from exc
    finally:
        with contextlib.suppress(duckdb.Error):  # unusable after a storage failure: reported
            drop_view(con, view)
    stored = int(row[0][0]) if row else 0
    stats.rows_duplicate += stats.rows_stored - stored
    stats.rows_stored = stored
    return stats


def _commit_in_batches(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    table: str,
    batch_size: int,
    stats: IngestStats,
    progress: Callable[[IngestStats], None] | None,
) -> None:
    """Insert the (new, deduplicated) rows of ``stage`` into ``table``, ``batch_size`` rows per
    transaction, reporting progress after each commit."""
    lo, hi = con.execute(f"SELECT min(rowid), max(rowid) FROM {stage}").fetchall()[0]
    if lo is None:
        return
    with _unordered(con):
        for start in range(int(lo), int(hi) + 1, batch_size):
            with _transaction(con):
                row = con.execute(
                    f"INSERT INTO {table} BY NAME SELECT * FROM {stage} "
                    f"WHERE rowid >= {start} AND rowid < {start + batch_size}"
                ).fetchall()
            stats.rows_stored += int(row[0][0]) if row else 0
            if progress is not None:
                progress(stats)


def _is_plain_empty(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether TEMP ``table`` is empty with exactly the stored columns (so a staged table can
    take its place instead of being copied into it)."""
    names = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    if names != STORED_SCHEMA.names:
        return False
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]) == 0


@contextlib.contextmanager
def _dropping(con: duckdb.DuckDBPyConnection, stage: str) -> Iterator[None]:
    """Drop the TEMP table ``stage`` on the way out (quietly: after a storage failure the
    connection may be unusable, and that failure is the one reported)."""
    try:
        yield
    finally:
        with contextlib.suppress(duckdb.Error):
            con.execute(f"DROP TABLE IF EXISTS temp.{stage}")


def _store_jsonl(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[Path],
    table: str,
    privacy: Privacy,
    quarantine_path: Path | None,
    ledger: str | None,
    *,
    temp: bool,
    batch_size: int,
    progress: Callable[[IngestStats], None] | None,
) -> IngestStats:
    """Canonical JSON Lines without hashing: staged by one DuckDB scan
    (:func:`~distillguard.ingest.jsonscan.stage_jsonl`), deduplicated in SQL, then inserted in
    transactions of ``batch_size`` rows (a killed run keeps what it committed; a re-run stores
    each row once). A fresh TEMP table (``detect``) is replaced by the stage instead of copied
    into."""
    from distillguard.ingest.jsonscan import FILE, dedupe_stage, stage_jsonl

    stats = IngestStats()
    reasons: Counter[str] = Counter()
    writer = QuarantineWriter(quarantine_path, privacy)
    stage = temp_name("stage")

    def on_batch(_path: Path, batch: Batch) -> None:
        bad, seen = _quarantine(con, ledger, writer, reasons, batch)
        stats.rows_duplicate += seen
        stats.rows_read += batch.rows.num_rows + batch.quarantined.num_rows
        stats.rows_quarantined += bad.num_rows

    with storing(writer), _dropping(con, stage):
        scanned = stage_jsonl(
            con, files, stage, privacy, on_batch, lambda rows: prepare(rows, privacy, None)
        )
        stats.rows_read += scanned  # after the call: on_batch adds the adapter's rows
        replace = temp and _is_plain_empty(con, table)
        deleted, conflicting = dedupe_stage(con, stage, None if replace else table)
        stats.rows_duplicate += deleted
        stats.rows_duplicate_conflicting += conflicting
        con.execute(f"ALTER TABLE {stage} DROP COLUMN {FILE}")
        staged = int(con.execute(f"SELECT count(*) FROM {stage}").fetchall()[0][0])
        if replace:
            con.execute(f"DROP TABLE temp.{table}")
            con.execute(f"ALTER TABLE temp.{stage} RENAME TO {table}")
            stored = staged
        else:
            con.execute(f"DELETE FROM {stage} WHERE request_id IN (SELECT request_id FROM {table})")
            stored = int(con.execute(f"SELECT count(*) FROM {stage}").fetchall()[0][0])
            stats.rows_duplicate += staged - stored
            _commit_in_batches(con, stage, table, batch_size, stats, progress)
        stats.rows_stored = stored
    stats.reasons = dict(reasons)
    if stats.rows_quarantined and quarantine_path is not None:
        stats.quarantine_file = str(quarantine_path)
    return stats


@dataclass
class Workspace:
    """A directory holding ``distillguard.duckdb`` (table ``requests``) and ``quarantine/``."""

    root: Path
    db_name: str = "distillguard.duckdb"
    # DuckDB's buffer pool: a size or share (distillguard.resources; None: the machine's
    # default). DuckDB's own default (80% of RAM) would cache every block it ever read.
    memory_limit: str | None = None

    @property
    def db_path(self) -> Path:
        return Path(self.root) / self.db_name

    @property
    def quarantine_dir(self) -> Path:
        return Path(self.root) / "quarantine"

    def new_quarantine_path(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return self.quarantine_dir / f"{stamp}.jsonl"

    def connect(self, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """Open the workspace database (created on first write)."""
        try:
            if not read_only:
                Path(self.root).mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(self.db_path), read_only=read_only)
            con.execute(f"SET memory_limit = '{duckdb_memory_limit(self.memory_limit)}'")
            return con
        except (OSError, duckdb.Error) as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DistillguardError(f"cannot open workspace: {msg}", source=str(self.root)) from exc

    def ingest(self, sources: Sequence[str | Path], **kwargs: Any) -> IngestStats:
        """:func:`load_requests` into this workspace's ``requests`` table."""
        con = self.connect()
        try:
            return load_requests(con, sources, quarantine_path=self.new_quarantine_path(), **kwargs)
        finally:
            con.close()
