"""Apache Spark: Parquet logs read and validated by Spark, analytics run as Spark SQL via Ibis.

The request table never leaves the cluster: account features, linkage group-bys and campaign
details are Ibis expressions compiled to Spark SQL; only per-account results and the bounded
per-account request sample come back to the driver (see ``docs/spark.md``).

Validation mirrors the ingest path (:func:`distillguard.ingest.base.validate_sql`): a row missing a
required field, with an unparseable timestamp, a wrong type, an unknown ``status`` or a non-finite
``temperature`` is dropped, counted by reason and written to the quarantine file; duplicate
``request_id`` values are stored once. ``ip_prefix`` is derived by the same function ingest uses.
The session runs in UTC with ANSI mode off, so casts and divisions behave as in DuckDB.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.engine.base import Engine
from distillguard.errors import ConfigError, InputError
from distillguard.ingest.base import quarantine_table, sql_type
from distillguard.ingest.privacy import ip_prefix
from distillguard.ingest.store import QuarantineWriter
from distillguard.schema import REQUEST_SCHEMA, STATUS_VALUES

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

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
_BLANK_MAX = 64  # as in ingest: blank-checking (trim) only short values


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


SPARK_TYPES = ("timestamp", "bigint", "double", "string")


def _typed_columns(present: set[str]) -> tuple[dict[str, Column], Column]:
    """Each schema field cast to its type, and the quarantine reason (null for a good row).

    Reasons and their order follow :func:`distillguard.ingest.base.validate_sql`.
    """
    from pyspark.sql import functions as F

    typed: dict[str, Column] = {}
    checks: list[tuple[Column, str]] = []
    late: list[tuple[Column, str]] = []
    for f in REQUEST_SCHEMA:
        raw = F.col(f"`{f.name}`") if f.name in present else F.lit(None)
        kind = sql_type(f.type, SPARK_TYPES)
        col = raw.cast(kind)
        if kind == "string" and not f.nullable:
            blank = (F.length(col) <= _BLANK_MAX) & (F.trim(col) == "")
            col = F.when(blank, F.lit(None)).otherwise(col)
        if f.name == "status":
            col = F.lower(F.trim(col))
        typed[f.name] = col
        if not f.nullable:
            checks.append((col.isNull() & raw.isNull(), f"missing:{f.name}"))
        if kind != "string" or not f.nullable:
            label = {"timestamp": "bad_timestamp", "string": "missing"}.get(kind, "bad_type")
            late.append((col.isNull() & raw.isNotNull(), f"{label}:{f.name}"))
    checks.extend(late)
    checks.append(
        (typed["status"].isNotNull() & ~typed["status"].isin(*STATUS_VALUES), "bad_value:status")
    )
    temp = typed["temperature"]
    bad_temp = F.isnan(temp) | temp.isin(float("inf"), float("-inf"))
    checks.append((F.coalesce(bad_temp, F.lit(False)), "bad_value:temperature"))
    reason: Any = F
    for cond, label in checks:
        reason = reason.when(cond, F.lit(label))
    return typed, reason


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
        session = self._session = spark_session(
            self.settings.spark.master, self.settings.spark.conf
        )
        try:
            df = session.read.option("recursiveFileLookup", "true").parquet(*paths)
        except AnalysisException as exc:
            msg = str(exc).splitlines()[0]
            raise InputError(
                f"Spark cannot read the input: {msg}", source=", ".join(paths)
            ) from exc
        present = set(df.columns)
        typed, reason = _typed_columns(present)
        checked = df.withColumn("_reason", reason)
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
            *[c.alias(name) for name, c in typed.items()]
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
        )
        rows = bad.toArrow()
        writer = QuarantineWriter(path)
        try:
            for source in sorted(set(rows["source"].to_pylist())):
                part = rows.filter(pc.equal(rows["source"], source))
                loc = pa.nulls(part.num_rows, pa.int64())
                writer.write(quarantine_table(source, "row", loc, part["reason"], part["raw"]))
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
