"""Command-line interface: ``distillguard COMMAND ...``.

Each command lives in the package of its stage, as a module exposing ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. They are listed once in :data:`COMMANDS` and
imported only when used, so ``distillguard --help`` stays fast.

Any :class:`~distillguard.errors.DistillguardError` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from distillguard.errors import DistillguardError

COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("distillguard.ingest.command", "store request logs in a workspace"),
    "simulate": ("distillguard.simulate.command", "generate labelled traffic with campaigns"),
    "detect": ("distillguard.pipeline.command", "find distillation campaigns in request logs"),
    "evaluate": ("distillguard.evaluate.command", "score detections against simulator labels"),
    "report": ("distillguard.report.command", "re-render report.html from a detections directory"),
    "share": ("distillguard.share.command", "share campaigns as STIX 2.1 threat intel (TAXII)"),
    "demo": ("distillguard.demo", "simulate -> detect -> report, end to end"),
    "serve": ("distillguard.service.command", "run the online service beside the gateway"),
    "replay": ("distillguard.service.replay", "stream a request log into a running service"),
}


def _load(name: str) -> ModuleType:
    return importlib.import_module(COMMANDS[name][0])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="distillguard", description="Detect distillation campaigns in LLM API request logs."
    )
    from distillguard import __version__

    parser.add_argument("--version", action="version", version=f"distillguard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, description=help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # Parse the command name first, then let the command's own module add its arguments.
    if not argv or argv[0].startswith("-") or argv[0] not in COMMANDS:
        parser.parse_args(argv)  # prints help / version / a usage error and exits
        return 2
    name = argv[0]
    module = _load(name)
    cmd_parser = argparse.ArgumentParser(prog=f"distillguard {name}", description=COMMANDS[name][1])
    module.add_arguments(cmd_parser)
    args = cmd_parser.parse_args(argv[1:])
    try:
        return int(module.run(args))
    except DistillguardError as exc:
        print(f"distillguard {name}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"distillguard {name}: interrupted", file=sys.stderr)
        return 130
