"""Score each community of linked accounts, explainably.

A community is a campaign when it is both *coordinated* and *harvesting*:

* coordination — for each evidence family, the share of members that have a strong link of that
  family inside the community (its *coverage*), fused across families as independent evidence;
  a community whose members all sit in one organisation is one customer, not a fleet, and is
  discounted;
* harvesting — the mean harvest score of the members (see :mod:`distillguard.accounts.score`).

``score = sqrt(coordination * harvesting) * org_factor``. Each term becomes a
:class:`~distillguard.campaigns.model.Finding`, so the report shows exactly why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from distillguard.accounts.score import HARVEST_INDICATORS
from distillguard.campaigns.model import Finding

FAMILY_TEXT: dict[str, str] = {
    "payment": "share payment instruments",
    "template": "build prompts from the same templates",
    "sync": "are active in the same minutes (synchronised)",
    "twin": "have near-identical usage profiles (one workload sharded)",
    "network": "send from the same networks (/24 or /48)",
    "signup": "signed up in the same hour",
    "client": "use the same uncommon client build (user agent + TLS fingerprint)",
    "email": "share an uncommon e-mail domain",
}


@dataclass
class CommunityScore:
    score: float
    coordination: float
    harvesting: float
    org_factor: float
    findings: list[Finding]


def score_community(
    members: np.ndarray,
    account_ids: np.ndarray,
    accounts: pl.DataFrame,
    harvest: np.ndarray,
    parts: dict[str, np.ndarray],
    intra: pl.DataFrame,
    reliability: dict[str, float],
    *,
    link_floor: float = 0.3,
) -> CommunityScore:
    """Score one community. ``intra`` holds its fused edges with one column per family."""
    n = len(members)
    findings: list[Finding] = []
    miss = 1.0
    for family, c in sorted(reliability.items(), key=lambda kv: -kv[1]):
        if family not in intra.columns:
            continue
        strong = intra.filter(pl.col(family) >= link_floor)
        if strong.is_empty():
            continue
        linked = np.unique(np.concatenate([strong["a"].to_numpy(), strong["b"].to_numpy()]))
        coverage = len(linked) / n
        mean_w = float(strong[family].to_numpy().mean())
        miss *= 1.0 - c * coverage * mean_w
        findings.append(
            Finding(
                signal=f"linkage.{family}",
                strength=coverage * mean_w,
                description=(
                    f"{len(linked)} of {n} accounts {FAMILY_TEXT.get(family, family)} "
                    f"(mean link strength {mean_w:.2f})"
                ),
                account_ids=tuple(account_ids[linked][:50].tolist()),
            )
        )
    coordination = 1.0 - miss
    harvesting = float(np.mean(harvest[members])) if n else 0.0
    for ind in HARVEST_INDICATORS:
        if ind.column not in parts:
            continue
        member_part = parts[ind.column][members]
        if not np.isfinite(member_part).any():
            continue
        level = float(np.nanmean(member_part))
        if level < 0.6:
            continue
        col = accounts[ind.column].cast(pl.Float64)
        camp_val = float(np.nanmedian(col.to_numpy()[members]))
        pop_val = float(np.nanmedian(col.to_numpy()))
        findings.append(
            Finding(
                signal=f"behaviour.{ind.column}",
                strength=level,
                description=(
                    f"{ind.meaning}: median {camp_val:.3g} in the campaign vs {pop_val:.3g} "
                    "across all accounts"
                ),
                account_ids=(),
            )
        )
    orgs = accounts["org_id"].to_numpy()[members] if "org_id" in accounts.columns else None
    org_factor = 1.0
    if orgs is not None:
        known = [o for o in orgs.tolist() if o is not None]
        if known:
            values, counts = np.unique(np.asarray(known, dtype=object), return_counts=True)
            top = counts.max() / n
            if top >= 0.8:
                org_factor = 0.3
                findings.append(
                    Finding(
                        signal="context.single_org",
                        strength=float(top),
                        description=(
                            f"{top:.0%} of accounts belong to one organisation "
                            f"({values[counts.argmax()]}): looks like one customer's own fleet"
                        ),
                    )
                )
    score = float(np.sqrt(max(coordination, 0.0) * max(harvesting, 0.0)) * org_factor)
    findings.sort(key=lambda f: -f.strength)
    return CommunityScore(score, coordination, harvesting, org_factor, findings)
