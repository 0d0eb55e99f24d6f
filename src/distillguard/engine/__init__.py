"""Engine: where the analytics run (DuckDB by default, Apache Spark via Ibis).

An :class:`Engine` opens request logs as one Ibis table; :func:`conform` gives it the stored schema
and :func:`distillguard.pipeline.detect.detect` runs unchanged on either backend. Engines are
registered by name in :data:`ENGINES` (the ``--engine`` choices).
"""

from distillguard.engine.base import DuckDBSettings, Engine, EngineSettings, SparkSettings
from distillguard.engine.duck import DuckDBEngine
from distillguard.engine.spark import SparkEngine, java_available, spark_session
from distillguard.engine.tables import conform, ip_prefix_expr

ENGINES: dict[str, type[Engine]] = {"duckdb": DuckDBEngine, "spark": SparkEngine}


def make_engine(name: str, settings: EngineSettings) -> Engine:
    """The engine registered as ``name``, configured with ``settings``."""
    from distillguard.errors import ConfigError

    if name not in ENGINES:
        raise ConfigError(f"unknown engine {name!r}; known: {', '.join(ENGINES)}")
    return ENGINES[name](settings)


__all__ = [
    "ENGINES",
    "DuckDBEngine",
    "DuckDBSettings",
    "Engine",
    "EngineSettings",
    "SparkEngine",
    "SparkSettings",
    "conform",
    "ip_prefix_expr",
    "java_available",
    "make_engine",
    "spark_session",
]
