"""The quality bar a detector run must clear, and the pass/fail checks against it."""

from __future__ import annotations

from dataclasses import dataclass

from distillguard.evaluate.metrics import Evaluation


@dataclass(frozen=True)
class Bar:
    """Thresholds; the defaults are the project's acceptance bar."""

    min_precision: float = 0.99
    min_recall: float = 0.95
    min_exchange_recall: float = 0.98
    max_persona_fpr: float = 0.005
    min_campaign_flagged: float = 0.90
    min_campaign_grouped: float = 0.80


@dataclass(frozen=True)
class Check:
    """One comparison of a figure with its threshold."""

    name: str
    value: float
    op: str  # ">=" or "<="
    threshold: float

    @property
    def passed(self) -> bool:
        if self.op == ">=":
            return self.value >= self.threshold
        return self.value <= self.threshold


def check_bar(ev: Evaluation, bar: Bar | None = None) -> list[Check]:
    """All checks of ``ev`` against ``bar``: the headline figures, every persona, every campaign.

    Campaigns with no attack-labelled account (traffic only through mixed accounts) are judged by
    exchange recall alone, which the headline check already covers.
    """
    bar = bar or Bar()
    checks = [
        Check("account precision", ev.precision, ">=", bar.min_precision),
        Check("account recall", ev.recall, ">=", bar.min_recall),
        Check("exchange recall", ev.exchange_recall, ">=", bar.min_exchange_recall),
    ]
    checks += [
        Check(f"FPR persona {p.persona}", p.fpr, "<=", bar.max_persona_fpr) for p in ev.personas
    ]
    for c in ev.campaigns:
        if c.share_flagged is None or c.share_grouped is None:
            continue
        checks.append(
            Check(
                f"campaign {c.campaign_id} flagged", c.share_flagged, ">=", bar.min_campaign_flagged
            )
        )
        checks.append(
            Check(
                f"campaign {c.campaign_id} under one id",
                c.share_grouped,
                ">=",
                bar.min_campaign_grouped,
            )
        )
    return checks
