"""Score each community of linked accounts, explainably.

A community is a campaign when it is both *coordinated* and *harvesting*:

* coordination — for each evidence family, the share of members with a link of that family to
  another member in a *different* organisation (links inside one customer's organisation are
  expected), times the links' mean strength; families fuse as independent evidence;
* harvesting — the members' indicator levels (see :mod:`distillguard.accounts.score`) pooled and
  combined, so the campaign's tactics show even where one account's sample is small;
* a community whose members nearly all sit in one organisation is one customer's own fleet, and
  is discounted.

``score = sqrt(coordination * harvesting) * org_factor``. Each term becomes a
:class:`~distillguard.campaigns.model.Finding`, so the report shows exactly why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from distillguard.accounts.score import HARVEST_INDICATORS, combine
from distillguard.campaigns.model import Finding
from distillguard.linkage.registry import family_description

SINGLE_ORG_SHARE = 0.8
# Below this effective number of organisations (inverse Simpson index over members, an account
# with no organisation counting as its own) a group is scored as a few customers' own fleets.
FEW_ORGS = 3.0
OUTLIER_EXCESS = 0.2  # the margin over a reference at which a behaviour level is reported
SINGLE_ORG_FACTOR = 0.3
# A finding lists at most this many account ids; ``account_count`` always carries the true number.
EVIDENCE_IDS = 100


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
    org_ids: np.ndarray,
    levels: dict[str, np.ndarray],
    intra: pl.DataFrame,
    reliability: dict[str, float],
    *,
    link_floor: float = 0.3,
    population: dict[str, float] | None = None,
    org_excess: np.ndarray | None = None,
) -> CommunityScore:
    """Score one community. ``intra`` holds its fused edges (one column per family, and
    ``same_org``); ``population`` is each indicator's median level over all accounts (computed
    here when not given, so callers scoring many communities pass it once); ``org_excess`` is
    each account's harvest level relative to its own organisation's other accounts (see
    :func:`~distillguard.accounts.score.org_excess`), reported as context."""
    n = len(members)
    findings: list[Finding] = []
    miss = 1.0
    across = intra.filter(~pl.col("same_org")) if "same_org" in intra.columns else intra
    for family, c in sorted(reliability.items(), key=lambda kv: -kv[1]):
        if family not in across.columns:
            continue
        strong = across.filter(pl.col(family) >= link_floor)
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
                    f"{len(linked)} of {n} accounts {family_description(family)} "
                    f"(mean link strength {mean_w:.2f})"
                ),
                account_ids=tuple(account_ids[linked][:EVIDENCE_IDS].tolist()),
                account_count=len(linked),
                observed={
                    "accounts_linked": len(linked),
                    "coverage": round(coverage, 4),
                    "mean_link_strength": round(mean_w, 4),
                    "links": strong.height,
                },
            )
        )
    coordination = 1.0 - miss
    pooled: dict[str, np.ndarray] = {}
    for ind in HARVEST_INDICATORS:
        if ind.column not in levels:
            continue
        mine = levels[ind.column][members]
        if not np.isfinite(mine).any():
            continue
        level = float(np.nanmean(mine))
        pooled[ind.column] = np.array([level])
        median = (
            population[ind.column]
            if population is not None and ind.column in population
            else float(np.nanmedian(levels[ind.column]))
        )
        if level - median >= OUTLIER_EXCESS:
            # Strength is the deviation from the population, not the raw level: a level of 0.6
            # means little where the median account is at 0.5. The accounts behind it are the
            # members that stand out on their own.
            own = members[np.nan_to_num(mine, nan=-1.0) - median >= OUTLIER_EXCESS]
            findings.append(
                Finding(
                    signal=f"behaviour.{ind.column}",
                    strength=min(max(level - median, 0.0), 1.0),
                    description=(
                        f"{ind.meaning}: level {level:.2f} across the campaign vs "
                        f"{median:.2f} for the median account"
                    ),
                    account_ids=tuple(account_ids[own][:EVIDENCE_IDS].tolist()),
                    account_count=len(own),
                    observed={"level": round(level, 4), "population_level": round(median, 4)},
                )
            )
    harvesting = float(combine(pooled, 1)[0])
    org_factor, org_finding = _org_factor(org_ids[members])
    if org_finding is not None:
        findings.append(org_finding)
    if org_excess is not None:
        findings.extend(_org_outliers(members, account_ids, org_excess))
    score = float(np.sqrt(max(coordination, 0.0) * max(harvesting, 0.0)) * org_factor)
    findings.sort(key=lambda f: -f.strength)
    return CommunityScore(score, coordination, harvesting, org_factor, findings)


def _org_outliers(
    members: np.ndarray, account_ids: np.ndarray, org_excess: np.ndarray
) -> list[Finding]:
    """Members that harvest far more than the other accounts of their own organisation: a
    reseller's or an enterprise's accounts turned to harvesting, not the customer's workload."""
    excess = org_excess[members]
    judged = np.isfinite(excess)
    if not judged.any():
        return []
    out = members[judged & (excess >= OUTLIER_EXCESS)]
    if len(out) == 0:
        return []
    share = len(out) / int(judged.sum())
    return [
        Finding(
            signal="context.org_outliers",
            strength=share,
            description=(
                f"{len(out)} of {int(judged.sum())} accounts with peers in their organisation "
                f"harvest far more than those peers (median +"
                f"{float(np.median(org_excess[out])):.2f})"
            ),
            account_ids=tuple(account_ids[out][:EVIDENCE_IDS].tolist()),
            account_count=len(out),
            observed={
                "accounts_judged": int(judged.sum()),
                "median_excess_over_org": round(float(np.median(org_excess[out])), 4),
            },
        )
    ]


def _org_factor(orgs: np.ndarray) -> tuple[float, Finding | None]:
    """How far a group looks like its customers' own fleets rather than a campaign, and why.

    One organisation holding most members is one customer's fleet (``SINGLE_ORG_FACTOR``). Two
    organisations sharing a prompt and templates are more often a customer and its contractor,
    or two teams on one vendor's tool, than an operator: below ``FEW_ORGS`` effective
    organisations the factor is ``n_eff / FEW_ORGS``. Distillation campaigns spread over many
    sign-ups, each its own organisation (or none), where the factor is 1."""
    n = len(orgs)
    known = [o for o in orgs.tolist() if o is not None]
    if not known:
        return 1.0, None
    values, counts = np.unique(np.asarray(known, dtype=object), return_counts=True)
    top = counts.max() / n
    if top >= SINGLE_ORG_SHARE:
        return SINGLE_ORG_FACTOR, Finding(
            signal="context.single_org",
            strength=float(top),
            account_count=int(counts.max()),
            observed={"share_in_one_org": round(float(top), 4)},
            description=(
                f"{top:.0%} of accounts belong to one organisation "
                f"({values[counts.argmax()]}): looks like one customer's own fleet"
            ),
        )
    unknown = n - len(known)
    effective = n * n / (float((counts.astype(np.float64) ** 2).sum()) + unknown)
    if effective >= FEW_ORGS:
        return 1.0, None
    return max(SINGLE_ORG_FACTOR, effective / FEW_ORGS), Finding(
        signal="context.few_orgs",
        strength=float(1.0 - effective / FEW_ORGS),
        account_count=len(known),
        observed={"effective_orgs": round(effective, 2), "orgs": len(values)},
        description=(
            f"the accounts belong to {len(values)} organisations ({effective:.1f} effective): "
            "looks like a few customers' own fleets"
        ),
    )
