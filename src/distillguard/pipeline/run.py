"""End-to-end runs: read logs into the embedded engine, detect, write the contract's files.

The output directory is checked before any work (created if needed, then probed with a real
write: permission bits do not tell about read-only mounts or a full disk). Every file of the run
is written into a scratch directory inside ``--out`` first, so a failed run leaves the previous
run's files untouched and a successful one replaces them whole (``quarantine.jsonl`` is never
appended to). A directory this run created is removed again when the run fails.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distillguard import __version__
from distillguard.campaigns.model import Detections
from distillguard.engine import EngineSettings, SparkSettings, make_engine
from distillguard.engine.tables import conform
from distillguard.errors import InputError
from distillguard.ingest import IngestStats, Privacy
from distillguard.pipeline.coverage import data_coverage
from distillguard.pipeline.detect import DetectConfig, Progress, detect
from distillguard.pipeline.progress import ingest_starts, stage_done
from distillguard.resources import limit_native_arenas
from distillguard.schema import rfc3339

if TYPE_CHECKING:
    from distillguard.share.intel import IntelLinker

QUARANTINE_FILE = "quarantine.jsonl"


def _stderr(message: str) -> None:
    print(f"[distillguard] {message}", file=sys.stderr, flush=True)


def prepare_out_dir(out_dir: Path) -> Path | None:
    """Create ``out_dir`` if needed and prove it writable; return the topmost directory this
    call created (to remove on failure), or None when it existed. One-line errors only."""
    out_dir = Path(out_dir)
    created: Path | None = None
    probe_dir = out_dir
    while not probe_dir.exists() and probe_dir != probe_dir.parent:
        created = probe_dir
        probe_dir = probe_dir.parent
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise InputError("--out exists and is not a directory", source=str(out_dir))
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=out_dir)
        try:
            os.write(fd, b"x")
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        reason = exc.strerror or type(exc).__name__
        raise InputError(f"--out is not writable: {reason}", source=str(out_dir)) from exc
    return created


def empty_detections() -> Detections:
    """What a log with no valid request detects: no accounts, no campaigns."""
    summary = {"accounts": 0, "exchanges": 0, "flagged_accounts": 0, "campaigns": 0, "edges": {}}
    return Detections(accounts=[], campaigns=[], summary={**summary, "timings": {}})


@dataclass
class RunOptions:
    """How one ``detect`` run reads and writes (everything but the detection tuning, which is
    :class:`DetectConfig`): the time cut-off, progress, input format, privacy, whether to render
    the report, memory, the engine with its Spark section, and partners' intel."""

    until: datetime | None = None
    quiet: bool = True
    fmt: str | None = None
    privacy: Privacy | None = None
    report: bool = True
    # A size or share of the machine (see distillguard.resources; None: the machine's default).
    memory_limit: str | None = None
    engine: str = "duckdb"
    spark: SparkSettings = field(default_factory=SparkSettings)
    # One line per finished stage (default: stderr unless ``quiet``); a display from
    # distillguard.pipeline.progress.make_progress also draws bars with ETA.
    progress: Progress | None = None
    # Partners' indicators as evidence (see distillguard.share.intel).
    intel: IntelLinker | None = None


def _options(options: RunOptions | None, keywords: dict[str, Any]) -> RunOptions:
    """``options`` with keyword overrides: any :class:`RunOptions` field by name, and
    ``spark_master`` / ``spark_conf`` for the Spark section."""
    opts = options or RunOptions()
    names = {f.name for f in fields(RunOptions)}
    unknown = set(keywords) - names - {"spark_master", "spark_conf"}
    if unknown:
        raise TypeError(f"run_detect() got unexpected keyword(s): {', '.join(sorted(unknown))}")
    opts = replace(opts, **{k: v for k, v in keywords.items() if k in names})
    if "spark_master" in keywords or "spark_conf" in keywords:
        spark = SparkSettings(
            master=keywords.get("spark_master", opts.spark.master),
            conf=dict(keywords.get("spark_conf") or opts.spark.conf),
        )
        opts = replace(opts, spark=spark)
    return opts


def run_detect(
    inputs: Sequence[Path],
    out_dir: Path,
    options: RunOptions | None = None,
    *,
    config: DetectConfig | None = None,
    **keywords: Any,
) -> Detections:
    """Detect campaigns in request logs and write ``accounts.csv``, ``campaigns.json``,
    ``summary.json``, ``quarantine.jsonl`` and ``report.html`` into ``out_dir``.

    ``options.engine`` names an entry of :data:`distillguard.engine.ENGINES`: ``duckdb`` loads
    the logs into a scratch database inside ``out_dir`` (removed afterwards); ``spark`` reads
    Parquet with Spark (``options.spark``). Either way rows that break the schema are quarantined
    to ``out_dir/quarantine.jsonl`` (with ``privacy`` applied) and counted. A log with no valid
    row, or no campaign, is a normal run: every file is written, with 0 campaigns. Keywords
    override single options (``until=``, ``report=``, ``memory_limit=``, ``spark_master=``...).
    Caps glibc's malloc arenas for the whole process
    (:func:`~distillguard.resources.limit_native_arenas`).
    """
    opts = _options(options, keywords)
    until, quiet, fmt, privacy, engine, intel = (
        opts.until,
        opts.quiet,
        opts.fmt,
        opts.privacy,
        opts.engine,
        opts.intel,
    )
    progress = opts.progress
    if progress is None:
        progress = (lambda _m: None) if quiet else _stderr
    config = (config or DetectConfig()).check()  # a bad config fails before any data is read
    out_dir = Path(out_dir)
    created = prepare_out_dir(out_dir)
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix=".work-", dir=out_dir))
    staged = scratch / "out"
    staged.mkdir()
    settings = EngineSettings(
        workdir=scratch / "engine",
        fmt=fmt,
        privacy=privacy,
        quarantine_path=staged / QUARANTINE_FILE,
        memory_limit=opts.memory_limit,
        on_rows=ingest_starts(progress, [Path(p) for p in inputs], fmt),
        spark=opts.spark,
    )
    # The text signals' worker threads would each keep a malloc arena of freed NumPy memory.
    limit_native_arenas()
    ok = False
    try:
        with make_engine(engine, settings) as eng:
            requests = eng.open([Path(p) for p in inputs])
            stats = eng.stats
            stage_done(
                progress,
                "ingest",
                stats.seconds,
                f"ingest ({engine}): {stats.rows_stored:,} rows stored, "
                f"{stats.rows_quarantined:,} quarantined in {stats.seconds:.1f}s",
            )
            table = conform(requests)
            coverage = data_coverage(table)
            if until is not None:
                import ibis

                table = table.filter(table.timestamp < ibis.literal(until))
            if int(table.count().to_pyarrow().as_py()) == 0:
                progress("no valid request in the window: 0 accounts, 0 campaigns")
                detections = empty_detections()
            else:
                detections = detect(table, config, progress=progress, engine=eng, intel=intel)
        quarantine = staged / QUARANTINE_FILE
        if not quarantine.exists():
            quarantine.touch()  # the contract's file exists, empty, when no row was quarantined
        stats.quarantine_file = str(out_dir / QUARANTINE_FILE)
        detections.summary = {
            **_summary(detections, stats, inputs, engine, until, started),
            **coverage.as_summary(),
        }
        detections.run = run_metadata(
            inputs, engine, detections.summary.get("window"), detections.summary.get("exchanges")
        )
        detections.summary["run"] = detections.run
        detections.write(staged)
        if opts.report:
            from distillguard.report import render_report

            t0 = time.perf_counter()
            render_report(staged)
            stage_done(progress, "report", time.perf_counter() - t0)
        for path in staged.iterdir():
            os.replace(path, out_dir / path.name)
        ok = True
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EIO):
            raise InputError(f"cannot write: {exc.strerror}", source=str(out_dir)) from exc
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if not ok and created is not None:
            shutil.rmtree(created, ignore_errors=True)
    for warning in coverage.warnings:
        progress(f"warning: {warning['message']}")
    if coverage.signals_without_data:
        progress(f"no data for: {', '.join(coverage.signals_without_data)}")
    progress(f"wrote {out_dir} ({json.dumps(detections.summary['timings'])})")
    return detections


def _summary(
    detections: Detections,
    stats: IngestStats,
    inputs: Sequence[Path],
    engine: str,
    until: datetime | None,
    started: float,
) -> dict[str, object]:
    return {
        "schema_version": 1,
        "inputs": [str(p) for p in inputs],
        "engine": engine,
        "rows_read": stats.rows_read,
        "rows_stored": stats.rows_stored,
        "rows_duplicate": stats.rows_duplicate,
        "rows_duplicate_conflicting": stats.rows_duplicate_conflicting,
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
        "ingest": asdict(stats),
    }


def run_metadata(
    inputs: Sequence[Path],
    engine: str,
    window: dict[str, str | None] | None,
    exchanges_analysed: int | None,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """The ``run`` object of ``campaigns.json`` and ``summary.json``.

    ``generated_at`` is now, or ``$SOURCE_DATE_EPOCH`` when set (the reproducible-builds
    convention), so two runs on one log can give byte-identical files. ``run_id`` is a digest of
    everything else in the object: the same tool on the same inputs at the same instant gives the
    same id, any difference a new one.

    >>> m = run_metadata([Path("log")], "duckdb", {"from": None, "to": None}, 0,
    ...                  datetime(2026, 12, 2, tzinfo=UTC))
    >>> m["generated_at"], len(m["run_id"])
    ('2026-12-02T00:00:00Z', 16)
    """
    if generated_at is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        generated_at = (
            datetime.fromtimestamp(int(epoch), UTC)
            if epoch and epoch.isdigit()
            else datetime.now(UTC)
        )
    doc: dict[str, Any] = {
        "tool_version": __version__,
        "generated_at": rfc3339(generated_at.replace(microsecond=0)),
        "engine": engine,
        "inputs": [str(p) for p in inputs],
        "window": dict(window or {"from": None, "to": None}),
        "exchanges_analysed": int(exchanges_analysed or 0),
    }
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]
    return {"run_id": digest, **doc}


__all__ = ["empty_detections", "prepare_out_dir", "run_detect", "run_metadata"]
