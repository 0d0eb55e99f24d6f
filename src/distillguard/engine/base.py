"""The engine role: where the request table lives and the analytics run.

An engine turns log sources into one Ibis table with the stored schema (rows that break the schema
are dropped, counted and quarantined, exactly as ``distillguard ingest`` does); :func:`detect`
then runs the same Ibis expressions on whatever backend the table is bound to.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

import ibis.expr.types as ir
import pyarrow as pa

from distillguard.ingest import IngestStats, Privacy
from distillguard.signals.stage import in_process_signals


@dataclass
class DuckDBSettings:
    """Options only the DuckDB engine reads."""

    # DuckDB's buffer pool, when it should differ from the run's ``EngineSettings.memory_limit``
    # (None: that one). Work beyond it spills to workdir.
    memory_limit: str | None = None


@dataclass
class SparkSettings:
    """Options only the Spark engine reads: the master URL and session configuration entries
    (passed to the session builder unchanged; under ``spark-submit`` the session it created is
    used)."""

    master: str = "local[2]"
    conf: dict[str, str] = field(default_factory=dict)


@dataclass
class EngineSettings:
    """Plain-data options of an engine: what every engine reads, plus one section per engine.

    ``workdir`` is a scratch directory the engine may fill and the caller removes.
    """

    workdir: Path
    fmt: str | None = None
    privacy: Privacy | None = None
    quarantine_path: Path | None = None
    # A size or share of the machine (see distillguard.resources; None: the machine's default):
    # DuckDB's buffer pool and a local Spark driver's heap. Work beyond it spills to workdir.
    memory_limit: str | None = None
    # Called after each batch an engine reads itself (progress bars); engines may ignore it.
    on_rows: Callable[[IngestStats], None] | None = None
    duckdb: DuckDBSettings = field(default_factory=DuckDBSettings)
    spark: SparkSettings = field(default_factory=SparkSettings)


class Engine(ABC):
    """Opens request logs as one conformed-ready Ibis table. ``__init__`` only stores settings."""

    name: ClassVar[str]

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.stats = IngestStats()

    @abstractmethod
    def open(self, sources: Sequence[Path]) -> ir.Table:
        """Load/validate ``sources``; fill :attr:`stats`; return the request table."""

    def request_signals(self, sample: ir.Table, keep: Sequence[str] = ()) -> pa.Table:
        """Per-request text signals for every row of ``sample`` (a bounded request sample with
        ``request_id`` and ``prompt``): ``request_id``, the ``keep`` columns of the sample,
        then the feature columns of :func:`distillguard.signals.compute_request_signals`, one
        row per sample row. The default runs in this process; engines with executors override
        it to score the sample where it lives (same values)."""
        return in_process_signals(sample, keep)

    def yield_memory(self) -> AbstractContextManager[None]:
        """A block during which the engine runs no query and holds as little memory as it can,
        so the Python side (the account graph, clustering) can have it. The default does
        nothing; an engine with a buffer pool shrinks it and grows it back after the block."""
        return nullcontext()

    @abstractmethod
    def close(self) -> None:
        """Release connections and cached data (idempotent)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.settings!r})"


__all__ = [
    "DuckDBSettings",
    "Engine",
    "EngineSettings",
    "SparkSettings",
    "in_process_signals",
]
