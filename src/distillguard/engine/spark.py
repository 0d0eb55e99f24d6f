"""Apache Spark: Parquet logs read and validated by Spark, analytics run as Spark SQL via Ibis.

The request table never leaves the cluster: account features, linkage group-bys and campaign
details are Ibis expressions compiled to Spark SQL; only per-account results and the bounded
per-account request sample come back to the driver (see ``docs/spark.md``).

Validation is the ingest path's (:mod:`distillguard.ingest.validation` renders the same rules in
Spark SQL): a row missing a required field, of a wrong type, too large or with an implausible
value is dropped, counted by reason and written to the quarantine file; duplicate
``request_id`` values are stored once. ``ip_prefix`` is derived by the same function ingest uses.
The session runs in UTC with ANSI mode off, so casts and divisions behave as in DuckDB.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.engine.base import Engine
from distillguard.errors import ConfigError, InputError
from distillguard.ingest.base import quarantine_table
from distillguard.ingest.privacy import ip_prefix
from distillguard.ingest.store import QuarantineWriter
from distillguard.ingest.validation import (
    SPARK,
    case_sql,
    field_rules,
    reason_cases,
    run_time,
    source_kind_of_spark,
)
from distillguard.resources import engine_memory_bytes
from distillguard.schema import REQUEST_SCHEMA

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# Applied to every session this module creates; ``SparkSettings.conf`` overrides them.
DEFAULT_CONF: dict[str, str] = {
    "spark.app.name": "distillguard",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.adaptive.enabled": "true",
}
# Only for ``local[...]`` masters: a single JVM on this machine.
LOCAL_CONF: dict[str, str] = {
    "spark.driver.memory": "4g",
    "spark.sql.shuffle.partitions": "16",
    "spark.driver.bindAddress": "127.0.0.1",
}
PARQUET_EXTENSIONS = (".parquet", ".parq", ".pq")
_VIEW = "distillguard_requests"


def java_available() -> bool:
    """Whether a Java runtime is on ``PATH`` or under ``JAVA_HOME`` (Spark needs one)."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None


def spark_session(master: str = "local[2]", conf: dict[str, str] | None = None) -> SparkSession:
    """The active Spark session, or a new one for ``master`` with :data:`DEFAULT_CONF`.

    ``getOrCreate`` semantics: a session already running in this process is reused (its JVM
    options cannot change), with the session-level options re-applied.
    """
    if not java_available():
        raise ConfigError(
            "the spark engine needs a Java runtime (17+): install one or set JAVA_HOME"
        )
    from pyspark.sql import SparkSession

    # Under spark-submit the master and resources come from its command line, not from us.
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ
    local = master.startswith("local") and not submitted
    if local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers: this interpreter
    options = dict(DEFAULT_CONF)
    if local:
        options.update(LOCAL_CONF)
    options.update(conf or {})
    builder = SparkSession.builder if submitted else SparkSession.builder.master(master)
    for key, value in options.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    for key in ("spark.sql.session.timeZone", "spark.sql.ansi.enabled"):
        session.conf.set(key, options[key])
    return session


def _typed_columns(df: DataFrame, now: datetime) -> tuple[DataFrame, list[str]]:
    """``df`` with each schema field's typed value (``_t_FIELD``) and the quarantine reason
    (``_reason``, null for a good row): the rules of :mod:`distillguard.ingest.validation`
    rendered in Spark SQL, the very expressions DuckDB runs in its own dialect."""
    from pyspark.sql import functions as F

    present = {f.name: f for f in df.schema.fields}
    sources = {n: source_kind_of_spark(f.dataType.typeName()) for n, f in present.items()}

    def raw(name: str) -> str:
        return f"`{name}`" if name in present else "NULL"

    typed, conditions = reason_cases(field_rules(), raw, lambda n: f"`_t_{n}`", sources, SPARK, now)
    out = df.select("*", *[F.expr(typed[f.name]).alias(f"_t_{f.name}") for f in REQUEST_SCHEMA])
    fields = F.to_json(
        F.struct(*[F.col(f"`{n}`").alias(n) for n in REQUEST_SCHEMA.names if n in present])
    )
    out = out.withColumn("_reason", F.expr(case_sql(conditions)))
    out = out.withColumn("_fields", F.when(F.col("_reason").isNotNull(), fields))
    return out, [f"_t_{n}" for n in REQUEST_SCHEMA.names]


class SparkEngine(Engine):
    """Reads Parquet files or directories with Spark (``settings.spark.master``, default
    ``local[2]``) and binds the validated requests to Ibis's pyspark backend."""

    name = "spark"
    _session: SparkSession | None = None
    _frame: DataFrame | None = None
    _owns_session = False

    def _paths(self, sources: Sequence[Path]) -> list[str]:
        s = self.settings
        if s.fmt not in (None, "parquet"):
            raise ConfigError(f"the spark engine reads Parquet only (got --format {s.fmt})")
        if s.privacy is not None and s.privacy.hash_key is not None:
            raise ConfigError(
                "the spark engine does not hash identifiers: hash them upstream, "
                "or use --engine duckdb with --hash-key"
            )
        paths: list[str] = []
        for src in sources:
            text = str(src)
            if "://" in text:  # object storage (s3a://, gs://, abfss://): Spark resolves it
                paths.append(text)
                continue
            p = Path(src)
            if not p.exists():
                raise InputError("no such file or directory", source=text)
            if p.is_file() and not p.name.lower().endswith(PARQUET_EXTENSIONS):
                raise ConfigError(
                    "the spark engine reads Parquet only; convert with "
                    "`distillguard ingest` or use --engine duckdb",
                    source=text,
                )
            paths.append(str(p.resolve()))
        return paths

    def open(self, sources: Sequence[Path]) -> ir.Table:
        from pyspark.errors import AnalysisException
        from pyspark.sql import functions as F

        started = time.perf_counter()
        paths = self._paths(sources)
        from pyspark.sql import SparkSession

        self._owns_session = SparkSession.getActiveSession() is None
        spark = self.settings.spark
        conf = dict(spark.conf)
        if spark.master.startswith("local"):
            # One JVM on this machine: its heap is the engine's part of the run's memory setting
            # (the Python driver and its workers take the rest).
            mib = engine_memory_bytes(self.settings.memory_limit) >> 20
            conf.setdefault("spark.driver.memory", f"{max(mib, 1024)}m")
        session = self._session = spark_session(spark.master, conf)
        try:
            df = session.read.option("recursiveFileLookup", "true").parquet(*paths)
        except AnalysisException as exc:
            msg = str(exc).splitlines()[0]
            raise InputError(
                f"Spark cannot read the input: {msg}", source=", ".join(paths)
            ) from exc
        present = set(df.columns)
        checked, typed = _typed_columns(df, run_time())
        counts = {
            r["_reason"]: int(r["count"]) for r in checked.groupBy("_reason").count().collect()
        }
        stats = self.stats
        stats.rows_read = sum(counts.values())
        stats.reasons = dict(sorted((k, v) for k, v in counts.items() if k is not None))
        stats.rows_quarantined = sum(stats.reasons.values())
        if stats.rows_quarantined:
            self._quarantine(checked, df.columns)
        good = checked.filter(F.col("_reason").isNull()).select(
            *[F.col(t).alias(t.removeprefix("_t_")) for t in typed]
        )
        good = good.dropDuplicates(["request_id"])
        if "ip" in present:
            good = good.withColumn("ip_prefix", _ip_prefix_udf()(F.col("ip")))
        from pyspark import StorageLevel

        self._frame = good.persist(StorageLevel.MEMORY_AND_DISK)
        stats.rows_stored = self._frame.count()
        stats.rows_duplicate = stats.rows_read - stats.rows_quarantined - stats.rows_stored
        stats.seconds = time.perf_counter() - started
        self._frame.createOrReplaceTempView(_VIEW)
        backend = ibis.pyspark.connect(session)
        backend.compiler = aligned_compiler()
        return backend.table(_VIEW)

    def request_signals(self, sample: ir.Table, keep: Sequence[str] = ()) -> pa.Table:
        """Text signals scored on the executors (``mapInArrow``); only the feature columns and
        small MinHash digests come to the driver (:mod:`distillguard.engine.spark_signals`)."""
        from distillguard.engine.spark_signals import spark_request_signals

        return spark_request_signals(sample, keep)

    def _quarantine(self, checked: DataFrame, columns: list[str]) -> None:
        from pyspark.sql import functions as F

        path = self.settings.quarantine_path
        if path is None:
            return
        self.stats.quarantine_file = str(path)
        bad = checked.filter(F.col("_reason").isNotNull()).select(
            F.input_file_name().alias("source"),
            F.col("_reason").alias("reason"),
            F.to_json(F.struct(*[F.col(f"`{c}`") for c in columns])).alias("raw"),
            F.col("_fields").alias("fields"),
        )
        rows = bad.toArrow()
        writer = QuarantineWriter(path, self.settings.privacy)
        try:
            for source in sorted(set(rows["source"].to_pylist())):
                part = rows.filter(pc.equal(rows["source"], source))
                loc = pa.nulls(part.num_rows, pa.int64())
                writer.write(
                    quarantine_table(
                        source, "row", loc, part["reason"], part["raw"], part["fields"]
                    )
                )
        finally:
            writer.close()

    def close(self) -> None:
        if self._frame is not None:
            self._frame.unpersist()
            self._frame = None
        if self._session is not None:
            self._session.catalog.dropTempView(_VIEW)
            if self._owns_session:
                self._session.stop()
            self._session = None


def aligned_compiler() -> Any:
    """Ibis's Spark SQL compiler, with the two operations whose Spark spelling differs in result
    from DuckDB's aligned to DuckDB (where the detector's thresholds were set):

    * ``hash`` is 64-bit (``xxhash64``) rather than Spark's 32-bit ``hash``, so distinct-count
      features over hashed prompts do not collide at scale;
    * ``epoch_seconds`` keeps microseconds (``unix_micros / 1e6``, like DuckDB's ``epoch``) rather
      than truncating to whole seconds (``unix_timestamp``), so inter-request gaps agree.
    """
    import ibis.expr.datatypes as dt
    import ibis.expr.operations as ops
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    class AlignedCompiler(PySparkCompiler):  # type: ignore[misc]
        # Simple ops become visit_* methods when the class is created, so override them here.
        SIMPLE_OPS: ClassVar = {**PySparkCompiler.SIMPLE_OPS, ops.Hash: "xxhash64"}

        def visit_ExtractEpochSeconds(self, op: Any, *, arg: Any) -> Any:
            return self.f.unix_micros(self.cast(arg, dt.timestamp)) / 1e6

    return AlignedCompiler()


def _ip_prefix_series(ip: pd.Series) -> pd.Series:
    return ip_prefix(pa.array(ip, pa.string())).to_pandas()


def _ip_prefix_udf() -> Any:
    """``ip_prefix`` exactly as ingest derives it (a vectorised pandas UDF over Arrow batches)."""
    from pyspark.sql.pandas.functions import pandas_udf

    return pandas_udf(_ip_prefix_series, "string")  # type: ignore[call-overload]
