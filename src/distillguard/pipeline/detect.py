"""The detection pipeline: requests -> account behaviour -> linkage -> campaigns -> verdicts.

This module only wires the stages' public functions; each is usable alone (a windowed service
calls the same ones). Everything that touches every request is an Ibis expression executed by
the engine; Python sees one row per account plus a bounded sample of requests per account for
the text signals, so model inference never grows with raw traffic.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import numpy as np
import polars as pl

from distillguard.accounts import account_table, score_accounts
from distillguard.campaigns.allow import allowlisted, with_allowlist_reasons, without_allowlisted
from distillguard.campaigns.decide import decide, flag_threshold, score_communities
from distillguard.campaigns.model import Detections
from distillguard.campaigns.score import CommunityScore
from distillguard.campaigns.stage import (
    AccountGraph,
    CampaignGroups,
    build_graph,
    campaign_groups,
)
from distillguard.engine.base import Engine
from distillguard.linkage import LinkContext, link_accounts
from distillguard.pipeline.config import DetectConfig
from distillguard.pipeline.progress import stage_done
from distillguard.schema import rfc3339
from distillguard.signals import sample_request_signals, sample_size, summarise_by_account

if TYPE_CHECKING:
    from distillguard.share.intel import IntelLinker

Progress = Callable[[str], None]

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
    intel: IntelLinker | None = None,
) -> Detections:
    """Run detection over a conformed request table (see :func:`distillguard.engine.conform`).

    ``engine`` (the one that opened ``requests``) runs the text signals on the sample; without
    one they run in this process. ``intel`` (partners' shared indicators, see
    :mod:`distillguard.share.intel`) adds edges of its own family and per-campaign findings."""
    cfg = (config or DetectConfig()).check()
    linkers = cfg.linkers()
    if intel is not None:
        cfg = intel.configure(cfg)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now
        stage_done(progress, name, timings[name])

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
    linker_seconds: dict[str, float] = {}
    edges = link_accounts(ctx, linkers, linker_seconds)
    matches = intel.match(ctx) if intel is not None else None
    if matches is not None and not matches.edges.is_empty():
        edges = pl.concat([edges, matches.edges])
    allowed = allowlisted(accounts, cfg.allow_orgs or (), cfg.allow_accounts or ())
    edges = without_allowlisted(edges, allowed)
    lap("linkage")
    # Clustering runs no query: the engine's buffer pool gives its memory to the graph.
    with engine.yield_memory() if engine is not None else nullcontext():
        graph = build_graph(edges, accounts, cfg.cluster)
        del edges  # millions of rows at scale; only the fused pairs are needed from here on
        weighted = graph.weighted
        groups = group_accounts(graph, accounts, levels, cfg)
    lap("clustering")
    decision = decide(
        t,
        accounts,
        sample,
        # Account scores (and the review queue's order) rest on the level an account's traffic
        # supports: a one-request account is not ranked on a share of 1.0.
        accounts["harvest_credible"].to_numpy(),
        levels,
        weighted,
        # A campaign flags only accounts with enough traffic to have harvested anything: one
        # request is one observation, and on logs of many light users such accounts were most
        # false positives (21 of 39 at 80 K accounts, 46 of 52 at 250 K; no attack account of
        # any benchmark or holdout log has fewer than 12 requests).
        np.where(accounts["n"].to_numpy() >= cfg.min_requests, groups.labels, -1),
        cfg,
        near=groups.near,
        communities=groups.communities,
        profiles=groups.profiles,
        cleared=allowed,
    )
    if allowed.any():
        orgs = accounts["org_id"] if "org_id" in accounts.columns else [None] * accounts.height
        verdicts = with_allowlist_reasons(
            decision.verdicts, list(orgs), allowed, cfg.allow_orgs or ()
        )
        decision = replace(decision, verdicts=verdicts)
    if matches is not None:
        matches.annotate(decision.campaigns)
    lap("campaigns")
    summary = {
        "accounts": accounts.height,
        "exchanges": int(accounts["n"].sum()),
        "flagged_accounts": sum(v.flagged for v in decision.verdicts),
        "campaigns": len(decision.campaigns),
        "review_accounts": sum(len(r.accounts) for r in decision.review),
        "window": _window(accounts),
        "edges": graph.edge_counts,
        "timings": timings,
        "linker_seconds": linker_seconds,
        "allowlisted_accounts": int(allowed.sum()),
    }
    if matches is not None:
        summary["intel"] = matches.summary()
    return Detections(
        accounts=decision.verdicts,
        campaigns=decision.campaigns,
        summary=summary,
        review=decision.review,
    )


def group_accounts(
    graph: AccountGraph, accounts: pl.DataFrame, levels: dict[str, np.ndarray], cfg: DetectConfig
) -> CampaignGroups:
    """The clustering stage (:func:`~distillguard.campaigns.stage.campaign_groups`) with the
    decision stage's community score and thresholds from ``cfg``."""
    weighted = graph.weighted

    def scorer(labels: np.ndarray, slack: float) -> list[tuple[np.ndarray, CommunityScore]]:
        return score_communities(labels, accounts, levels, weighted, cfg, slack)

    return campaign_groups(
        graph,
        accounts,
        scorer,
        lambda size: flag_threshold(size, cfg),
        cfg.cluster,
        small_campaign=cfg.small_campaign,
        lookalike_slack=cfg.lookalike_slack,
        lookalike_difference=cfg.lookalike_difference,
    )


def _window(accounts: pl.DataFrame) -> dict[str, str | None]:
    """First and last request analysed (after ``until``), RFC 3339."""
    if accounts.is_empty():
        return {"from": None, "to": None}
    lo, hi = accounts["first_ts"].min(), accounts["last_ts"].max()
    return {
        "from": rfc3339(lo) if isinstance(lo, datetime) else None,
        "to": rfc3339(hi) if isinstance(hi, datetime) else None,
    }
