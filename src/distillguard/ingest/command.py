"""``distillguard ingest SOURCE... --workspace DIR``: store request logs in a workspace."""

from __future__ import annotations

import argparse
import contextlib
import sys

from distillguard.errors import ConfigError
from distillguard.ingest.adapters import ADAPTERS
from distillguard.ingest.base import DEFAULT_BATCH_SIZE
from distillguard.ingest.privacy import HASH_KEY_ENV, Privacy
from distillguard.ingest.store import IngestStats, Workspace
from distillguard.resources import memory_guard

HELP = "store request logs in a workspace"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sources", nargs="+", metavar="SOURCE", help="files or directories")
    parser.add_argument("--workspace", required=True, help="workspace directory")
    parser.add_argument(
        "--format",
        choices=list(ADAPTERS),
        default=None,
        help="input format (default: detect per file)",
    )
    parser.add_argument(
        "--hash-key",
        default=None,
        help=f"key for HMAC of ip/email_domain/payment, also applied to the quarantine file "
        f"(or env {HASH_KEY_ENV})",
    )
    parser.add_argument(
        "--drop-text",
        action="store_true",
        help="do not store prompt, response and system_prompt (nor write them to the quarantine "
        "file, which then holds each bad row's line number, reason and non-text fields)",
    )
    parser.add_argument(
        "--memory-limit",
        default=None,
        help="memory for the whole run (DuckDB's buffer pool gets half), a size (6GB, 512MiB) "
        "or a share of the machine (40%%), enforced when set: a run whose processes go over it "
        "stops with one error line (exit 2); default $DISTILLGUARD_MEMORY_LIMIT or a quarter "
        "of the memory the host has",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help=f"rows per committed batch (default: whole DuckDB row groups for JSON Lines, "
        f"{DEFAULT_BATCH_SIZE:,} rows for other formats; Parquet without --hash-key commits once)",
    )
    parser.add_argument(
        "--progress", action="store_true", help="print a line to stderr after each committed batch"
    )


def _progress(stats: IngestStats) -> None:
    print(
        f"progress rows_read={stats.rows_read} rows_stored={stats.rows_stored}",
        file=sys.stderr,
        flush=True,
    )


def run(args: argparse.Namespace) -> int:
    if args.batch_size is not None and args.batch_size < 1:
        raise ConfigError("--batch-size must be at least 1")
    privacy = Privacy.from_key(args.hash_key, drop_text=args.drop_text)
    with memory_guard(args.memory_limit) or contextlib.nullcontext():
        stats = Workspace(args.workspace, memory_limit=args.memory_limit).ingest(
            args.sources,
            fmt=args.format,
            privacy=privacy,
            batch_size=args.batch_size,
            progress=_progress if args.progress else None,
        )
    print(stats.summary_line(), flush=True)
    return 0
