"""Progress on stderr: a bar with ETA on a terminal, plain stage lines otherwise, nothing quiet."""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.ingest import IngestStats
from distillguard.pipeline.progress import (
    BarProgress,
    LineProgress,
    NullProgress,
    estimate_rows,
    ingest_starts,
    make_progress,
    rows_read,
    stage_done,
)

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _screen(buf: io.StringIO) -> str:
    return ANSI.sub("", buf.getvalue()).replace("\r", "\n")


def test_a_plain_string_callback_still_gets_one_line_per_stage() -> None:
    lines: list[str] = []
    stage_done(lines.append, "linkage", 3.14159)
    stage_done(lines.append, "ingest", 1.0, "ingest (duckdb): 10 rows stored")
    assert lines == ["linkage: 3.1s", "ingest (duckdb): 10 rows stored"]
    assert rows_read(lines.append) is None  # no bar, so ingest skips the bookkeeping
    assert ingest_starts(lines.append, [Path("nowhere")], None) is None


def test_the_bar_shows_stage_rows_and_eta_then_keeps_the_stage_lines() -> None:
    buf = io.StringIO()
    with BarProgress(buf, force_terminal=True) as bar:
        bar.stage("ingest", 1000)
        on_batch = rows_read(bar)
        assert on_batch is not None
        for n in (250, 500, 1200):  # cumulative; the estimate of 1000 was low
            on_batch(IngestStats(rows_read=n))
        stage_done(bar, "ingest", 1.5, "ingest (duckdb): 1,200 rows stored")
        stage_done(bar, "account_features", 2.0)
        bar._progress.refresh()
        screen = _screen(buf)
    assert "ETA" in screen and "1,200 rows" in screen
    assert "request_signals" in screen  # the next stage starts by itself
    assert "[distillguard] ingest (duckdb): 1,200 rows stored" in screen
    assert "[distillguard] account_features: 2.0s" in screen


def test_the_display_follows_quiet_and_the_terminal() -> None:
    assert isinstance(make_progress(quiet=True, mode="bar"), NullProgress)
    not_a_tty = io.StringIO()
    plain = make_progress(quiet=False, stream=not_a_tty)
    assert isinstance(plain, LineProgress)
    plain("linkage: 1.0s")
    assert not_a_tty.getvalue() == "[distillguard] linkage: 1.0s\n"
    assert isinstance(make_progress(quiet=False, mode="bar", stream=io.StringIO()), BarProgress)
    assert isinstance(make_progress(quiet=False, mode="lines", stream=io.StringIO()), LineProgress)


def _jsonl_lines(n: int) -> bytes:
    return b"".join(
        b'{"request_id": "r%07d", "prompt": "%s"}\n' % (i, b"x" * (i % 300)) for i in range(n)
    )


def test_row_estimates_are_close_for_jsonl_gzip_and_exact_for_parquet(tmp_path: Path) -> None:
    n = 20_000  # > 1 MiB of text, so the estimate extrapolates
    plain = tmp_path / "a.jsonl"
    plain.write_bytes(_jsonl_lines(n))
    packed = tmp_path / "b.jsonl.gz"
    packed.write_bytes(gzip.compress(_jsonl_lines(n)))
    table = tmp_path / "c.parquet"
    pq.write_table(pa.table({"x": list(range(1234))}), table)
    assert estimate_rows([(plain, "jsonl")]) == pytest.approx(n, rel=0.1)
    assert estimate_rows([(packed, "jsonl")]) == pytest.approx(n, rel=0.1)
    assert estimate_rows([(table, "parquet")]) == 1234
    broken = tmp_path / "d.parquet"
    broken.write_bytes(b"not parquet")
    assert estimate_rows([(table, "parquet"), (broken, "parquet")]) is None
