"""``distillguard serve --workspace DIR``: run the service (FastAPI on uvicorn)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from distillguard.errors import ConfigError

HELP = "run the online service: ingest, decisions, campaigns, analyst actions"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workspace", required=True, type=Path, help="workspace directory")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--policy", type=Path, default=None, help="decision policy (TOML/JSON)")
    parser.add_argument("--config", type=Path, default=None, help="detection config (JSON)")
    parser.add_argument(
        "--detect-interval",
        type=float,
        default=300.0,
        help="seconds between scheduled detection runs; 0 = only on POST /v1/detect",
    )
    parser.add_argument(
        "--window-days", type=float, default=14.0, help="sliding detection window (days)"
    )
    parser.add_argument(
        "--state-interval",
        type=float,
        default=10.0,
        help="seconds between folds of new exchanges into the live account state; 0 = never",
    )
    parser.add_argument(
        "--webhook", action="append", default=[], help="URL to POST campaign events to (repeat)"
    )
    parser.add_argument("--drop-text", action="store_true", help="do not store prompt texts")
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB memory limit")
    parser.add_argument(
        "--checkpoint-threshold",
        default="256MB",
        help="fold the write-ahead log into the database when it passes this size (default "
        "256MB); ingest waits while it is folded, so a smaller value gives shorter, more "
        "frequent pauses at a higher total cost",
    )
    parser.add_argument("--log-level", default="info", help="uvicorn log level")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from distillguard.ingest import Privacy
    from distillguard.resources import limit_native_arenas
    from distillguard.service.app import create_app
    from distillguard.service.auth import API_KEYS_ENV
    from distillguard.service.policy import Policy, load_policy
    from distillguard.service.settings import ServiceSettings

    if args.detect_interval < 0 or args.window_days <= 0 or args.state_interval < 0:
        raise ConfigError(
            "--detect-interval and --state-interval must be >= 0 and --window-days > 0"
        )
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]?i?B", args.checkpoint_threshold.strip()):
        raise ConfigError(
            f"--checkpoint-threshold must be a size such as 64MB, got {args.checkpoint_threshold!r}"
        )
    if not 0 < args.port < 65536:
        raise ConfigError(f"--port out of range: {args.port}")
    detect_config = None
    if args.config is not None:
        from distillguard.pipeline.config import load_config

        detect_config = load_config(args.config)
    settings = ServiceSettings.from_env(
        args.workspace,
        policy=load_policy(args.policy) if args.policy else Policy(),
        detect_config=detect_config,
        detect_interval=args.detect_interval,
        window_days=args.window_days,
        state_interval=args.state_interval,
        memory_limit=args.memory_limit,
        checkpoint_threshold=args.checkpoint_threshold,
    )
    settings.privacy = Privacy.from_key(None, drop_text=args.drop_text)
    if args.webhook:
        settings.webhooks = (*settings.webhooks, *args.webhook)
    if not settings.api_keys:
        raise ConfigError(f"no API keys: set {API_KEYS_ENV}=ROLE:KEY,... (roles ingest, analyst,"
                          " admin)")  # fmt: skip
    # The windowed detection scores prompts on worker threads, as a batch run does: the same
    # cap on glibc's malloc arenas keeps their freed memory from staying resident.
    limit_native_arenas()
    app = create_app(settings)
    # access_log off: request lines carry no keys, but nothing needs them at 20 k exchanges/s.
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0
