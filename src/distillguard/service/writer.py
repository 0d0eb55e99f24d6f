"""The one writer: ingest request bodies into the workspace durably, exactly once per request_id.

All writes of the service (exchanges, quarantine, the audit log) go through one DuckDB connection
guarded by one lock, so transactions never conflict. A body is parsed and validated by the same
adapters as ``distillguard ingest`` (vectorised SQL over the whole body), identifiers are
keyed-hashed as in batch, and the new rows are committed in ONE transaction as an Arrow table:
when :meth:`IngestWriter.ingest` returns, DuckDB has committed (and synced its write-ahead log),
so the rows survive a kill -9. Rows whose request_id is already stored (a client retry) are
counted as duplicates and not stored again.
"""

from __future__ import annotations

import contextlib
import gzip
import queue
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.errors import InputError
from distillguard.ingest import Privacy, Workspace
from distillguard.ingest.adapters import ADAPTERS
from distillguard.ingest.base import temp_name
from distillguard.ingest.jsonlines import JsonRecordsAdapter
from distillguard.ingest.store import QuarantineWriter, ensure_table, prepare
from distillguard.schema import STORED_SCHEMA
from distillguard.service.fastpath import clean_rows
from distillguard.service.seen import SeenIds

TABLE = "requests"
_ORD = "_dg_body_order"


@dataclass
class IngestResult:
    """What one body did; ``rows`` are the newly stored rows (stored form: hashed, prefixed)."""

    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    rows: pa.Table = field(default_factory=STORED_SCHEMA.empty_table)
    seconds: float = 0.0
    # Seconds of the commit when it folded the write-ahead log into the database (a checkpoint),
    # else None. Every body waiting for the writer waits that long too.
    checkpoint_seconds: float | None = None

    def answer(self) -> dict[str, int]:
        """The API's answer (contract §4)."""
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
        }


def decode_body(body: bytes, content_encoding: str | None) -> bytes:
    """The body, gunzipped when the client says ``Content-Encoding: gzip`` (OTLP exporters do)."""
    enc = (content_encoding or "").strip().lower()
    if enc in ("", "identity"):
        return body
    if enc == "gzip":
        try:
            return gzip.decompress(body)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"body is not valid gzip: {exc}") from exc
    raise InputError(f"unsupported Content-Encoding {content_encoding!r} (use gzip or none)")


class IngestWriter:
    """Owns the workspace's writer connection. Thread-safe: every write takes :attr:`lock`."""

    def __init__(
        self, workspace: Workspace, privacy: Privacy, checkpoint_threshold: str = "256MB"
    ) -> None:
        self.workspace = workspace
        self.privacy = privacy
        self.lock = threading.Lock()
        self.con = workspace.connect()
        # DuckDB folds its write-ahead log into the database file when the log passes this size.
        # Its 16 MB default re-compresses a half-filled row group at each of many small
        # checkpoints; a larger log lets each checkpoint write whole row groups (measured: the
        # commit cost of a stream of 5 000-row bodies drops ~3x). Durability is the same: every
        # commit syncs the log.
        self.con.execute(f"SET checkpoint_threshold = '{checkpoint_threshold}'")
        ensure_table(self.con, TABLE)
        self._wal = Path(f"{workspace.db_path}.wal")
        # The stored ids' hashes, so a body's idempotency check does not scan the workspace.
        stored = self.con.execute(f"SELECT hash(request_id) AS h FROM {TABLE}").fetchnumpy()
        self.seen = SeenIds(np.asarray(stored["h"], dtype=np.uint64))
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        # Bad rows get the same protection as stored ones: nothing raw with a hash key/drop-text.
        self.quarantine = QuarantineWriter(
            workspace.quarantine_dir / f"service-{stamp}.jsonl", privacy
        )
        # Parse connections apart from the writer's (parsing a body needs no lock), pooled:
        # opening one costs more than parsing a small body.
        self._parsers: queue.SimpleQueue[duckdb.DuckDBPyConnection] = queue.SimpleQueue()
        self._all_parsers: list[duckdb.DuckDBPyConnection] = []

    @contextlib.contextmanager
    def _parser(self) -> Iterator[duckdb.DuckDBPyConnection]:
        try:
            con = self._parsers.get_nowait()
        except queue.Empty:
            con = duckdb.connect()
            con.execute("SET threads = 1")
            with self.lock:
                self._all_parsers.append(con)
        try:
            yield con
        finally:
            self._parsers.put(con)

    def ingest(self, body: bytes, fmt: str, source: str) -> IngestResult:
        """Parse, validate, hash and store one body; return once the rows are committed."""
        t0 = time.perf_counter()
        goods: list[pa.Table] = []
        bads: list[pa.Table] = []
        with self._parser() as parser:
            fast = clean_rows(body, parser) if fmt == "jsonl" else None
            if fast is not None:
                goods.append(fast)
            else:
                adapter = ADAPTERS[fmt]()
                assert isinstance(adapter, JsonRecordsAdapter)
                for batch in adapter.read_bytes(body, parser, source):
                    if batch.rows.num_rows:
                        goods.append(batch.rows)
                    if batch.quarantined.num_rows:
                        bads.append(batch.quarantined)
        result = IngestResult()
        if bads:
            bad = pa.concat_tables(bads)
            result.quarantined = bad.num_rows
            result.reasons = dict(Counter(bad["reason"].to_pylist()))
        rows = prepare(pa.concat_tables(goods), self.privacy, None) if goods else None
        with self.lock:
            if bads:
                self.quarantine.write(pa.concat_tables(bads))  # fsynced before we answer
            if rows is not None:
                result.rows, result.checkpoint_seconds = self._store_new(rows)
        result.accepted = result.rows.num_rows
        result.duplicates = (rows.num_rows if rows is not None else 0) - result.accepted
        result.seconds = time.perf_counter() - t0
        return result

    def _wal_bytes(self) -> int:
        try:
            return self._wal.stat().st_size
        except OSError:
            return 0

    def _store_new(self, rows: pa.Table) -> tuple[pa.Table, float | None]:
        """Insert the rows whose request_id is new (first in the body wins) in one transaction;
        return them, and the commit's seconds if it checkpointed. Caller holds the lock.

        Only ids whose hash is in :attr:`seen` can be stored already; those few candidates are
        confirmed with an exact query, so the cost of a body does not grow with the workspace.
        """
        name = temp_name("body")
        order = pa.array(np.arange(rows.num_rows, dtype=np.int64))
        self.con.register(name, rows.append_column(_ORD, order))
        try:
            hashes = np.asarray(
                self.con.execute(
                    f"SELECT hash(request_id) AS h FROM {name} ORDER BY {_ORD}"
                ).fetchnumpy()["h"],
                dtype=np.uint64,
            )
            ids = pl.from_arrow(rows["request_id"])
            assert isinstance(ids, pl.Series)
            keep = np.array(ids.is_first_distinct().to_numpy(), dtype=bool)  # writable copy
            candidate = keep & self.seen.contains(hashes)
            self.con.execute("BEGIN TRANSACTION")
            try:
                if candidate.any():
                    cand = temp_name("cand")
                    self.con.register(
                        cand, pa.table({"request_id": rows["request_id"].filter(candidate)})
                    )
                    try:
                        stored = self.con.sql(
                            f"SELECT request_id FROM {TABLE} WHERE request_id IN "
                            f"(SELECT request_id FROM {cand})"
                        ).to_arrow_table()["request_id"]
                    finally:
                        self.con.unregister(cand)
                    dup = pc.fill_null(pc.is_in(rows["request_id"], value_set=stored), False)
                    keep &= ~np.asarray(dup, dtype=bool)
                new = rows.filter(pa.array(keep))
                if new.num_rows:
                    ins = temp_name("new")
                    self.con.register(ins, new)
                    try:
                        self.con.execute(f"INSERT INTO {TABLE} BY NAME SELECT * FROM {ins}")
                    finally:
                        self.con.unregister(ins)
                wal = self._wal_bytes()
                t = time.perf_counter()
                self.con.execute("COMMIT")
                commit_s = time.perf_counter() - t
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
        finally:
            self.con.unregister(name)
        self.seen.add(hashes[keep])  # only once durable
        # A commit that stored rows grows the log, unless it checkpointed (DuckDB folds the log
        # into the database when it passes ``checkpoint_threshold``), with the lock held.
        checkpointed = new.num_rows > 0 and self._wal_bytes() <= wal
        return new, (commit_s if checkpointed else None)

    def execute(self, sql: str, params: list[object] | None = None) -> None:
        """Run one write statement (the audit log) under the lock, committed on return."""
        with self.lock:
            self.con.execute(sql, params or [])

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A separate connection to the same database, for readers (detection)."""
        return self.con.cursor()

    def close(self) -> None:
        with self.lock:
            self.quarantine.close()
            for con in self._all_parsers:
                con.close()
            self._all_parsers.clear()
            self.con.close()

    @property
    def db_path(self) -> Path:
        return self.workspace.db_path
