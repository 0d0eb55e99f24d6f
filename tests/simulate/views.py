"""SQL views over one simulator output directory, shared by the simulator's tests."""

from __future__ import annotations

from pathlib import Path

import duckdb


def log_views(out: Path) -> duckdb.DuckDBPyConnection:
    """A connection with ``r`` (requests), ``l`` (account labels) and ``q`` (request labels)."""
    con = duckdb.connect()
    con.execute(f"CREATE VIEW r AS SELECT * FROM read_parquet('{out}/requests/*.parquet')")
    con.execute(f"CREATE VIEW l AS SELECT * FROM read_csv('{out}/labels.csv', all_varchar=true)")
    con.execute(f"CREATE VIEW q AS SELECT * FROM read_parquet('{out}/request_labels.parquet')")
    return con
