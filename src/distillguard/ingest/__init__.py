"""Ingest: read request logs (Parquet, JSON Lines, OTel GenAI spans, LiteLLM, OpenAI-style gateway
logs) into the canonical schema, quarantining bad rows, and store them in a DuckDB workspace, or
open them for detection without copying (:func:`open_requests`: a view over Parquet files).

>>> sorted(ADAPTERS)
['jsonl', 'litellm', 'openai', 'otel', 'parquet']
"""

from distillguard.ingest.adapters import ADAPTERS, detect_format, expand_sources, resolve_sources
from distillguard.ingest.base import QUARANTINE_SCHEMA, Adapter, Batch
from distillguard.ingest.privacy import Privacy, ip_prefix
from distillguard.ingest.store import IngestStats, Workspace, load_requests, read_batches
from distillguard.ingest.view import open_requests

__all__ = [
    "ADAPTERS",
    "QUARANTINE_SCHEMA",
    "Adapter",
    "Batch",
    "IngestStats",
    "Privacy",
    "Workspace",
    "detect_format",
    "expand_sources",
    "ip_prefix",
    "load_requests",
    "open_requests",
    "read_batches",
    "resolve_sources",
]
