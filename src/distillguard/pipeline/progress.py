"""Progress reporting for long runs: a ``rich`` bar with ETA on a terminal, plain lines elsewhere.

The pipeline only ever calls a ``progress`` callback. A plain ``Callable[[str], None]`` (one line
per finished stage) keeps working; an object that also has the optional methods below gets richer
reports, and :func:`stage_done` / :func:`rows_read` pick whichever the callback supports:

- ``stage(name, total)``: a stage starts; ``total`` is its size in rows when known (else None);
- ``advance(n)``: ``n`` more units of the current stage are done;
- ``stage_done(name, seconds)``: a stage finished (the plain-line message is built from this).

:func:`make_progress` chooses: nothing with ``--quiet``; a bar when stderr is a terminal (or
``mode="bar"``); one line per stage otherwise (logs and CI stay readable).
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal, Self

from distillguard.ingest import IngestStats

Mode = Literal["auto", "bar", "lines"]
MODES: tuple[str, ...] = ("auto", "bar", "lines")

# Typical share of a detect run's wall time per stage (BENCHMARKS.md, 1 M exchanges, DuckDB).
# Only the overall bar's ETA uses them; a stage missing here just does not move that bar.
STAGE_WEIGHTS: dict[str, float] = {
    "ingest": 6.0,
    "account_features": 13.0,
    "request_signals": 50.0,
    "linkage": 7.0,
    "clustering": 10.0,
    "campaigns": 4.0,
    "report": 2.0,
}
STAGE_ORDER: tuple[str, ...] = tuple(STAGE_WEIGHTS)
SNIFF_BYTES = 1 << 20


def stage_done(
    progress: Callable[[str], None], name: str, seconds: float, message: str | None = None
) -> None:
    """Tell ``progress`` that stage ``name`` took ``seconds``; ``message`` replaces the default
    ``name: 1.2s`` line (plain callbacks get just that line)."""
    hook = getattr(progress, "stage_done", None)
    if callable(hook):
        hook(name, seconds, message)
    else:
        progress(message or f"{name}: {seconds:.1f}s")


def ingest_starts(
    progress: Callable[[str], None], sources: Sequence[Path], fmt: str | None
) -> Callable[[IngestStats], None] | None:
    """Start the ``ingest`` stage (sized by :func:`estimate_rows` when the callback shows bars)
    and return the batch callback for the reader (None for plain callbacks)."""
    if not callable(getattr(progress, "stage", None)):
        return None
    from distillguard.errors import DistillguardError
    from distillguard.ingest import resolve_sources

    try:
        total = estimate_rows(resolve_sources(sources, fmt))
    except DistillguardError:
        total = None  # the reader reports bad input itself, with its own message
    stage_start(progress, "ingest", total)
    return rows_read(progress)


def stage_start(progress: Callable[[str], None], name: str, total: int | None = None) -> None:
    """Tell ``progress`` that stage ``name`` starts (ignored by plain callbacks)."""
    hook = getattr(progress, "stage", None)
    if callable(hook):
        hook(name, total)


def rows_read(progress: Callable[[str], None]) -> Callable[[IngestStats], None] | None:
    """An ingest batch callback that advances ``progress`` by the rows read, or None when the
    callback cannot show it (so ingest skips the bookkeeping)."""
    hook = getattr(progress, "advance", None)
    if not callable(hook):
        return None
    seen = 0

    def on_batch(stats: IngestStats) -> None:
        nonlocal seen
        hook(stats.rows_read - seen)
        seen = stats.rows_read

    return on_batch


class LineProgress:
    """One ``[distillguard] ...`` line per message on a stream (stderr by default)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream

    def __call__(self, message: str) -> None:
        print(f"[distillguard] {message}", file=self.stream or sys.stderr, flush=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class BarProgress:
    """A ``rich`` display on stderr: an overall bar with ETA, and the current stage below it
    (a bar with rows and ETA when its size is known, a spinner with a count otherwise).

    Finished stages are printed as lines above the bars, so the terminal keeps the same record
    the plain mode gives. Use as a context manager: the display stops on exit, also on error.
    """

    def __init__(self, stream: IO[str] | None = None, *, force_terminal: bool | None = None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(file=stream or sys.stderr, force_terminal=force_terminal)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<22}"),
            BarColumn(bar_width=30),
            TaskProgressColumn(),
            TextColumn("{task.fields[rows]:>16}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            speed_estimate_period=60.0,
        )
        self._overall = self._progress.add_task(
            "detect", total=sum(STAGE_WEIGHTS.values()), rows=""
        )
        self._current: Any = None
        self._current_name = ""

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def __call__(self, message: str) -> None:
        self._progress.console.print(f"[distillguard] {message}", markup=False, highlight=False)

    def stage(self, name: str, total: int | None = None) -> None:
        if self._current is not None:
            self._progress.remove_task(self._current)
        self._current_name = name
        self._current = self._progress.add_task(f"  {name}", total=total, rows="")

    def advance(self, n: float = 1) -> None:
        if self._current is None:
            return
        self._progress.advance(self._current, n)
        task = next(t for t in self._progress.tasks if t.id == self._current)
        rows = f"{int(task.completed):,} rows"
        if task.total is not None and task.completed > task.total:
            self._progress.update(self._current, total=task.completed, rows=rows)  # estimate low
        else:
            self._progress.update(self._current, rows=rows)

    def stage_done(self, name: str, seconds: float, message: str | None = None) -> None:
        self(message or f"{name}: {seconds:.1f}s")
        self._progress.advance(self._overall, STAGE_WEIGHTS.get(name, 0.0))
        if name in STAGE_ORDER and STAGE_ORDER.index(name) + 1 < len(STAGE_ORDER):
            self.stage(STAGE_ORDER[STAGE_ORDER.index(name) + 1])
        elif self._current is not None and name == self._current_name:
            self._progress.remove_task(self._current)
            self._current = None


class NullProgress:
    """Says nothing (``--quiet``)."""

    def __call__(self, message: str) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


ProgressDisplay = LineProgress | BarProgress | NullProgress


def make_progress(
    *, quiet: bool, mode: str = "auto", stream: IO[str] | None = None
) -> ProgressDisplay:
    """The display for a run: none when ``quiet``; a bar when ``mode`` is ``bar``, or ``auto``
    and the stream (stderr) is a terminal; plain lines otherwise."""
    if quiet:
        return NullProgress()
    out = stream or sys.stderr
    if mode == "bar" or (mode == "auto" and out.isatty()):
        return BarProgress(out, force_terminal=True if mode == "bar" else None)
    return LineProgress(out)


def estimate_rows(files: Sequence[tuple[Path, str]]) -> int | None:
    """Roughly how many rows ``files`` (path, format) hold, cheaply, for the ingest bar's ETA.

    Parquet: the exact count from the footer. Line-oriented text (``.jsonl``, ``.jsonl.gz``):
    lines in the first MiB (after decompression for gzip) scaled to the file size. None when a
    file cannot be estimated (then the bar shows a count without an ETA).
    """
    total = 0
    for path, fmt in files:
        try:
            if fmt == "parquet":
                import pyarrow.parquet as pq

                total += pq.ParquetFile(path).metadata.num_rows
                continue
            size = path.stat().st_size
            with path.open("rb") as fh:
                raw = fh.read(SNIFF_BYTES)
            if path.name.lower().endswith(".gz"):
                d = zlib.decompressobj(wbits=47)
                text = d.decompress(raw, 64 * SNIFF_BYTES)
                used = len(raw) - len(d.unconsumed_tail) - len(d.unused_data)
            else:
                text, used = raw, len(raw)
            lines = text.count(b"\n") + (1 if text and not text.endswith(b"\n") else 0)
            if used <= 0 or lines == 0:
                return None
            total += lines if used >= size else round(lines * size / used)
        except (OSError, zlib.error, ValueError):  # pyarrow's ArrowInvalid is a ValueError
            return None
    return total
