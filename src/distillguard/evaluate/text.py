"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from distillguard.evaluate.bar import Check
from distillguard.evaluate.metrics import Evaluation
from distillguard.evaluate.replay import ReplayResult


def _pct(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{100 * v:.{digits}f}%"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> list[str]:
    """Columns padded to width; ``align`` has one letter per column (l/r), default l then r."""
    align = align or "l" + "r" * (len(header) - 1)
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if a == "l" else c.rjust(w)
            for c, w, a in zip(cells, widths, align, strict=True)
        ).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def format_evaluation(
    ev: Evaluation, checks: Sequence[Check], replay: ReplayResult | None = None
) -> str:
    """The whole evaluation as readable text."""
    out = ["ACCOUNTS"]
    out += _table(
        ["figure", "value"],
        [
            ["attack accounts", f"{ev.attack_accounts:,}"],
            ["benign accounts", f"{ev.benign_accounts:,}"],
            ["flagged accounts", f"{ev.flagged_accounts:,}"],
            ["true / false positives", f"{ev.true_positives:,} / {ev.false_positives:,}"],
            ["false negatives", f"{ev.false_negatives:,}"],
            ["precision", _pct(ev.precision, 2)],
            ["recall", _pct(ev.recall, 2)],
            ["F1", f"{ev.f1:.4f}"],
            [
                "exchange recall",
                f"{_pct(ev.exchange_recall, 2)} "
                f"({ev.attack_exchanges_caught:,} of {ev.attack_exchanges:,})",
            ],
            ["benign FPR (overall)", f"{_pct(ev.fpr_overall, 3)} ({ev.benign_flagged:,})"],
        ],
    )
    notes = []
    if ev.unknown_flagged:
        notes.append(f"{ev.unknown_flagged:,} flagged account(s) not in labels.csv (counted FP)")
    if ev.missing_verdicts:
        notes.append(f"{ev.missing_verdicts:,} labelled account(s) missing from accounts.csv")
    if ev.attack_exchanges_not_in_log:
        notes.append(f"{ev.attack_exchanges_not_in_log:,} attack exchange(s) not in the log")
    out += [f"note: {n}" for n in notes]

    out += ["", "FALSE POSITIVES BY LEGITIMATE PERSONA"]
    out += _table(
        ["persona", "accounts", "flagged", "FPR"],
        [[p.persona, f"{p.accounts:,}", f"{p.flagged:,}", _pct(p.fpr, 3)] for p in ev.personas],
    )

    out += ["", "TRUE CAMPAIGNS"]
    out += _table(
        ["campaign", "accounts", "flagged", "under one id", "exch. recall", "detected as"],
        [
            [
                c.campaign_id,
                f"{c.accounts:,}",
                _pct(c.share_flagged),
                _pct(c.share_grouped),
                _pct(c.exchange_recall),
                _ids(c.detected_ids),
            ]
            for c in ev.campaigns
        ],
        "lrrrrl",
    )

    out += ["", "DETECTED CAMPAIGNS"]
    out += _table(
        ["campaign", "accounts", "purity", "dominant true campaign", "benign", "unknown"],
        [
            [
                d.campaign_id,
                f"{d.accounts:,}",
                _pct(d.purity),
                d.dominant_campaign or "-",
                f"{d.benign_accounts:,}",
                f"{d.unknown_accounts:,}",
            ]
            for d in ev.detected
        ],
        "lrrlrr",
    )

    if replay is not None:
        out += [
            "",
            f"TIME TO DETECTION (day 1 starts {replay.start:%Y-%m-%d}, "
            f"{replay.days_run} of {replay.days} days replayed)",
        ]
        out += _table(
            ["campaign", "first day", "exchanges before", "share of its total"],
            [
                [
                    t.campaign_id,
                    "not detected" if t.first_day is None else str(t.first_day),
                    "-" if t.exchanges_before is None else f"{t.exchanges_before:,}",
                    _pct(t.share_before),
                ]
                for t in replay.campaigns
            ],
        )

    if ev.calibration:
        out += [
            "",
            "CALIBRATION (precision = share of attack accounts among those scored in the bin)",
        ]
        acct, camp = ev.calibration.get("accounts", []), ev.calibration.get("campaigns", [])
        out += _table(
            ["score", "accounts", "precision", "in campaigns", "campaign precision"],
            [
                [
                    f"{a.low:.1f}-{a.high:.1f}",
                    f"{a.accounts:,}",
                    _pct(a.precision),
                    f"{c.accounts:,}" if c.accounts else "-",
                    _pct(c.precision),
                ]
                for a, c in zip(acct, camp, strict=False)
                if a.accounts or c.accounts
            ],
        )

    failed = [c for c in checks if not c.passed]
    # Headline and persona checks always; per-campaign checks only when they fail (there can be
    # many campaigns), with a count of those that pass.
    shown = [c for c in checks if not c.name.startswith("campaign ") or not c.passed]
    hidden = len(checks) - len(shown)
    out += ["", "BAR"]
    out += _table(
        ["check", "value", "needs", "result"],
        [
            [c.name, f"{c.value:.4f}", f"{c.op} {c.threshold:g}", "pass" if c.passed else "FAIL"]
            for c in shown
        ],
        "lrrl",
    )
    if hidden:
        out.append(f"(and {hidden} per-campaign checks, all passed)")
    verdict = "PASS" if not failed else f"FAIL ({len(failed)} of {len(checks)} checks failed)"
    out += ["", f"RESULT: {verdict}"]
    return "\n".join(out)


def _ids(detected: dict[str, int], limit: int = 3) -> str:
    if not detected:
        return "-"
    items = [f"{k} ({v})" for k, v in list(detected.items())[:limit]]
    more = len(detected) - limit
    return ", ".join(items) + (f", +{more} more" if more > 0 else "")
