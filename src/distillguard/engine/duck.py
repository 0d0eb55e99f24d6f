"""The embedded default: DuckDB in-process.

Parquet logs are read in place through a validated, deduplicated view (nothing is copied); other
formats, or keyed hashing, are loaded by the ingest adapters into a temporary table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir

from distillguard.engine.base import Engine
from distillguard.ingest import open_requests
from distillguard.resources import MIN_BYTES, duckdb_memory_limit


class DuckDBEngine(Engine):
    """Opens any supported log format as a ``requests`` view or table in a scratch database."""

    name = "duckdb"
    _con: duckdb.DuckDBPyConnection | None = None

    def open(self, sources: Sequence[Path]) -> ir.Table:
        s = self.settings
        s.workdir.mkdir(parents=True, exist_ok=True)
        self._con = con = duckdb.connect(str(s.workdir / "requests.duckdb"))
        limit = s.duckdb.memory_limit or s.memory_limit
        con.execute(f"SET memory_limit = '{duckdb_memory_limit(limit)}'")
        con.execute(f"SET temp_directory = '{s.workdir / 'spill'}'")
        self.stats = open_requests(
            con,
            [Path(p) for p in sources],
            fmt=s.fmt,
            privacy=s.privacy,
            quarantine_path=s.quarantine_path,
            progress=s.on_rows,
        )
        return ibis.duckdb.from_connection(con).table("requests")

    @contextmanager
    def yield_memory(self) -> Iterator[None]:
        """Lower DuckDB's memory limit to the minimum for the block: it writes the cached
        blocks of the request table to its spill directory (about a second per GB) and frees
        them, then reads them back as later queries need them. Same results; at 80 K accounts
        this is the clustering stage's room."""
        con = self._con
        if con is None:
            yield
            return
        before = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        try:
            con.execute(f"SET memory_limit = '{MIN_BYTES >> 20}MiB'")
        except duckdb.Error:  # could not evict enough: keep the pool as it is
            yield
            return
        try:
            yield
        finally:
            con.execute(f"SET memory_limit = '{before}'")

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
