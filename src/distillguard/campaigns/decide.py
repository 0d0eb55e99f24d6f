"""Decide which linked groups are campaigns, and describe each so an analyst can act on it.

The clustering stage hands over groups of linked accounts; this stage

1. scores each group (:func:`score_communities`, see :mod:`distillguard.campaigns.score`) against
   its threshold (:func:`flag_threshold`: higher for small groups);
2. turns the flagged groups into :class:`~distillguard.campaigns.model.Campaign` objects with
   verifiable evidence (true counts, example request ids, redacted excerpts, observed values in
   real units), every shared indicator with its prevalence in the whole log and whether it is
   safe to block (:func:`indicator_prevalence`), the score's parts, a recommended action
   (:func:`recommended_action`) and what the score means on labelled data (:func:`calibration_at`);
3. builds the review queue (:func:`review_queue`): what the threshold missed but a person should
   look at, bounded so it stays readable.

Everything here works on one row per account, the bounded request sample, and Ibis expressions
over the request table (one query per indicator kind): a service can call :func:`decide` over a
sliding window as well as the batch pipeline over a whole log.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol

import ibis
import ibis.expr.types as ir
import numpy as np
import polars as pl

from distillguard.accounts.profile import group_difference
from distillguard.accounts.score import HARVEST_INDICATORS
from distillguard.campaigns.cluster import ClusterConfig, members_by_label
from distillguard.campaigns.identity import stable_campaign_ids
from distillguard.campaigns.model import AccountVerdict, Campaign, Finding, ReviewItem
from distillguard.campaigns.score import OUTLIER_EXCESS, CommunityScore, score_community

__all__ = [
    "FIELD_KINDS",
    "Decision",
    "DecisionSettings",
    "FindingsConfig",
    "assign_campaign_ids",
    "calibration_at",
    "campaign_capabilities",
    "campaign_details",
    "decide",
    "flag_threshold",
    "indicator_prevalence",
    "recommended_action",
    "redact",
    "review_queue",
    "score_communities",
]

FIELD_KINDS = (
    "ip_prefix",
    "asn",
    "country",
    "user_agent",
    "tls_fingerprint",
    "payment_fingerprint",
    "email_domain",
)
"""Indicator kinds read from an input field; ``system_prompt`` (a SHA-256 prefix of the text) and
``prompt_template`` (a masked-skeleton hash from the sample) are fingerprints."""

# What each harvest indicator's raw account column measures, and how to turn the stored value
# into real units (the account table keeps some of them as log10).
_UNITS: dict[str, tuple[str, str]] = {
    "trace_share": ("share of sampled requests", "identity"),
    "elicitation_share": ("share of sampled requests", "identity"),
    "continuity": ("share of conversation turns present in the log", "identity"),
    "cap_grading_reward": ("share of sampled requests", "identity"),
    "first_turn_share": ("share of requests", "identity"),
    "pivot_share": ("share of traffic in the 48 h after a model release", "identity"),
    "max_tokens_mean": ("max_tokens (geometric mean)", "pow10"),
    "out_in_ratio": ("output/input tokens (geometric mean)", "pow10"),
    "young_at_first_use": ("hours from sign-up to first request", "age"),
    "ip_rotation": ("share of requests from a network new to the account", "identity"),
    "trajectory_share": ("share of sampled requests", "identity"),
    "state_carry_share": ("share of sampled requests", "identity"),
    "tools_without_loop": ("share of requests defining tools, never continued", "identity"),
}
_SIGNAL_SAMPLE_FILTER: dict[str, pl.Expr] = {
    "behaviour.trace_share": pl.col("trace_reconstruction") > 0.5,
    "behaviour.elicitation_share": pl.col("elicitation") > 0.5,
    "behaviour.cap_grading_reward": pl.col("capability") == "grading_reward",
    "behaviour.trajectory_share": pl.col("trajectory") > 0.5,
    "behaviour.state_carry_share": pl.col("state_carry") > 0.5,
}


class DecisionSettings(Protocol):
    """The knobs :func:`decide` reads (a :class:`~distillguard.pipeline.detect.DetectConfig`
    has them all)."""

    flag_threshold: float
    small_campaign: int
    small_margin: float
    cluster: ClusterConfig
    previous_campaigns: dict[str, list[str]] | None


@dataclass(frozen=True)
class FindingsConfig:
    """How findings are described, and the rules behind ``blockable``, the action and the queue.

    ``blockable``: an indicator is safe to block when at least ``blockable_share`` of the accounts
    in the log that use it are flagged (in this campaign or another) and at least
    ``blockable_min_accounts`` of the campaign's accounts use it; everything else is context.
    Kinds in ``context_only_kinds`` (a whole ASN or country) are never blockable however clean
    this log looks: a rule on them blocks every future customer behind that network or border
    (seen on benchmark seed 1: a cloud ASN with 115 flagged users and one benign one).
    Indicators are those used by at least ``min_shared_accounts`` of a campaign's accounts; at
    most ``indicator_page`` per kind are listed (blockable first), with the kind's total.

    Action: ``block`` when the score clears its threshold by ``block_margin``, the campaign has at
    least ``small_campaign`` accounts and it has a blockable indicator or a calibrated precision
    of at least ``block_precision``; ``review`` when it clears the threshold by less than
    ``review_margin`` or is small; ``throttle`` otherwise.

    Review queue: at most ``review_max_accounts`` accounts in all, of which ``review_top_accounts``
    are kept for the unflagged accounts that harvest most; lookalikes are unflagged groups whose
    behaviour differs from a campaign's by less than ``lookalike_difference`` pooled spreads.
    """

    blockable_share: float = 0.99
    blockable_min_accounts: int = 3
    context_only_kinds: tuple[str, ...] = ("asn", "country")
    min_shared_accounts: int = 2
    indicator_page: int = 100
    block_margin: float = 0.15
    review_margin: float = 0.05
    block_precision: float = 0.99
    review_max_accounts: int = 300
    review_top_accounts: int = 100
    lookalike_difference: float = 2.0
    example_requests: int = 5
    excerpt_chars: int = 160
    excerpts: bool = True


@dataclass(frozen=True)
class Decision:
    """What :func:`decide` returns: the campaigns, one verdict per account, the review queue."""

    campaigns: list[Campaign]
    verdicts: list[AccountVerdict]
    review: list[ReviewItem]


def flag_threshold(size: int, cfg: DecisionSettings) -> float:
    """The score a group of ``size`` accounts must reach to be flagged: groups smaller than
    ``small_campaign`` need ``small_margin`` more (a handful of accounts can look coordinated by
    coincidence, a large fleet cannot)."""
    return cfg.flag_threshold + (cfg.small_margin if size < cfg.small_campaign else 0.0)


def score_communities(
    labels: np.ndarray,
    accounts: pl.DataFrame,
    levels: dict[str, np.ndarray],
    weighted: pl.DataFrame,
    cfg: DecisionSettings,
    slack: float = 0.0,
) -> list[tuple[np.ndarray, CommunityScore]]:
    """Score every community of at least ``min_accounts`` accounts; keep those that pass the
    flag threshold (higher for small groups), or come within ``slack`` of it."""
    ids = accounts["account_id"].to_numpy()
    orgs = accounts["org_id"].to_numpy()
    a = weighted["a"].to_numpy()
    b = weighted["b"].to_numpy()
    same = (labels[a] == labels[b]) & (labels[a] >= 0)
    inside = weighted.filter(pl.Series(same)).with_columns(pl.Series("c", labels[a][same]))
    by_label = {int(k[0]): g for k, g in inside.group_by("c")} if not inside.is_empty() else {}
    population = {k: float(np.nanmedian(v)) for k, v in levels.items() if np.isfinite(v).any()}
    excess = accounts["harvest_vs_org"].to_numpy() if "harvest_vs_org" in accounts.columns else None
    out = []
    for label, members in members_by_label(labels):
        if len(members) < cfg.cluster.min_accounts:
            continue
        intra = by_label.get(label, weighted.clear())
        result = score_community(
            members,
            ids,
            orgs,
            levels,
            intra,
            cfg.cluster.reliability,
            population=population,
            org_excess=excess,
        )
        if result.score >= flag_threshold(len(members), cfg) - slack:
            out.append((members, result))
    return out


def assign_campaign_ids(
    groups: Sequence[np.ndarray],
    ids: np.ndarray,
    first_seen: np.ndarray,
    previous: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """THE place campaign ids are assigned: one per member-index array of ``groups``, in order.

    Ids are derived from the campaign, not its rank (see :mod:`distillguard.campaigns.identity`):
    carried over from ``previous`` campaigns by member overlap, else from the member seen first.
    """
    members = [ids[m].tolist() for m in groups]
    seen = {str(ids[i]): first_seen[i] for m in groups for i in m}
    return stable_campaign_ids(members, seen, previous)


def decide(
    t: ir.Table,
    accounts: pl.DataFrame,
    sample: pl.DataFrame,
    harvest: np.ndarray,
    levels: dict[str, np.ndarray],
    weighted: pl.DataFrame,
    groups: np.ndarray,
    cfg: DecisionSettings,
    *,
    near: Iterable[np.ndarray] = (),
    communities: np.ndarray | None = None,
    profiles: np.ndarray | None = None,
    findings: FindingsConfig | None = None,
    cleared: np.ndarray | None = None,
) -> Decision:
    """Campaigns, verdicts and review queue from the final account ``groups`` (labels, -1 for
    none). ``near`` are the member arrays of groups that came close to the threshold,
    ``communities`` the first-pass community labels and ``profiles`` the standardised behaviour
    profiles (both for lookalikes in the review queue); ``t`` is the analysed request table.
    ``cleared`` marks allowlisted accounts (:mod:`~distillguard.campaigns.allow`), which the
    review queue leaves out."""
    fc = findings or FindingsConfig()
    ids = accounts["account_id"].to_numpy()
    # Outside any campaign an account is never flagged: its score stays below the threshold.
    scores = 0.9 * cfg.flag_threshold * harvest
    scored = [
        (r.score, members, r)
        for members, r in score_communities(groups, accounts, levels, weighted, cfg)
    ]
    scored.sort(key=lambda s: -s[0])
    membership = np.full(len(ids), -1)
    for k, (score, members, _) in enumerate(scored):
        membership[members] = k
        # A member's score is its campaign's, nudged by its own harvesting level.
        scores[members] = np.maximum(score * (0.85 + 0.15 * harvest[members]), cfg.flag_threshold)
    campaign_of = dict(
        enumerate(
            assign_campaign_ids(
                [m for _, m, _ in scored],
                ids,
                accounts["first_ts"].to_numpy(),
                cfg.previous_campaigns,
            )
        )
    )
    details = campaign_details(t, ids, membership, campaign_of)
    indicators, totals = indicator_prevalence(t, ids, membership, campaign_of, sample, fc)
    population = _population_units(accounts)
    campaigns: list[Campaign] = []
    for k, (score, members, result) in enumerate(scored):
        cid = campaign_of[k]
        d = details.get(cid, {})
        threshold = flag_threshold(len(members), cfg)
        inds = indicators.get(cid, [])
        calibration = calibration_at(score)
        action, why = recommended_action(
            score,
            threshold,
            len(members),
            sum(bool(i["blockable"]) for i in inds),
            cfg,
            fc,
            precision=None if calibration is None else calibration.get("precision"),
        )
        evidence = [
            _enrich(f, members, ids, accounts, sample, population, fc) for f in result.findings
        ]
        campaigns.append(
            Campaign(
                campaign_id=cid,
                score=score,
                accounts=sorted(ids[members].tolist()),
                exchanges=int(d.get("exchanges", 0)),
                first_seen=d.get("first_seen", datetime.min),
                last_seen=d.get("last_seen", datetime.min),
                capabilities=campaign_capabilities(accounts, members),
                indicators=inds,
                evidence=evidence,
                timeline=d.get("timeline", []),
                models=d.get("models", {}),
                timeline_by_model=d.get("timeline_by_model", {}),
                score_parts={
                    "harvest": result.harvesting,
                    "coordination": result.coordination,
                    "org_factor": result.org_factor,
                },
                threshold=threshold,
                recommended_action=action,
                action_reasons=why,
                indicator_totals=totals.get(cid, {}),
                calibration=calibration,
            )
        )
    if fc.excerpts:
        campaigns = _with_excerpts(t, campaigns, fc)
    reasons = _account_reasons(accounts, levels, membership, campaigns)
    exchanges = accounts["n"].to_numpy()
    verdicts = [
        AccountVerdict(
            account_id=str(ids[i]),
            score=float(min(max(scores[i], 0.0), 1.0)),
            flagged=bool(membership[i] >= 0),
            campaign_id=campaign_of.get(int(membership[i])),
            exchanges=int(exchanges[i]),
            reasons=reasons[i],
        )
        for i in range(len(ids))
    ]
    review = review_queue(
        accounts,
        levels,
        weighted,
        cfg,
        flagged=(membership >= 0) if cleared is None else (membership >= 0) | cleared,
        scores=scores,
        near=list(near),
        communities=communities,
        profiles=profiles,
        campaigns=[(campaign_of[k], m) for k, (_, m, _) in enumerate(scored)],
        findings=fc,
    )
    return Decision(campaigns=campaigns, verdicts=verdicts, review=review)


def recommended_action(
    score: float,
    threshold: float,
    size: int,
    blockable: int,
    cfg: DecisionSettings,
    findings: FindingsConfig | None = None,
    *,
    precision: float | None = None,
) -> tuple[str, list[str]]:
    """``block``, ``throttle`` or ``review`` for a flagged campaign, with the reasons.

    Blocking is for what is both clearly over the line and safe to act on at scale: a score at
    least ``block_margin`` over the threshold, a fleet (``small_campaign`` accounts or more) and
    either an indicator that only the campaign uses or a measured precision of at least
    ``block_precision`` at that score. A score barely over the threshold, or a handful of
    accounts, goes to a person; anything else is throttled while it is confirmed.

    >>> class S:
    ...     flag_threshold, small_campaign, small_margin, cluster = 0.5, 5, 0.1, None
    >>> recommended_action(0.8, 0.5, 400, 3, S())[0]
    'block'
    >>> recommended_action(0.52, 0.5, 400, 3, S())[0]
    'review'
    >>> recommended_action(0.6, 0.5, 400, 0, S())[0]
    'throttle'
    """
    fc = findings or FindingsConfig()
    margin = score - threshold
    if size < cfg.small_campaign:
        return "review", [f"only {size} accounts: a small group can look coordinated by chance"]
    if margin < fc.review_margin:
        return "review", [f"score {score:.2f} is within {fc.review_margin:.2f} of the threshold"]
    safe = blockable > 0 or (precision is not None and precision >= fc.block_precision)
    if margin >= fc.block_margin and safe:
        why = [f"score {score:.2f} clears the threshold {threshold:.2f} by {margin:.2f}"]
        if blockable:
            why.append(f"{blockable} indicators are used almost only by flagged accounts")
        if precision is not None:
            why.append(f"precision {precision:.1%} at this score on labelled benchmark runs")
        return "block", why
    if margin < fc.block_margin:
        return "throttle", [
            f"score {score:.2f} clears the threshold by less than {fc.block_margin}"
        ]
    return "throttle", ["no indicator is safe to block and the score is not calibrated to block"]


@lru_cache(maxsize=1)
def _calibration_table() -> dict[str, Any] | None:
    try:
        text = resources.files("distillguard.campaigns").joinpath("calibration.json").read_text()
    except (FileNotFoundError, OSError):
        return None
    doc: dict[str, Any] = json.loads(text)
    return doc


def calibration_at(score: float) -> dict[str, Any] | None:
    """What a campaign score means: the precision measured at that score (the share of
    attack accounts among accounts of detected campaigns scored in the same bin) on labelled
    benchmark runs, from the table shipped with the package (``calibration.json``, written by
    ``distillguard evaluate --calibration``). ``None`` when no table ships."""
    table = _calibration_table()
    if not table:
        return None
    for row in table.get("campaigns", []):
        if row["low"] <= score < row["high"] or (row["high"] >= 1.0 and score >= row["low"]):
            return {
                "bin": [row["low"], row["high"]],
                "precision": row["precision"],
                "precision_low95": row.get("precision_low95"),
                "accounts": row["accounts"],
                "campaigns": row.get("campaigns"),
                "measured_on": table.get("measured_on"),
            }
    return None


def campaign_capabilities(accounts: pl.DataFrame, members: np.ndarray) -> dict[str, float]:
    """Each capability's share of the campaign's exchanges (weighted by account volume)."""
    derived = ("cap_concentration", "cap_entropy")
    cols = [c for c in accounts.columns if c.startswith("cap_") and c not in derived]
    if not cols:
        return {}
    sub = accounts[members.tolist()]
    weight = sub["n"].cast(pl.Float64).to_numpy()
    mix = {c[4:]: float(np.average(sub[c].fill_null(0.0).to_numpy(), weights=weight)) for c in cols}
    total = sum(mix.values()) or 1.0
    return {k: v / total for k, v in sorted(mix.items(), key=lambda kv: -kv[1]) if v > 0}


def _mapping(ids: np.ndarray, membership: np.ndarray, campaign_of: dict[int, str]) -> ir.Table:
    flagged = membership >= 0
    return ibis.memtable(
        {
            "account_id": ids[flagged].tolist(),
            "campaign_id": [campaign_of[int(m)] for m in membership[flagged]],
        }
    )


def campaign_details(
    t: ir.Table, ids: np.ndarray, membership: np.ndarray, campaign_of: dict[int, str]
) -> dict[str, dict[str, Any]]:
    """Exchanges, first/last seen, daily timeline and model mix per campaign."""
    if not (membership >= 0).any():
        return {}
    j = t.join(_mapping(ids, membership, campaign_of), "account_id")
    out: dict[str, dict[str, Any]] = {cid: {} for cid in campaign_of.values()}
    head = j.group_by("campaign_id").aggregate(
        exchanges=j.count(), first_seen=j.timestamp.min(), last_seen=j.timestamp.max()
    )
    for row in head.to_pyarrow().to_pylist():
        out[row["campaign_id"]].update(row)
    daily = (
        j.group_by(["campaign_id", j.timestamp.date().cast("string").name("day"), "model"])
        .aggregate(n=ibis._.count())
        .order_by(["campaign_id", "day", "model"])
    )
    for row in daily.to_pyarrow().to_pylist():
        d = out[row["campaign_id"]]
        d.setdefault("timeline_by_model", {}).setdefault(row["model"], []).append(
            (row["day"], row["n"])
        )
        models = d.setdefault("models", {})
        models[row["model"]] = models.get(row["model"], 0) + row["n"]
        timeline = d.setdefault("timeline", [])
        if timeline and timeline[-1][0] == row["day"]:
            timeline[-1] = (row["day"], timeline[-1][1] + row["n"])
        else:
            timeline.append((row["day"], row["n"]))
    return out


def _field_value(t: ir.Table, kind: str) -> ir.Value:
    if kind == "system_prompt":
        # A fingerprint of the text, never the text: the first 16 hex digits of its SHA-256.
        return t.system_prompt.hexdigest("sha256").substr(0, 16)
    return t[kind]


def indicator_prevalence(
    t: ir.Table,
    ids: np.ndarray,
    membership: np.ndarray,
    campaign_of: dict[int, str],
    sample: pl.DataFrame,
    findings: FindingsConfig | None = None,
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, int]]]:
    """Every indicator value that ``min_shared_accounts`` or more of a campaign's accounts share,
    with its prevalence in the whole analysed log, and whether it is safe to block.

    One engine query per field kind computes, for each value, the accounts of each campaign that
    use it and every account in the log that does (and how many of those are flagged).
    ``prompt_template`` prevalence is counted over the request sample, which holds requests of
    every account. Returns per campaign the listed indicators (at most ``indicator_page`` per
    kind, blockable first) and per campaign the total number of values of each kind.
    """
    fc = findings or FindingsConfig()
    if not (membership >= 0).any():
        return {}, {}
    mapping = _mapping(ids, membership, campaign_of)
    rows: list[dict[str, Any]] = []
    for kind in (*FIELD_KINDS, "system_prompt"):
        if kind not in t.columns:
            continue
        value = _field_value(t, kind)
        pairs = (
            t.filter(value.notnull())
            .group_by([value.name("value"), t.account_id])
            .aggregate(n=ibis._.count())
            .left_join(mapping, "account_id")
        )
        in_log = pairs.group_by("value").aggregate(
            accounts_in_log=ibis._.count(),
            flagged_in_log=ibis._.campaign_id.notnull().cast("int64").sum(),
        )
        mine = (
            pairs.filter(pairs.campaign_id.notnull())
            .group_by(["campaign_id", "value"])
            .aggregate(accounts_in_campaign=ibis._.count(), exchanges_in_campaign=ibis._.n.sum())
            .filter(ibis._.accounts_in_campaign >= fc.min_shared_accounts)
        )
        q = mine.join(in_log, "value")
        rows.extend({"kind": kind, **row} for row in q.to_pyarrow().to_pylist())
    rows.extend(_template_rows(sample, ids, membership, campaign_of, fc))
    by_campaign: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        n_log = int(row["accounts_in_log"])
        n_in = int(row["accounts_in_campaign"])
        flagged = int(row.get("flagged_in_log") or n_in)
        outside = n_log - flagged
        entry: dict[str, Any] = {
            "kind": row["kind"],
            "value": _typed(row["value"]),
            "accounts_in_campaign": n_in,
            "accounts_in_log": n_log,
            "accounts_flagged_in_log": flagged,
            "share_of_users_in_campaign": round(n_in / n_log, 4) if n_log else 0.0,
            "exchanges_in_campaign": int(row.get("exchanges_in_campaign") or 0),
            "blockable": bool(
                row["kind"] not in fc.context_only_kinds
                and n_in >= fc.blockable_min_accounts
                and outside <= (1.0 - fc.blockable_share) * n_log
            ),
        }
        for extra in ("request_ids", "prevalence_basis"):
            if extra in row:
                entry[extra] = row[extra]
        by_campaign.setdefault(str(row["campaign_id"]), []).append(entry)
    listed: dict[str, list[dict[str, Any]]] = {}
    totals: dict[str, dict[str, int]] = {}
    order = {k: i for i, k in enumerate((*FIELD_KINDS, "system_prompt", "prompt_template"))}
    for cid, items in by_campaign.items():
        items.sort(
            key=lambda e: (
                order[e["kind"]],
                not e["blockable"],
                -e["accounts_in_campaign"],
                -e["exchanges_in_campaign"],
                str(e["value"]),
            )
        )
        counts: dict[str, int] = {}
        keep = []
        for e in items:
            counts[e["kind"]] = counts.get(e["kind"], 0) + 1
            if counts[e["kind"]] <= fc.indicator_page:
                keep.append(e)
        listed[cid] = keep
        totals[cid] = counts
    return listed, totals


def _typed(value: Any) -> Any:
    """JSON-native values: integers stay numbers (ASNs), everything else a string."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    return str(value)


def redact(prompt: pl.Expr, chars: int = 160) -> pl.Expr:
    """A short excerpt with e-mail addresses, URLs and digits masked, on a whole column.

    >>> df = pl.DataFrame({"p": ["Mail bob@example.com about order 4521 at https://x.io/a?b=1"]})
    >>> df.select(redact(pl.col("p"), 60)).item()
    'Mail [email] about order #### at [url]'
    """
    return (
        prompt.str.replace_all(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", "[email]")
        .str.replace_all(r"(?:https?://|www\.)\S+", "[url]")
        .str.replace_all(r"\d", "#")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .str.slice(0, chars)
    )


def _template_rows(
    sample: pl.DataFrame,
    ids: np.ndarray,
    membership: np.ndarray,
    campaign_of: dict[int, str],
    fc: FindingsConfig,
) -> list[dict[str, Any]]:
    """Prompt-template fingerprints (hashes of masked prompt skeletons) shared by a campaign's
    accounts, with their prevalence over every account's sampled requests, example request ids
    and a redacted excerpt."""
    if sample.is_empty() or "skeleton" not in sample.columns:
        return []
    s = sample.filter(pl.col("skeleton").is_not_null())
    s = s.with_columns(pl.Series("k", membership[s["idx"].to_numpy()], dtype=pl.Int64))
    users = s.group_by("skeleton").agg(
        pl.col("idx").n_unique().alias("accounts_in_log"),
        pl.col("idx").filter(pl.col("k") >= 0).n_unique().alias("flagged_in_log"),
    )
    mine = (
        s.filter(pl.col("k") >= 0)
        .sort("request_id")
        .group_by(["k", "skeleton"])
        .agg(
            pl.col("idx").n_unique().alias("accounts_in_campaign"),
            pl.len().alias("exchanges_in_campaign"),
            pl.col("request_id").head(fc.example_requests).alias("request_ids"),
        )
        .filter(pl.col("accounts_in_campaign") >= fc.min_shared_accounts)
        .join(users, on="skeleton")
    )
    out = []
    for row in mine.iter_rows(named=True):
        entry = {
            "campaign_id": campaign_of[int(row["k"])],
            "kind": "prompt_template",
            "value": f"{int(row['skeleton']) & 0xFFFFFFFFFFFFFFFF:016x}",
            "accounts_in_campaign": row["accounts_in_campaign"],
            "accounts_in_log": row["accounts_in_log"],
            "flagged_in_log": row["flagged_in_log"],
            "exchanges_in_campaign": row["exchanges_in_campaign"],
            "request_ids": [str(r) for r in row["request_ids"]],
            "prevalence_basis": "sampled requests",
        }
        out.append(entry)
    return out


def _population_units(accounts: pl.DataFrame) -> dict[str, float]:
    """The median account's value of each indicator column, in real units."""
    out: dict[str, float] = {}
    for column in (*_UNITS, "_per_day"):
        series = _real_units(accounts, column)
        if series is not None and np.isfinite(series).any():
            out[column] = float(np.nanmedian(series))
    return out


def _real_units(accounts: pl.DataFrame, column: str) -> np.ndarray | None:
    if column == "_per_day":
        n = accounts["n"].cast(pl.Float64).to_numpy()
        days = accounts["active_days"].cast(pl.Float64).to_numpy()
        per_day: np.ndarray = n / np.maximum(days, 1.0)
        return per_day
    if column not in accounts.columns:
        return None
    x = accounts[column].cast(pl.Float64).fill_null(np.nan).to_numpy().astype(np.float64)
    how = _UNITS[column][1]
    if how == "pow10":
        return np.asarray(np.power(10.0, x), dtype=np.float64)
    if how == "age":
        return np.asarray(np.power(10.0, -x) - 1.0, dtype=np.float64)
    return x


def _enrich(
    f: Finding,
    members: np.ndarray,
    ids: np.ndarray,
    accounts: pl.DataFrame,
    sample: pl.DataFrame,
    population: dict[str, float],
    fc: FindingsConfig,
) -> Finding:
    """Add observed values in real units and example request ids."""
    observed = dict(f.observed)
    column = f.signal.split(".", 1)[1] if f.signal.startswith("behaviour.") else None
    if column in _UNITS:
        x = _real_units(accounts, column)
        if x is not None:
            mine = x[members]
            unit = _UNITS[column][0]
            observed.update(
                unit=unit,
                campaign_median=_round(np.nanmedian(mine)) if np.isfinite(mine).any() else None,
                population_median=_round(population.get(column, float("nan"))),
            )
        rate = _real_units(accounts, "_per_day")
        assert rate is not None
        observed["requests_per_account_day"] = {
            "campaign_median": _round(np.nanmedian(rate[members])),
            "population_median": _round(population.get("_per_day", float("nan"))),
        }
    behind = f.account_ids or tuple(ids[members].tolist())
    return replace(f, observed=observed, request_ids=_examples(sample, behind, f.signal, fc))


def _with_excerpts(t: ir.Table, campaigns: list[Campaign], fc: FindingsConfig) -> list[Campaign]:
    """Short redacted excerpts of the example requests of every finding and template: one
    query for all of them (a few thousand ids at most), redacted as a column."""
    wanted = sorted(
        {r for c in campaigns for f in c.evidence for r in f.request_ids}
        | {r for c in campaigns for i in c.indicators for r in i.get("request_ids", [])[:1]}
    )
    if not wanted or "prompt" not in t.columns:
        return campaigns
    ids = ibis.memtable({"request_id": wanted}, schema={"request_id": "string"})
    picked = t.select("request_id", "prompt").join(ids, "request_id")
    frame = pl.from_arrow(picked.to_pyarrow())
    assert isinstance(frame, pl.DataFrame)
    frame = frame.filter(pl.col("prompt").is_not_null()).select(
        "request_id", redact(pl.col("prompt"), fc.excerpt_chars).alias("excerpt")
    )
    text = {str(k): str(v) for k, v in frame.iter_rows() if v}
    if not text:
        return campaigns
    out = []
    for c in campaigns:
        evidence = [
            replace(f, excerpts=tuple(text[r] for r in f.request_ids if r in text))
            for f in c.evidence
        ]
        indicators = [
            {**i, "excerpt": text[i["request_ids"][0]]}
            if i.get("request_ids") and i["request_ids"][0] in text
            else i
            for i in c.indicators
        ]
        out.append(replace(c, evidence=evidence, indicators=indicators))
    return out


def _round(x: float) -> float | None:
    return round(float(x), 4) if np.isfinite(x) else None


def _examples(
    sample: pl.DataFrame, account_ids: Sequence[str], signal: str, fc: FindingsConfig
) -> tuple[str, ...]:
    """Example sampled requests of the accounts behind a finding (those that show the signal
    when the sample records it): one per account, the first few accounts."""
    if sample.is_empty() or "account_id" not in sample.columns:
        return ()
    rows = sample.filter(pl.col("account_id").is_in(list(account_ids)))
    wanted = _SIGNAL_SAMPLE_FILTER.get(signal)
    if wanted is not None and set(wanted.meta.root_names()) <= set(rows.columns):
        showing = rows.filter(wanted)
        rows = showing if not showing.is_empty() else rows
    rows = rows.sort(["account_id", "request_id"]).unique(
        "account_id", keep="first", maintain_order=True
    )
    rows = rows.head(fc.example_requests)
    return tuple(str(r) for r in rows["request_id"].to_list())


def _account_reasons(
    accounts: pl.DataFrame,
    levels: dict[str, np.ndarray],
    membership: np.ndarray,
    campaigns: list[Campaign],
    top: int = 3,
) -> list[tuple[str, ...]]:
    """Each account's top reasons: its campaign's strongest finding, then the harvest indicators
    on which it stands out from the median account the most."""
    n = accounts.height
    meaning = {ind.column: ind.meaning for ind in HARVEST_INDICATORS}
    cols = [c for c in levels if c in meaning]
    excess = np.full((n, max(len(cols), 1)), np.nan)
    for j, c in enumerate(cols):
        excess[:, j] = levels[c] - np.nanmedian(levels[c])
    order = np.argsort(-np.nan_to_num(excess, nan=-9.0), axis=1)[:, :top]
    head = {
        k: f"campaign {c.campaign_id}: {c.evidence[0].description}" if c.evidence else ""
        for k, c in enumerate(campaigns)
    }
    out: list[tuple[str, ...]] = []
    for i in range(n):
        reasons = (
            [head[int(membership[i])]]
            if membership[i] >= 0 and head.get(int(membership[i]))
            else []
        )
        reasons.extend(
            f"{meaning[cols[j]]} ({levels[cols[j]][i]:.2f})"
            for j in (order[i] if cols else [])
            if np.isfinite(excess[i, j]) and excess[i, j] >= OUTLIER_EXCESS
        )
        out.append(tuple(reasons))
    return out


def _group_reasons(result: CommunityScore, top: int = 4) -> tuple[str, ...]:
    return tuple(f.description for f in result.findings[:top])


def review_queue(
    accounts: pl.DataFrame,
    levels: dict[str, np.ndarray],
    weighted: pl.DataFrame,
    cfg: DecisionSettings,
    *,
    flagged: np.ndarray,
    scores: np.ndarray,
    near: Sequence[np.ndarray] = (),
    communities: np.ndarray | None = None,
    profiles: np.ndarray | None = None,
    campaigns: Sequence[tuple[str, np.ndarray]] = (),
    findings: FindingsConfig | None = None,
) -> list[ReviewItem]:
    """What the threshold missed, for a person: near-miss groups (scored just under their
    threshold), lookalikes of flagged campaigns (unflagged groups that behave alike) and the
    unflagged accounts that harvest most, each with its score and reasons.

    Bounded: at most ``review_max_accounts`` accounts are listed in all, ``review_top_accounts``
    of them kept for single accounts; groups come first by score, a group that does not fit
    whole is listed in part (``account_count`` keeps its size).
    """
    fc = findings or FindingsConfig()
    ids = accounts["account_id"].to_numpy()
    volume = accounts["n"].to_numpy()
    free = ~flagged
    groups: list[tuple[str, float, np.ndarray, tuple[str, ...], str | None]] = []
    seen = np.zeros(len(ids), dtype=bool)
    near_labels = np.full(len(ids), -1, dtype=np.int64)
    for k, members in enumerate(near):
        rest = members[free[members] & (near_labels[members] < 0)]
        near_labels[rest] = k
    for members, r in score_communities(near_labels, accounts, levels, weighted, cfg, slack=1.0):
        why = (
            f"{len(members)} linked accounts scored {r.score:.2f}, under their threshold "
            f"{flag_threshold(len(members), cfg):.2f} (harvest {r.harvesting:.2f}, "
            f"coordination {r.coordination:.2f})",
            *_group_reasons(r, 3),
        )
        groups.append(("near_miss", r.score, members, why, None))
        seen[members] = True
    if communities is not None and profiles is not None and campaigns:
        candidate = np.where(free & ~seen, communities, -1)
        for members, r in score_communities(candidate, accounts, levels, weighted, cfg, slack=1.0):
            diffs = [
                (group_difference(profiles, members, m, quantile=0.9), cid) for cid, m in campaigns
            ]
            best, like = min(diffs)
            if best < fc.lookalike_difference:
                reasons = (
                    f"behaves like campaign {like} ({best:.2f} pooled spreads apart)",
                    *_group_reasons(r, 3),
                )
                groups.append(("lookalike", r.score, members, reasons, like))
                seen[members] = True
    groups.sort(key=lambda g: (-g[1], g[0], str(ids[g[2][0]])))
    budget = fc.review_max_accounts - fc.review_top_accounts
    out: list[ReviewItem] = []
    for kind, score, members, reasons, cid in groups:
        if budget <= 0:
            break
        order = members[np.argsort(-scores[members], kind="stable")]
        listed = order[:budget]
        budget -= len(listed)
        out.append(
            ReviewItem(
                kind=kind,
                accounts=tuple(sorted(ids[listed].tolist())),
                score=score,
                reasons=reasons,
                account_count=len(members),
                exchanges=int(volume[members].sum()),
                campaign_id=cid,
            )
        )
    budget += fc.review_top_accounts
    meaning = {ind.column: ind.meaning for ind in HARVEST_INDICATORS}
    singles = np.flatnonzero(free & ~seen)
    singles = singles[np.lexsort((ids[singles], -scores[singles]))][:budget]
    median = {c: float(np.nanmedian(v)) for c, v in levels.items() if c in meaning}
    for i in singles:
        tops = sorted(
            ((float(levels[c][i]) - m, c) for c, m in median.items()),
            key=lambda x: -np.nan_to_num(x[0], nan=-9.0),
        )
        reasons = tuple(
            f"{meaning[c]} ({levels[c][i]:.2f} vs median {median[c]:.2f})"
            for d, c in tops[:3]
            if np.isfinite(d) and d >= OUTLIER_EXCESS
        )
        out.append(
            ReviewItem(
                kind="account",
                accounts=(str(ids[i]),),
                score=float(scores[i]),
                reasons=reasons or ("among the unflagged accounts that harvest most",),
                account_count=1,
                exchanges=int(volume[i]),
            )
        )
    return out
