"""Engine: where the analytics run (DuckDB by default, Apache Spark via Ibis)."""

__all__: list[str] = []
