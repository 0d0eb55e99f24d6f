"""Canonical Parquet: one file (or, via the resolver, every ``*.parquet`` under a directory).

Row groups are streamed in batches with :meth:`pyarrow.parquet.ParquetFile.iter_batches`; each batch
is validated and cast by one DuckDB query, so no Python touches individual rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from distillguard.errors import InputError
from distillguard.ingest.base import Adapter, Batch, split_valid, temp_name, validate_sql
from distillguard.ingest.sqlmacros import install_macros
from distillguard.ingest.validation import source_kind_of_arrow
from distillguard.schema import REQUEST_SCHEMA

PARQUET_MAGIC = b"PAR1"


class ParquetAdapter(Adapter):
    """Parquet files whose columns carry the schema's field names (extra columns ignored)."""

    name = "parquet"
    extensions = (".parquet", ".parq", ".pq")

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        return head.startswith(PARQUET_MAGIC)

    def read(self, path: Path, con: duckdb.DuckDBPyConnection) -> Iterator[Batch]:
        install_macros(con)
        try:
            pf = pq.ParquetFile(path)
            arrow_schema = pf.schema_arrow
            present = set(arrow_schema.names)
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"not a readable Parquet file: {exc}", source=str(path)) from exc
        exprs = {f: f'"{f}"' for f in REQUEST_SCHEMA.names if f in present}
        # Typed columns: a column of the wrong class (int64 prompt, list account_id) is bad_type.
        sources = {f: source_kind_of_arrow(arrow_schema.field(f).type) for f in exprs}
        first = 1
        batches = pf.iter_batches(batch_size=self.batch_size, columns=sorted(present))
        while True:
            try:
                rb = next(batches)
            except StopIteration:
                return
            except (OSError, pa.ArrowException) as exc:
                raise InputError(
                    f"corrupt Parquet data: {exc}", source=str(path), location=f"row {first}"
                ) from exc
            n = rb.num_rows
            tbl = pa.Table.from_batches([rb]).append_column(
                "_loc", pa.array(np.arange(first, first + n, dtype=np.int64))
            )
            first += n
            name = temp_name("pq")
            con.register(name, tbl)
            try:
                good, bad = split_valid(
                    con,
                    validate_sql(name, exprs, sources=sources),
                    source=str(path),
                    unit="row",
                    raw_sql=f"SELECT _loc, to_json(t)::VARCHAR AS raw FROM {name} t",
                )
            except duckdb.Error as exc:
                raise InputError(
                    f"cannot convert Parquet batch: {exc}".splitlines()[0],
                    source=str(path),
                    location=f"row {first - n}",
                ) from exc
            finally:
                con.unregister(name)
            yield Batch(good, bad, n)
