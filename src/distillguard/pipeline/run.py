"""End-to-end runs: read logs into the embedded engine, detect, write the contract's files."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from distillguard.campaigns.model import Detections
from distillguard.engine import DuckDBSettings, EngineSettings, SparkSettings, make_engine
from distillguard.engine.tables import conform
from distillguard.errors import InputError
from distillguard.ingest import Privacy
from distillguard.pipeline.detect import DetectConfig, Progress, detect


def _stderr(message: str) -> None:
    print(f"[distillguard] {message}", file=sys.stderr, flush=True)


@dataclass
class RunOptions:
    """How one ``detect`` run reads and writes (everything but the detection tuning, which is
    :class:`DetectConfig`): the time cut-off, progress, input format, privacy, whether to render
    the report, and the engine with its own settings section."""

    until: datetime | None = None
    quiet: bool = True
    fmt: str | None = None
    privacy: Privacy | None = None
    report: bool = True
    engine: str = "duckdb"
    duckdb: DuckDBSettings = field(default_factory=DuckDBSettings)
    spark: SparkSettings = field(default_factory=SparkSettings)


# The keywords run_detect took before RunOptions, still accepted (mapped onto the options).
_LEGACY = {"until", "quiet", "fmt", "privacy", "report", "engine"}


def _options(options: RunOptions | None, legacy: dict[str, Any]) -> RunOptions:
    opts = options or RunOptions()
    unknown = set(legacy) - _LEGACY - {"memory_limit", "spark_master", "spark_conf"}
    if unknown:
        raise TypeError(f"run_detect() got unexpected keyword(s): {', '.join(sorted(unknown))}")
    opts = replace(opts, **{k: v for k, v in legacy.items() if k in _LEGACY})
    if "memory_limit" in legacy:
        opts = replace(opts, duckdb=DuckDBSettings(memory_limit=legacy["memory_limit"]))
    if "spark_master" in legacy or "spark_conf" in legacy:
        spark = SparkSettings(
            master=legacy.get("spark_master", opts.spark.master),
            conf=dict(legacy.get("spark_conf") or opts.spark.conf),
        )
        opts = replace(opts, spark=spark)
    return opts


def run_detect(
    inputs: Sequence[Path],
    out_dir: Path,
    options: RunOptions | None = None,
    *,
    config: DetectConfig | None = None,
    **legacy: Any,
) -> Detections:
    """Detect campaigns in request logs and write ``accounts.csv``, ``campaigns.json``,
    ``summary.json`` and ``report.html`` into ``out_dir``.

    ``options.engine`` names an entry of :data:`distillguard.engine.ENGINES`: ``duckdb`` loads
    the logs into a scratch database inside ``out_dir`` (removed afterwards); ``spark`` reads
    Parquet with Spark (``options.spark``). Either way rows that break the schema are quarantined
    to ``out_dir/quarantine.jsonl`` and counted. The keywords of earlier versions (``until=``,
    ``report=``, ``engine=``, ``memory_limit=``, ``spark_master=``...) are still accepted.
    """
    opts = _options(options, legacy)
    until, quiet, fmt, privacy, report, engine = (
        opts.until,
        opts.quiet,
        opts.fmt,
        opts.privacy,
        opts.report,
        opts.engine,
    )
    progress: Progress = (lambda _m: None) if quiet else _stderr
    config = (config or DetectConfig()).check()  # a bad config fails before any data is read
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot create output directory: {exc.strerror}"
        raise InputError(msg, source=str(out_dir)) from exc
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix=".work-", dir=out_dir))
    settings = EngineSettings(
        workdir=scratch,
        fmt=fmt,
        privacy=privacy,
        quarantine_path=out_dir / "quarantine.jsonl",
        duckdb=opts.duckdb,
        spark=opts.spark,
    )
    try:
        with make_engine(engine, settings) as eng:
            requests = eng.open([Path(p) for p in inputs])
            stats = eng.stats
            progress(
                f"ingest ({engine}): {stats.rows_stored:,} rows stored, "
                f"{stats.rows_quarantined:,} quarantined in {stats.seconds:.1f}s"
            )
            if stats.rows_stored == 0:
                raise InputError(
                    "no valid requests in the input", source=", ".join(map(str, inputs))
                )
            detections = detect(
                conform(requests), config, until=until, progress=progress, engine=eng
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    ingest_summary = asdict(stats)
    detections.summary = {
        "schema_version": 1,
        "inputs": [str(p) for p in inputs],
        "engine": engine,
        "rows_read": stats.rows_read,
        "rows_stored": stats.rows_stored,
        "rows_duplicate": stats.rows_duplicate,
        "rows_quarantined": stats.rows_quarantined,
        "quarantine_reasons": stats.reasons,
        "quarantine_file": stats.quarantine_file,
        **detections.summary,
        "until": until.isoformat() if until else None,
        "timings": {
            "ingest": round(stats.seconds, 3),
            **detections.summary.get("timings", {}),
            "total": round(time.perf_counter() - started, 3),
        },
        "ingest": ingest_summary,
    }
    detections.write(out_dir)
    if report:
        from distillguard.report import render_report

        render_report(out_dir)
    progress(f"wrote {out_dir} ({json.dumps(detections.summary['timings'])})")
    return detections
