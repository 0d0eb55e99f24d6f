"""The report's view model: contract files in, plain display-ready dataclasses out.

Everything the template shows is computed here, so the template only lays it out and the tests can
check figures without parsing HTML. Each reader accepts ``campaigns.json`` schema v2 (contract
section 2) and degrades to v1: a missing field yields ``None`` or an empty list, never an error,
because an analyst must still get a page from an older or another producer's output.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl
from markupsafe import Markup

from distillguard.report import svg

TOP_ACCOUNTS = 200
"""Flagged accounts outside any campaign listed in the report (the CSV has all of them)."""
CAMPAIGN_ACCOUNTS = 100
"""Accounts listed per campaign (highest score first)."""
INDICATOR_VALUES = 15
"""Indicator values listed per kind and per section (blockable / context) of a campaign."""
SAMPLE_IDS = 10
"""Account ids shown per evidence line or review item (the JSON has the full lists)."""
LANES = 60
"""Campaigns drawn on the all-campaigns timeline (the busiest; the rest are counted)."""

ACTION_ORDER = {"block": 0, "throttle": 1, "review": 2}

INDICATOR_LABELS: dict[str, str] = {
    "ip_prefix": "IP subnet",
    "subnets": "IP subnet",
    "asn": "ASN",
    "asns": "ASN",
    "country": "country",
    "tls_fingerprint": "client (TLS) fingerprint",
    "tls_fingerprints": "client (TLS) fingerprint",
    "user_agent": "user agent",
    "user_agents": "user agent",
    "payment_fingerprint": "payment fingerprint",
    "payment_fingerprints": "payment fingerprint",
    "email_domain": "e-mail domain",
    "email_domains": "e-mail domain",
    "template_id": "prompt template",
    "template_ids": "prompt template",
    "prompt_template": "prompt template",
    "system_prompt": "system prompt",
}

REVIEW_LABELS = {
    "near_miss": "near miss",
    "lookalike": "lookalike",
    "account": "unflagged account",
}


@dataclass
class IndicatorRow:
    """One shared value and how prevalent it is: in the campaign and in the whole log."""

    kind: str
    value: str
    in_campaign: int | None
    in_log: int | None
    share_of_campaign: float | None
    purity: float | None  # in_campaign / in_log: how much of the value's use is the campaign's
    blockable: bool | None  # None: the producer did not assess it (schema v1)
    example: str = ""


@dataclass
class EvidenceRow:
    signal: str
    strength: float
    description: str
    accounts: int | None  # None: the producer recorded neither a count nor ids
    accounts_complete: bool
    sample_accounts: list[str]
    sample_requests: list[str]
    excerpts: list[str]  # the first is shown inline unless an earlier finding showed it
    observed: list[tuple[str, str]]
    inline_excerpt: str = ""


@dataclass
class AccountRow:
    account_id: str
    score: float | None
    exchanges: int | None
    reasons: str


@dataclass
class CampaignView:
    anchor: str
    rank: int
    campaign_id: str
    score: float
    score_parts: list[tuple[str, float]]
    threshold: float | None
    action: str | None
    action_reasons: list[str]
    score_meaning: str
    n_accounts: int
    accounts: list[AccountRow]
    exchanges: int
    traffic_share: float | None
    first_seen: str
    last_seen: str
    timeline_svg: Markup
    capability_svg: Markup
    capabilities: list[tuple[str, float]]
    models: list[tuple[str, int, float, str]]
    blockable: list[IndicatorRow]
    context: list[IndicatorRow]
    blockable_total: int
    context_total: int
    indicators_assessed: bool
    indicators_hidden: int
    indicators_truncated: bool
    indicator_totals: list[tuple[str, int]]
    evidence: list[EvidenceRow]
    days: dict[str, int] = field(default_factory=dict)


@dataclass
class ReviewView:
    kind: str
    label: str
    accounts: list[str]
    account_count: int
    score: float | None
    exchanges: int | None
    reasons: list[str]
    campaign_id: str | None
    campaign_anchor: str | None


@dataclass
class ActionLine:
    action: str
    anchor: str | None
    text: str


@dataclass
class ExecSummary:
    window: str
    window_days: int | None
    window_note: str
    models: list[tuple[str, int | None]]
    models_note: str
    rows_read: int | None
    exchanges_analysed: int | None
    accounts: int
    flagged: int
    campaigns: int
    campaign_accounts: int
    campaign_exchanges: int
    campaign_share: float | None
    review_items: int
    review_accounts: int
    actions: list[ActionLine]


@dataclass
class ReportData:
    source: str
    run: list[tuple[str, str]]
    exec: ExecSummary
    warnings: list[str]
    headline: list[tuple[str, str]]
    quarantine: list[tuple[str, str]]
    timings: list[tuple[str, str]]
    summary_rest: list[tuple[str, str]]
    campaigns: list[CampaignView]
    overview_svg: Markup
    overview_hidden: int
    calibration: list[list[str]]
    calibration_header: list[str]
    review: list[ReviewView]
    review_accounts: list[ReviewView]
    loose_accounts: list[AccountRow]
    loose_total: int
    flagged_total: int
    accounts_total: int
    top_accounts: int
    schema_version: int | None


def build_report_data(
    *,
    source: str,
    accounts: pl.DataFrame,
    doc: Mapping[str, Any],
    summary: Mapping[str, Any],
    top_accounts: int = TOP_ACCOUNTS,
    campaign_accounts: int = CAMPAIGN_ACCOUNTS,
) -> ReportData:
    """The view model of one detections directory (``accounts`` as read by ``read_accounts``)."""
    run: dict[str, Any] = {}
    for src in (summary.get("run"), doc.get("run")):  # campaigns.json's wins
        if isinstance(src, dict):
            run.update(src)
    window = _window(run, summary)
    analysed = _first_int(
        run.get("exchanges_analysed"), summary.get("exchanges_analysed"), summary.get("exchanges")
    )
    info = {
        str(a): (s, e, r or "")
        for a, s, e, r in accounts.select("account_id", "score", "exchanges", "reasons").iter_rows()
    }
    raw = sorted(
        (c for c in doc.get("campaigns") or [] if isinstance(c, dict)),
        key=lambda c: (-_float(c.get("score")), str(c.get("campaign_id", ""))),
    )
    views = [
        _campaign_view(i, c, info, campaign_accounts, analysed, window) for i, c in enumerate(raw)
    ]
    anchors = {v.campaign_id: v.anchor for v in views}
    review = [
        _review_view(item, anchors) for item in doc.get("review") or [] if isinstance(item, dict)
    ]
    groups = [r for r in review if r.kind != "account"]
    singles = [r for r in review if r.kind == "account"]

    flagged = accounts.filter(pl.col("flagged"))
    loose = flagged.filter(pl.col("campaign_id").is_null()).sort(
        ["score", "account_id"], descending=[True, False]
    )
    headline, quarantine, timings, rest = _summary_parts(summary)
    lanes = sorted(views, key=lambda v: (-v.exchanges, v.rank))[:LANES]
    lanes.sort(key=lambda v: v.rank)
    overview = svg.lanes_svg(
        [(f"#{v.rank} {v.campaign_id}", v.campaign_id, v.days) for v in lanes],
        window=window,
    )
    cal_header, cal_rows = _calibration_table(run.get("calibration") or doc.get("calibration"))
    exec_summary = _exec_summary(
        run, summary, window, analysed, accounts, flagged.height, views, groups, singles
    )
    return ReportData(
        source=source,
        run=_run_rows(run, summary),
        exec=exec_summary,
        warnings=_warnings(summary, run, accounts),
        headline=headline,
        quarantine=quarantine,
        timings=timings,
        summary_rest=rest,
        campaigns=views,
        overview_svg=Markup(overview) if views else Markup(""),
        overview_hidden=max(len(views) - LANES, 0),
        calibration=cal_rows,
        calibration_header=cal_header,
        review=groups,
        review_accounts=singles,
        loose_accounts=[_account_row(a, info) for a in loose["account_id"].head(top_accounts)],
        loose_total=loose.height,
        flagged_total=flagged.height,
        accounts_total=accounts.height,
        top_accounts=top_accounts,
        schema_version=_int_or_none(doc.get("schema_version")),
    )


# --- executive summary ---------------------------------------------------------------------------


def _window(run: Mapping[str, Any], summary: Mapping[str, Any]) -> tuple[str, str] | None:
    for src in (run.get("window"), summary.get("window")):
        if isinstance(src, dict) and src.get("from") and src.get("to"):
            return str(src["from"]), str(src["to"])
    return None


def _exec_summary(
    run: Mapping[str, Any],
    summary: Mapping[str, Any],
    window: tuple[str, str] | None,
    analysed: int | None,
    accounts: pl.DataFrame,
    n_flagged: int,
    views: list[CampaignView],
    groups: list[ReviewView],
    singles: list[ReviewView],
) -> ExecSummary:
    note = ""
    if window is None and views:
        window = (min(v.first_seen for v in views), max(v.last_seen for v in views))
        note = "campaign activity only (the detections carry no log window)"
    text, n_days = "not recorded", None
    if window is not None:
        text = f"{when(window[0])} → {when(window[1])}"
        a, b = svg.parse_day(window[0]), svg.parse_day(window[1])
        n_days = (b - a).days + 1 if a and b else None
    models = _models(run.get("models") or summary.get("models"))
    models_note = ""
    if not models:
        totals: dict[str, int] = {}
        for v in views:
            for m, n, _, _ in v.models:
                totals[m] = totals.get(m, 0) + n
        models = sorted(totals.items(), key=lambda kv: (-(kv[1] or 0), kv[0]))
        models_note = "seen in campaign traffic (the detections list no log-wide models)"
    camp_exchanges = sum(v.exchanges for v in views)
    return ExecSummary(
        window=text,
        window_days=n_days,
        window_note=note,
        models=models,
        models_note=models_note,
        rows_read=_first_int(summary.get("rows_read")),
        exchanges_analysed=analysed,
        accounts=accounts.height,
        flagged=n_flagged,
        campaigns=len(views),
        campaign_accounts=sum(v.n_accounts for v in views),
        campaign_exchanges=camp_exchanges,
        campaign_share=camp_exchanges / analysed if analysed else None,
        review_items=len(groups) + len(singles),
        review_accounts=sum(r.account_count for r in groups + singles),
        actions=_actions(views, groups, singles),
    )


def _actions(
    views: list[CampaignView], groups: list[ReviewView], singles: list[ReviewView]
) -> list[ActionLine]:
    """What to do first: campaigns by recommended action (block, throttle, review), then score."""
    ordered = sorted(views, key=lambda v: (ACTION_ORDER.get(v.action or "", 3), -v.score))
    out: list[ActionLine] = []
    for v in ordered[:5]:
        verb = {"block": "Block", "throttle": "Throttle", "review": "Review"}.get(
            v.action or "", "Investigate"
        )
        share = f" ({pct(v.traffic_share)} of traffic)" if v.traffic_share is not None else ""
        text = (
            f"{verb} campaign #{v.rank} {v.campaign_id}: {v.n_accounts:,} accounts, "
            f"{v.exchanges:,} exchanges{share}, score {v.score:.2f}"
        )
        if v.indicators_assessed:
            text += f"; {v.blockable_total} indicator(s) safe to block"
        out.append(ActionLine(v.action or "investigate", v.anchor, text))
    if len(ordered) > 5:
        out.append(
            ActionLine("more", "#campaigns", f"…and {len(ordered) - 5} more campaigns below.")
        )
    if groups or singles:
        n_acc = sum(r.account_count for r in groups + singles)
        out.append(
            ActionLine(
                "next",
                "#review",
                f"Then work through the review queue: {len(groups)} group(s) and "
                f"{len(singles)} single account(s), {n_acc:,} accounts the threshold did not flag.",
            )
        )
    return out


def _models(raw: Any) -> list[tuple[str, int | None]]:
    if isinstance(raw, dict):
        items = [(str(k), _int_or_none(v)) for k, v in raw.items()]
        return sorted(items, key=lambda kv: (-(kv[1] or 0), kv[0]))
    if isinstance(raw, list):
        out: list[tuple[str, int | None]] = []
        for m in raw:
            if isinstance(m, dict):
                out.append((str(m.get("model", m.get("name", ""))), _int_or_none(m.get("n"))))
            else:
                out.append((str(m), None))
        return out
    return []


def _run_rows(run: Mapping[str, Any], summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    labels = (
        ("run_id", "run id"),
        ("tool_version", "tool version"),
        ("generated_at", "generated at"),
        ("engine", "engine"),
    )
    for key, label in labels:
        v = run.get(key, summary.get(key))
        if v not in (None, ""):
            rows.append((label, when(str(v)) if key == "generated_at" else str(v)))
    inputs = run.get("inputs", summary.get("inputs"))
    if isinstance(inputs, list) and inputs:
        rows.append(("inputs", ", ".join(str(i) for i in inputs)))
    until = summary.get("until")
    if until:
        rows.append(("analysed until", when(str(until))))
    return rows


def _warnings(
    summary: Mapping[str, Any], run: Mapping[str, Any], accounts: pl.DataFrame
) -> list[str]:
    out: list[str] = []
    for src in (summary.get("warnings"), run.get("warnings")):
        for w in src if isinstance(src, list) else []:
            if isinstance(w, dict):
                text = w.get("message") or w.get("text") or w.get("reason")
                out.append(str(text) if text else json.dumps(w, default=str))
            elif w not in (None, ""):
                out.append(str(w))
    for key in ("signals_without_data", "signals_no_data", "missing_signals"):
        names = summary.get(key)
        if isinstance(names, list) and names:
            out.append(
                "No data for these signals (detection rested on the others): "
                + ", ".join(str(n) for n in names)
            )
    # A placeholder account id ("unknown", "-") merges many customers into one giant account.
    if accounts.height > 1 and accounts["exchanges"].null_count() < accounts.height:
        total = accounts["exchanges"].sum() or 0
        top = accounts.sort("exchanges", descending=True, nulls_last=True).row(0, named=True)
        if total and (top["exchanges"] or 0) / total > 0.5:
            aid = str(top["account_id"])
            if not any(aid in w for w in out):
                out.append(
                    f"Account {aid} carries {(top['exchanges'] or 0) / total:.0%} of all "
                    "exchanges: if it is a placeholder id, the log merges many customers into it."
                )
    return out


def _calibration_table(raw: Any) -> tuple[list[str], list[list[str]]]:
    """A run-level calibration table (list of objects) as header + formatted rows."""
    if not isinstance(raw, list):
        return [], []
    rows = [r for r in raw if isinstance(r, dict)]
    header: list[str] = []
    for r in rows:
        header += [str(k) for k in r if str(k) not in header]
    return [h.replace("_", " ") for h in header], [
        [show(r.get(h, "")) for h in header] for r in rows
    ]


# --- campaigns -----------------------------------------------------------------------------------


def _campaign_view(
    i: int,
    c: Mapping[str, Any],
    info: Mapping[str, tuple[float, int | None, str]],
    n_list: int,
    analysed: int | None,
    window: tuple[str, str] | None,
) -> CampaignView:
    accounts = [str(a) for a in c.get("accounts") or []]
    n_accounts = max(_int(c.get("account_count")), len(accounts))
    ranked = sorted(accounts, key=lambda a: (-(info.get(a, (0.0,))[0] or 0.0), a))[:n_list]

    timeline = _pairs(c.get("timeline"))
    days = sorted({d for d, _ in timeline})
    by_model = c.get("timeline_by_model") or {}
    models_total = {str(k): _int(v) for k, v in (c.get("models") or {}).items()}
    first_day: dict[str, str] = {}
    if isinstance(by_model, dict) and by_model:
        per_model = {str(m): dict(_pairs(rows)) for m, rows in by_model.items()}
        days = sorted(set(days) | {d for rows in per_model.values() for d in rows})
        order = sorted(per_model, key=lambda m: (min(per_model[m], default=""), m))
        series = [(m, [per_model[m].get(d, 0) for d in days]) for m in order]
        first_day = {m: min(rows) for m, rows in per_model.items() if rows}
    else:
        counts = dict(timeline)
        series = [("exchanges", [counts.get(d, 0) for d in days])]
    day_totals = {d: sum(s[1][k] for s in series) for k, d in enumerate(days)}
    total_models = sum(models_total.values()) or 1
    models = [
        (m, n, n / total_models, first_day.get(m, ""))
        for m, n in sorted(models_total.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    exchanges = _int(c.get("exchanges"))
    score = _float(c.get("score"))
    threshold = _float_or_none(c.get("threshold"))
    capabilities = {str(k): _float(v) for k, v in (c.get("capabilities") or {}).items()}
    rows, assessed, hidden = _indicator_rows(c.get("indicators"), n_accounts)
    blockable = [r for r in rows if r.blockable]
    context = [r for r in rows if not r.blockable]
    blockable_total, context_total = len(blockable), len(context)
    blockable, cut_b = _top_per_kind(blockable, INDICATOR_VALUES)
    context, cut_c = _top_per_kind(context, INDICATOR_VALUES)
    hidden += cut_b + cut_c
    totals = c.get("indicator_totals")
    evidence = [_evidence_row(f) for f in c.get("evidence") or [] if isinstance(f, dict)]
    evidence.sort(key=lambda e: (-e.strength, e.signal))
    shown: set[str] = set()
    for e in evidence:  # the same example request often backs several findings: show it once
        e.inline_excerpt = next((x for x in e.excerpts if x not in shown), "")
        shown.add(e.inline_excerpt)
    parts = c.get("score_parts")
    return CampaignView(
        anchor=f"c{i + 1}",
        rank=i + 1,
        campaign_id=str(c.get("campaign_id", f"#{i + 1}")),
        score=score,
        score_parts=[(str(k), _float(v)) for k, v in parts.items()]
        if isinstance(parts, dict)
        else [],
        threshold=threshold,
        action=str(c["recommended_action"]) if c.get("recommended_action") else None,
        action_reasons=[str(r) for r in c.get("action_reasons") or []],
        score_meaning=score_meaning(c.get("calibration"), score),
        n_accounts=n_accounts,
        accounts=[_account_row(a, info) for a in ranked],
        exchanges=exchanges,
        traffic_share=exchanges / analysed if analysed else None,
        first_seen=when(str(c.get("first_seen", ""))),
        last_seen=when(str(c.get("last_seen", ""))),
        timeline_svg=Markup(svg.timeline_svg(days, series, window=window)),
        capability_svg=Markup(svg.share_bar_svg(capabilities)),
        capabilities=sorted(capabilities.items(), key=lambda kv: -kv[1]),
        models=models,
        blockable=blockable,
        context=context,
        blockable_total=blockable_total,
        context_total=context_total,
        indicators_assessed=assessed,
        indicators_hidden=hidden,
        indicators_truncated=bool(c.get("indicators_truncated"))
        or any(isinstance(x, dict) and x.get("truncated") for x in _as_list(c.get("indicators"))),
        indicator_totals=[
            (INDICATOR_LABELS.get(str(k), str(k)), _int(n)) for k, n in totals.items()
        ]
        if isinstance(totals, dict)
        else [],
        evidence=evidence,
        days=day_totals,
    )


def score_meaning(calibration: Any, score: float) -> str:
    """One sentence on what the score means, from the producer's calibration when it has one."""
    if isinstance(calibration, str) and calibration:
        return calibration
    if isinstance(calibration, dict) and calibration:
        for key in ("text", "description", "meaning"):
            if calibration.get(key):
                return str(calibration[key])
        precision = _float_or_none(calibration.get("precision"))
        if precision is not None:
            band_raw = calibration.get("bin")
            lo = calibration.get("score_from", calibration.get("score_min"))
            hi = calibration.get("score_to", calibration.get("score_max"))
            if isinstance(band_raw, list) and len(band_raw) == 2:
                lo, hi = band_raw
            band = (
                f"scored {_float(lo):.2f}–{_float(hi):.2f}"
                if lo is not None and hi is not None
                else f"scored near {score:.2f}"
            )
            where = "on the benchmark seeds"
            seeds, measured = calibration.get("seeds"), calibration.get("measured_on")
            if measured:
                where = f"measured on {show(measured)}"
            elif isinstance(seeds, list) and seeds:
                where = f"on benchmark seeds {', '.join(str(s) for s in seeds)}"
            n = _first_int(
                calibration.get("n"), calibration.get("campaigns"), calibration.get("support")
            )
            if n is None and _int_or_none(calibration.get("accounts")) is not None:
                n_acc = _int(calibration.get("accounts"))
                return (
                    f"Calibration ({where}): {precision:.0%} of the accounts in campaigns {band} "
                    f"were attack accounts ({n_acc:,} accounts)."
                )
            sample = f" ({n:,} groups)" if n is not None else ""
            return (
                f"Calibration ({where}): {precision:.0%} of the groups {band} were real "
                f"campaigns{sample}."
            )
        return "Calibration: " + ", ".join(f"{k} {show(v)}" for k, v in calibration.items())
    return (
        "Uncalibrated: the score ranks campaigns against each other and the threshold; it is not "
        "a probability."
    )


def _indicator_rows(raw: Any, n_accounts: int) -> tuple[list[IndicatorRow], bool, int]:
    """Normalise indicators: the v2 list of objects, or the v1 object of kind -> values.

    Returns the rows (most shared first within each kind), whether blockability was assessed,
    and how many values were not kept (only for v1 shapes; v2 pages in the producer).
    """
    rows: list[IndicatorRow] = []
    assessed = False
    if isinstance(raw, list):  # schema v2
        assessed = not raw  # an empty v2 list: nothing shared, so nothing to assess
        for x in raw:
            if not isinstance(x, dict):
                continue
            kind = str(x.get("kind", ""))
            n_in = _int_or_none(x.get("accounts_in_campaign", x.get("accounts")))
            n_log = _int_or_none(x.get("accounts_in_log"))
            block = x.get("blockable")
            assessed = assessed or isinstance(block, bool)
            example = x.get("excerpt") or x.get("example") or ""
            if not example and isinstance(x.get("excerpts"), list) and x["excerpts"]:
                example = x["excerpts"][0]
            rows.append(
                IndicatorRow(
                    kind=INDICATOR_LABELS.get(kind, kind),
                    value=_value(x.get("value", "")),
                    in_campaign=n_in,
                    in_log=n_log,
                    share_of_campaign=n_in / n_accounts
                    if n_in is not None and n_accounts
                    else None,
                    purity=_ratio(n_in, n_log),
                    blockable=block if isinstance(block, bool) else None,
                    example=str(example),
                )
            )
        rows.sort(
            key=lambda r: (_KIND_ORDER.get(r.kind, 99), r.kind, -(r.in_campaign or 0), r.value)
        )
        return rows, assessed, 0
    hidden = 0
    if not isinstance(raw, dict):
        return rows, assessed, hidden
    for kind, values in raw.items():  # schema v1
        label = INDICATOR_LABELS.get(str(kind), str(kind))
        entries: list[tuple[str, int | None]] = []
        if isinstance(values, dict):  # {value: accounts}
            entries = [(str(v), _int_or_none(n)) for v, n in values.items()]
        elif isinstance(values, list):
            for v in values:
                if isinstance(v, dict):
                    entries.append((_value(v.get("value", "")), _int_or_none(v.get("accounts"))))
                else:
                    entries.append((_value(v), None))
        elif values is not None:
            entries = [(_value(values), None)]
        entries.sort(key=lambda e: (-(e[1] or 0), e[0]))
        for value, n in entries:
            share = n / n_accounts if n is not None and n_accounts else None
            rows.append(IndicatorRow(label, value, n, None, share, None, None))
    return rows, assessed, hidden


def _evidence_row(f: Mapping[str, Any]) -> EvidenceRow:
    account_ids = [str(a) for a in f.get("account_ids") or []]
    details = f.get("details") if isinstance(f.get("details"), dict) else {}
    n = _first_int(f.get("account_count"), (details or {}).get("accounts"))
    if n is not None or account_ids:
        n = max(n or 0, len(account_ids))
    complete = f.get("account_ids_complete")
    observed = f.get("observed")
    return EvidenceRow(
        signal=str(f.get("signal", "")),
        strength=min(max(_float(f.get("strength")), 0.0), 1.0),
        description=str(f.get("text") or f.get("description") or ""),
        accounts=n,
        accounts_complete=bool(complete)
        if isinstance(complete, bool)
        else len(account_ids) >= (n or 0),
        sample_accounts=account_ids[:SAMPLE_IDS],
        sample_requests=[str(r) for r in (f.get("request_ids") or [])[:5]],
        excerpts=[_excerpt(x) for x in (f.get("excerpts") or [])[:3] if _excerpt(x)],
        observed=_observed(observed),
    )


_KIND_ORDER = {label: i for i, label in enumerate(dict.fromkeys(INDICATOR_LABELS.values()))}


def _top_per_kind(rows: list[IndicatorRow], n: int) -> tuple[list[IndicatorRow], int]:
    """The first ``n`` rows of each kind (rows come grouped by kind, most shared first)."""
    seen: dict[str, int] = {}
    kept = []
    for r in rows:
        seen[r.kind] = seen.get(r.kind, 0) + 1
        if seen[r.kind] <= n:
            kept.append(r)
    return kept, len(rows) - len(kept)


def _ratio(part: int | None, whole: int | None) -> float | None:
    return part / whole if part is not None and whole else None


def _value(v: Any) -> str:
    """An indicator value exactly as stored (an ASN is 64501, not 64,501)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "" if v is None else str(v)


def _observed(observed: Any) -> list[tuple[str, str]]:
    """``observed`` as (label, value) pairs; a nested object (campaign vs population figures)
    becomes one pair, ``campaign median 37.4, population median 12``."""
    if not isinstance(observed, dict):
        return []
    out = []
    for k, v in observed.items():
        if isinstance(v, dict):
            value = ", ".join(f"{str(k2).replace('_', ' ')} {show(v2)}" for k2, v2 in v.items())
        else:
            value = show(v)
        out.append((str(k).replace("_", " "), value))
    return out


def _excerpt(x: Any) -> str:
    if isinstance(x, dict):
        return str(x.get("excerpt") or x.get("text") or "")
    return "" if x is None else str(x)


def _account_row(a: str, info: Mapping[str, tuple[float, int | None, str]]) -> AccountRow:
    score, exchanges, reasons = info.get(a, (None, None, ""))
    return AccountRow(a, score, exchanges, reasons)


def _review_view(item: Mapping[str, Any], anchors: Mapping[str, str]) -> ReviewView:
    kind = str(item.get("kind", ""))
    accounts = [str(a) for a in item.get("accounts") or []]
    campaign = item.get("campaign_id")
    label = REVIEW_LABELS.get(kind, kind)
    return ReviewView(
        kind=kind,
        label=label,
        accounts=accounts[:SAMPLE_IDS],
        account_count=max(_int(item.get("account_count")), len(accounts)),
        score=_float_or_none(item.get("score")),
        exchanges=_int_or_none(item.get("exchanges")),
        reasons=[str(r) for r in item.get("reasons") or []],
        campaign_id=str(campaign) if campaign is not None else None,
        campaign_anchor=anchors.get(str(campaign)) if campaign is not None else None,
    )


# --- summary.json --------------------------------------------------------------------------------

_HEADLINE_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rows read", ("rows_read", "rows", "requests")),
    ("rows stored", ("rows_stored",)),
    ("duplicate rows", ("rows_duplicate",)),
    ("rows quarantined", ("rows_quarantined", "quarantined")),
)
_SHOWN_ELSEWHERE = {
    "accounts",
    "flagged",
    "flagged_accounts",
    "accounts_flagged",
    "campaigns",
    "exchanges",
    "exchanges_analysed",
    "warnings",
    "signals_without_data",
    "signals_no_data",
    "missing_signals",
    "run_id",
    "tool_version",
    "generated_at",
    "engine",
    "inputs",
    "until",
    "window",
    "models",
    "run",
}


def _summary_parts(
    summary: Mapping[str, Any],
) -> tuple[
    list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]
]:
    used = set(_SHOWN_ELSEWHERE)
    headline: list[tuple[str, str]] = []
    for label, keys in _HEADLINE_KEYS:
        for k in keys:
            if k in summary and isinstance(summary[k], int | float):
                headline.append((label, show(summary[k])))
                used.add(k)
                break
    quarantine: list[tuple[str, str]] = []
    timings: list[tuple[str, str]] = []
    for k, v in summary.items():
        if isinstance(v, dict) and ("quarantin" in k or "reason" in k):
            quarantine += [(str(r), show(n)) for r, n in v.items()]
            used.add(k)
        elif isinstance(v, dict) and ("timing" in k or k.endswith("seconds")):
            timings += [(str(s), show(t)) for s, t in v.items()]
            used.add(k)
    rest = [(str(k), show(v)) for k, v in summary.items() if k not in used]
    return headline, quarantine, timings, rest


# --- formatting ----------------------------------------------------------------------------------


def when(text: str) -> str:
    """An RFC 3339 instant as ``2026-02-01 13:45 UTC`` (no seconds or microseconds); a plain
    day stays a day; anything unparseable is shown as given."""
    if not text:
        return ""
    if len(text) == 10 and svg.parse_day(text) is not None:
        return text
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%d %H:%M UTC" if ts.tzinfo else "%Y-%m-%d %H:%M")


def show(v: Any) -> str:
    """A JSON value as short display text (numbers with separators, floats to 3 places)."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        digits = 0 if abs(v) >= 100 else 1 if abs(v) >= 10 else 3  # 6,036 tokens, 37.4/day, 0.027
        text = f"{v:,.{digits}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(v, dict | list):
        text = json.dumps(v, default=str)
        return text if len(text) <= 300 else text[:299] + "…"
    return "" if v is None else str(v)


def pct(v: float | None) -> str:
    """A share as a percentage with sensible precision ("–" when unknown)."""
    if v is None:
        return "–"
    if 0 < v < 0.001:
        return "<0.1%"
    return f"{v:.1%}" if v < 0.1 else f"{v:.0%}"


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _pairs(rows: Any) -> list[tuple[str, int]]:
    """``[[day, n], ...]`` as typed pairs, skipping malformed entries."""
    if not isinstance(rows, list):
        return []
    return [(str(r[0]), _int(r[1])) for r in rows if isinstance(r, list | tuple) and len(r) >= 2]


def _float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return 0.0


def _float_or_none(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _int(v: Any) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return 0


def _int_or_none(v: Any) -> int | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _first_int(*values: Any) -> int | None:
    for v in values:
        n = _int_or_none(v)
        if n is not None:
            return n
    return None
