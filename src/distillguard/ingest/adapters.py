"""The registry of built-in log adapters, and format resolution for input paths."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from distillguard.errors import ConfigError, InputError
from distillguard.ingest.base import Adapter
from distillguard.ingest.jsonlines import JsonlAdapter
from distillguard.ingest.litellm import LiteLLMAdapter
from distillguard.ingest.openai import OpenAIAdapter
from distillguard.ingest.otel import OtelAdapter
from distillguard.ingest.parquet import ParquetAdapter
from distillguard.ingest.sniffing import read_head

# Sniffing order matters: the most specific JSON shapes first, canonical JSON Lines last.
ADAPTERS: dict[str, type[Adapter]] = {
    "parquet": ParquetAdapter,
    "otel": OtelAdapter,
    "litellm": LiteLLMAdapter,
    "openai": OpenAIAdapter,
    "jsonl": JsonlAdapter,
}

DATA_SUFFIXES = (".parquet", ".parq", ".pq", ".jsonl", ".ndjson", ".json")


def _is_data_name(name: str) -> bool:
    lower = name.lower().removesuffix(".gz")
    return not name.startswith(".") and lower.endswith(DATA_SUFFIXES)


def _walk(root: Path) -> list[Path]:
    """Data files under ``root``, following symlinked directories (each real directory visited
    once, so a link loop ends). An unreadable directory or data file is an error naming it:
    skipping it would silently drop part of the log."""
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()

    def fail(exc: OSError) -> None:
        reason = exc.strerror or type(exc).__name__
        raise InputError(f"cannot read directory: {reason}", source=str(exc.filename or root))

    for dirpath, dirnames, filenames in os.walk(root, onerror=fail, followlinks=True):
        st = os.stat(dirpath)
        if (st.st_dev, st.st_ino) in seen:
            dirnames[:] = []  # a symlink back to a directory already walked
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            path = Path(dirpath) / name
            if not _is_data_name(name) or not path.is_file():
                continue
            if not os.access(path, os.R_OK):
                raise InputError("cannot read file: Permission denied", source=str(path))
            found.append(path)
    return sorted(found)


def expand_sources(sources: Sequence[str | Path]) -> list[Path]:
    """Files to read: each file as given, each directory's data files recursively (sorted),
    symlinks followed. Missing or unreadable inputs are errors naming the path."""
    if not sources:
        raise InputError("no input given")
    out: list[Path] = []
    for s in sources:
        p = Path(s)
        if p.is_dir():
            found = _walk(p)
            if not found:
                raise InputError("directory holds no .parquet/.jsonl/.json files", source=str(p))
            out.extend(found)
        elif p.is_file():
            if not os.access(p, os.R_OK):
                raise InputError("cannot read file: Permission denied", source=str(p))
            out.append(p)
        else:
            raise InputError("no such file or directory", source=str(p))
    return out


def detect_format(path: Path, fmt: str | None = None) -> str:
    """The adapter name for ``path``: ``fmt`` if given, else by extension and first bytes."""
    if fmt is not None:
        if fmt not in ADAPTERS:
            raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(ADAPTERS)}")
        return fmt
    head = read_head(path)
    if not head.strip():
        raise InputError("file is empty", source=str(path))
    suffix = path.name.lower().removesuffix(".gz")
    if suffix.endswith(ParquetAdapter.extensions) and not ParquetAdapter.sniff(path, head):
        raise InputError("has a Parquet extension but is not a Parquet file", source=str(path))
    for name, adapter in ADAPTERS.items():
        if adapter.sniff(path, head):
            return name
    raise InputError(
        "unrecognised format (first record is not a known request-log shape); "
        f"pass --format ({'|'.join(ADAPTERS)})",
        source=str(path),
    )


def resolve_sources(
    sources: Sequence[str | Path], fmt: str | None = None
) -> list[tuple[Path, str]]:
    """Each input file with its format, checked before anything is read."""
    return [(p, detect_format(p, fmt)) for p in expand_sources(sources)]
