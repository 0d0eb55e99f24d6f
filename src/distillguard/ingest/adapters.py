"""The registry of built-in log adapters, and format resolution for input paths."""

from __future__ import annotations

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


def _is_data_file(p: Path) -> bool:
    name = p.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return p.is_file() and not p.name.startswith(".") and name.endswith(DATA_SUFFIXES)


def expand_sources(sources: Sequence[str | Path]) -> list[Path]:
    """Files to read: each file as given, each directory's data files recursively (sorted)."""
    if not sources:
        raise InputError("no input given")
    out: list[Path] = []
    for s in sources:
        p = Path(s)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if _is_data_file(f))
            if not found:
                raise InputError("directory holds no .parquet/.jsonl/.json files", source=str(p))
            out.extend(found)
        elif p.is_file():
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
