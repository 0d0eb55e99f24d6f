"""``distillguard report DETECTIONS_DIR [--out FILE]``: re-render ``report.html`` from the files.

Useful after ``detect --no-report``, after a newer distillguard changed the page, or on a
detections directory written by another contract-conformant producer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from distillguard.errors import ConfigError, InputError

HELP = "re-render report.html from a detections directory"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "detections",
        type=Path,
        metavar="DETECTIONS_DIR",
        help="directory written by `distillguard detect` (accounts.csv, campaigns.json, "
        "summary.json)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE",
        help="where to write the page (default: DETECTIONS_DIR/report.html)",
    )
    parser.add_argument(
        "--top-accounts",
        type=int,
        default=None,
        metavar="N",
        help="flagged accounts outside campaigns to list (default 200)",
    )
    parser.add_argument(
        "--campaign-accounts",
        type=int,
        default=None,
        metavar="N",
        help="accounts to list per campaign (default 100)",
    )


def run(args: argparse.Namespace) -> int:
    from distillguard.report.render import render_report
    from distillguard.report.view import CAMPAIGN_ACCOUNTS, TOP_ACCOUNTS

    if not args.detections.is_dir():
        raise InputError("not a directory", source=str(args.detections))
    if args.out is not None and args.out.is_dir():
        raise InputError("--out must be a file path, not a directory", source=str(args.out))
    if args.out is not None and not args.out.parent.is_dir():
        raise InputError("the directory for --out does not exist", source=str(args.out))
    counts = (
        ("--top-accounts", args.top_accounts),
        ("--campaign-accounts", args.campaign_accounts),
    )
    for name, value in counts:
        if value is not None and value < 0:
            raise ConfigError(f"{name} must be 0 or more")
    path = render_report(
        args.detections,
        out=args.out,
        top_accounts=TOP_ACCOUNTS if args.top_accounts is None else args.top_accounts,
        campaign_accounts=CAMPAIGN_ACCOUNTS
        if args.campaign_accounts is None
        else args.campaign_accounts,
    )
    print(path, file=sys.stdout)
    return 0
