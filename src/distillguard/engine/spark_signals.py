"""Text signals on Spark executors: the request sample is scored where it lives.

Only per-request feature columns (a few numbers and short strings per row) and MinHash digests
of the distinct eligible prompt skeletons come back to the driver; prompt text never does. The
steps are those of :mod:`distillguard.signals.shards`:

1. ``mapInArrow`` over the sample: every row-local signal plus each row's skeleton and shingles
   (:func:`~distillguard.signals.shards.map_row_signals`); persisted, as two jobs read it;
2. Spark group-bys: one representative per distinct skeleton (``min_by`` row position), then
   the document frequency of each shingle bucket over the representatives; the buckets that
   reach ``MIN_DF`` come to the driver (integers) and are shipped back with the next step;
3. ``mapInArrow`` over the representatives: MinHash digests of the eligible ones
   (:func:`~distillguard.signals.shards.map_representative_digests`);
4. driver: LSH components over the digests and the template id of every row
   (:func:`~distillguard.signals.shards.template_ids`), identical to the in-process result.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from distillguard.signals.registry import feature_schema
from distillguard.signals.shards import (
    MIN_DF,
    POSITION,
    assemble,
    map_representative_digests,
    map_row_signals,
    template_ids,
)
from distillguard.signals.skeleton import DF_BITS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType


def _row_schema(df: DataFrame, keep: Sequence[str]) -> StructType:
    from pyspark.sql import types as T

    spark_type = {
        pa.string(): T.StringType(),
        pa.float32(): T.FloatType(),
        pa.int32(): T.IntegerType(),
        pa.uint64(): T.LongType(),
        pa.int64(): T.LongType(),
    }
    fields = [
        T.StructField(POSITION, T.LongType()),
        T.StructField("request_id", T.StringType()),
        *[df.schema[name] for name in keep],
        *[
            T.StructField(f.name, spark_type[f.type])
            for f in feature_schema()
            if f.name not in ("request_id", "template_id")
        ],
        T.StructField("shingles", T.ArrayType(T.LongType())),
    ]
    return T.StructType(fields)


def spark_request_signals(sample: ir.Table, keep: Sequence[str] = ()) -> pa.Table:
    """:meth:`distillguard.engine.Engine.request_signals` for a table bound to Ibis's pyspark
    backend (see the module docstring for what runs where)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    backend = sample.get_backend()
    df = backend.raw_sql(backend.compile(sample))
    df = df.withColumn(POSITION, F.monotonically_increasing_id())
    keep = tuple(keep)
    rows = df.mapInArrow(partial(map_row_signals, keep=keep), _row_schema(df, keep))
    rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
    reps = None
    try:
        features = rows.drop("shingles").toArrow()
        reps = (
            rows.where(F.col("skeleton").isNotNull())
            .groupBy("skeleton")
            .agg(F.min_by("shingles", POSITION).alias("shingles"))
            # One task per core: the digests are cheap, a Python task per shuffle partition not.
            .coalesce(max(1, df.sparkSession.sparkContext.defaultParallelism))
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        frequent = (
            reps.select(F.explode("shingles").alias("s"))
            .select(F.shiftrightunsigned("s", 56 - DF_BITS).alias("bucket"))
            .groupBy("bucket")
            .count()
            .where(F.col("count") >= MIN_DF)
            .select("bucket")
            .toArrow()
        )
        buckets = frequent.column("bucket").to_numpy().astype(np.int64)
        digests = reps.mapInArrow(
            partial(map_representative_digests, buckets=buckets),
            "skeleton long, digest array<long>",
        ).toArrow()
    finally:
        rows.unpersist()
        if reps is not None:
            reps.unpersist()
    features = features.sort_by(POSITION)
    out = assemble(features, template_ids(features.column("skeleton"), digests), keep)
    types = sample.schema().to_pyarrow()
    return out.cast(
        pa.schema(
            [
                pa.field(f.name, types.field(f.name).type) if f.name in keep else f
                for f in out.schema
            ]
        )
    )
