"""The detection pipeline: requests -> account behaviour -> linkage -> campaigns -> verdicts.

This module only wires the stages' public functions; each is usable alone (a windowed service
calls the same ones). Everything that touches every request is an Ibis expression executed by
the engine; Python sees one row per account plus a bounded sample of requests per account for
the text signals, so model inference never grows with raw traffic.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import polars as pl

from distillguard.accounts import account_table, score_accounts
from distillguard.campaigns.cluster import members_by_label
from distillguard.campaigns.identity import stable_campaign_ids
from distillguard.campaigns.model import AccountVerdict, Campaign, Detections
from distillguard.campaigns.score import CommunityScore, score_community
from distillguard.campaigns.stage import build_graph, campaign_groups
from distillguard.engine.base import Engine
from distillguard.linkage import LinkContext, link_accounts
from distillguard.pipeline.config import DetectConfig
from distillguard.signals import sample_request_signals, sample_size, summarise_by_account

Progress = Callable[[str], None]

INDICATOR_KEYS = ("ip_prefix", "asn", "tls_fingerprint", "user_agent", "payment_fingerprint")

__all__ = ["DetectConfig", "Progress", "detect"]


def _noop(_: str) -> None:
    return None


def detect(
    requests: ir.Table,
    config: DetectConfig | None = None,
    *,
    until: datetime | None = None,
    progress: Progress = _noop,
    engine: Engine | None = None,
) -> Detections:
    """Run detection over a conformed request table (see :func:`distillguard.engine.conform`).

    ``engine`` (the one that opened ``requests``) runs the text signals on the sample; without
    one they run in this process."""
    cfg = (config or DetectConfig()).check()
    linkers = cfg.linkers()
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now
        progress(f"{name}: {timings[name]:.1f}s")

    t = requests
    if until is not None:
        t = t.filter(t.timestamp < ibis.literal(until))
    accounts = account_table(t)
    lap("account_features")
    per_account = sample_size(
        accounts.height,
        per_account=cfg.sample_per_account,
        budget=cfg.sample_budget,
        floor=cfg.min_sample_per_account,
    )
    sample = sample_request_signals(
        t, accounts, per_account, engine.request_signals if engine is not None else None
    )
    accounts = summarise_by_account(accounts, sample)
    lap("request_signals")
    accounts, levels = score_accounts(accounts)
    ctx = LinkContext(requests=t, accounts=accounts, sample=sample, seed=cfg.seed)
    edges = link_accounts(ctx, linkers)
    lap("linkage")
    graph = build_graph(edges, accounts, cfg.cluster)
    del edges  # millions of rows at scale; only the fused pairs are needed from here on
    weighted = graph.weighted

    def scorer(labels: np.ndarray, slack: float) -> list[tuple[np.ndarray, CommunityScore]]:
        return _scored(labels, accounts, levels, weighted, cfg, slack)

    groups = campaign_groups(
        graph,
        accounts,
        scorer,
        lambda size: _threshold(size, cfg),
        cfg.cluster,
        small_campaign=cfg.small_campaign,
        lookalike_slack=cfg.lookalike_slack,
        lookalike_difference=cfg.lookalike_difference,
    )
    lap("clustering")
    harvest = accounts["harvest"].to_numpy()
    campaigns, verdicts = _campaigns(t, accounts, sample, harvest, levels, weighted, groups, cfg)
    lap("campaigns")
    summary = {
        "accounts": accounts.height,
        "exchanges": int(accounts["n"].sum()),
        "flagged_accounts": sum(v.flagged for v in verdicts),
        "campaigns": len(campaigns),
        "edges": graph.edge_counts,
        "timings": timings,
    }
    return Detections(accounts=verdicts, campaigns=campaigns, summary=summary)


def _scored(
    labels: np.ndarray,
    accounts: pl.DataFrame,
    levels: dict[str, np.ndarray],
    weighted: pl.DataFrame,
    cfg: DetectConfig,
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
        if result.score >= _threshold(len(members), cfg) - slack:
            out.append((members, result))
    return out


def _threshold(size: int, cfg: DetectConfig) -> float:
    return cfg.flag_threshold + (cfg.small_margin if size < cfg.small_campaign else 0.0)


def _campaigns(
    t: ir.Table,
    accounts: pl.DataFrame,
    sample: pl.DataFrame,
    harvest: np.ndarray,
    levels: dict[str, np.ndarray],
    weighted: pl.DataFrame,
    groups: np.ndarray,
    cfg: DetectConfig,
) -> tuple[list[Campaign], list[AccountVerdict]]:
    ids = accounts["account_id"].to_numpy()
    # Outside any campaign an account is never flagged: its score stays below the threshold.
    scores = 0.9 * cfg.flag_threshold * harvest
    scored = [
        (r.score, members, r.findings)
        for members, r in _scored(groups, accounts, levels, weighted, cfg)
    ]
    scored.sort(key=lambda s: -s[0])
    campaign_of: dict[int, str] = {}
    membership = np.full(len(ids), -1)
    first = accounts["first_ts"].to_numpy()
    stable = stable_campaign_ids(
        [ids[m].tolist() for _, m, _ in scored],
        {str(ids[i]): first[i] for _, m, _ in scored for i in m},
        cfg.previous_campaigns,
    )
    for k, (score, members, _) in enumerate(scored):
        membership[members] = k
        # A member's score is its campaign's, nudged by its own harvesting level.
        scores[members] = np.maximum(score * (0.85 + 0.15 * harvest[members]), cfg.flag_threshold)
        campaign_of[k] = stable[k]
    details = _campaign_details(t, ids, membership, campaign_of)
    campaigns: list[Campaign] = []
    for k, (score, members, findings) in enumerate(scored):
        cid = campaign_of[k]
        d = details.get(cid, {})
        campaigns.append(
            Campaign(
                campaign_id=cid,
                score=score,
                accounts=sorted(ids[members].tolist()),
                exchanges=int(d.get("exchanges", 0)),
                first_seen=d.get("first_seen", datetime.min),
                last_seen=d.get("last_seen", datetime.min),
                capabilities=_capabilities(accounts, members),
                indicators={
                    **d.get("indicators", {}),
                    **_template_indicators(sample, members),
                },
                evidence=findings,
                timeline=d.get("timeline", []),
                models=d.get("models", {}),
                timeline_by_model=d.get("timeline_by_model", {}),
            )
        )
    verdicts = [
        AccountVerdict(
            account_id=str(ids[i]),
            score=float(min(max(scores[i], 0.0), 1.0)),
            flagged=bool(membership[i] >= 0),
            campaign_id=campaign_of.get(int(membership[i])),
        )
        for i in range(len(ids))
    ]
    return campaigns, verdicts


def _template_indicators(sample: pl.DataFrame, members: np.ndarray) -> dict[str, list[Any]]:
    """Prompt-template fingerprints (stable hashes of masked prompt skeletons) that two or more
    of the campaign's accounts used, most shared first: shareable without any prompt text."""
    if sample.is_empty() or "skeleton" not in sample.columns:
        return {}
    shared = (
        sample.filter(pl.col("idx").is_in(pl.Series(members)) & pl.col("skeleton").is_not_null())
        .group_by("skeleton")
        .agg(pl.col("idx").n_unique().alias("accounts"), pl.len().alias("sampled_requests"))
        .filter(pl.col("accounts") >= 2)
        .sort(["accounts", "sampled_requests", "skeleton"], descending=[True, True, False])
        .head(10)
    )
    if shared.is_empty():
        return {}
    return {
        "prompt_template": [
            {"value": f"{int(k):016x}", "accounts": int(a), "sampled_requests": int(r)}
            for k, a, r in shared.iter_rows()
        ]
    }


def _capabilities(accounts: pl.DataFrame, members: np.ndarray) -> dict[str, float]:
    derived = ("cap_concentration", "cap_entropy")
    cols = [c for c in accounts.columns if c.startswith("cap_") and c not in derived]
    if not cols:
        return {}
    sub = accounts[members.tolist()]
    weight = sub["n"].cast(pl.Float64).to_numpy()
    mix = {c[4:]: float(np.average(sub[c].fill_null(0.0).to_numpy(), weights=weight)) for c in cols}
    total = sum(mix.values()) or 1.0
    return {k: v / total for k, v in sorted(mix.items(), key=lambda kv: -kv[1]) if v > 0}


def _campaign_details(
    t: ir.Table, ids: np.ndarray, membership: np.ndarray, campaign_of: dict[int, str]
) -> dict[str, dict[str, Any]]:
    """Exchanges, first/last seen, daily timeline, model mix and shared indicators per campaign."""
    flagged = membership >= 0
    if not flagged.any():
        return {}
    mapping = ibis.memtable(
        {
            "account_id": ids[flagged].tolist(),
            "campaign_id": [campaign_of[int(m)] for m in membership[flagged]],
        }
    )
    j = t.join(mapping, "account_id")
    out: dict[str, dict[str, Any]] = {cid: {"indicators": {}} for cid in campaign_of.values()}
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
    for key in INDICATOR_KEYS:
        shared = (
            j.filter(j[key].notnull())
            .group_by(["campaign_id", j[key].cast("string").name("value")])
            .aggregate(accounts=ibis._.account_id.nunique(), exchanges=ibis._.count())
            .filter(ibis._.accounts >= 2)
            .order_by(
                [ibis._.campaign_id, ibis._.accounts.desc(), ibis._.exchanges.desc(), "value"]
            )
        )
        for row in shared.to_pyarrow().to_pylist():
            items = out[row["campaign_id"]]["indicators"].setdefault(key, [])
            if len(items) < 10:
                items.append({k: row[k] for k in ("value", "accounts", "exchanges")})
    return out
