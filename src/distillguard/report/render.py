"""Render a detections directory (contract section 2) as one self-contained ``report.html``.

The report reads only the contract files (``accounts.csv``, ``campaigns.json``, ``summary.json``),
so it works on any conformant output, not just distillguard's. Everything is inline: CSS in the
page, charts as hand-built SVG; no script, no network. Jinja2 autoescaping is on, because account
ids, model names and evidence text come from untrusted traffic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import polars as pl
from markupsafe import Markup

from distillguard.errors import InputError
from distillguard.report import svg

TOP_ACCOUNTS = 200
"""Flagged accounts outside any campaign listed in the report (the CSV has all of them)."""
CAMPAIGN_ACCOUNTS = 100
"""Accounts listed per campaign (highest score first)."""
INDICATOR_VALUES = 15
"""Values listed per indicator kind per campaign."""

INDICATOR_LABELS: dict[str, str] = {
    "ip_prefix": "IP subnets",
    "subnets": "IP subnets",
    "asn": "ASNs",
    "asns": "ASNs",
    "tls_fingerprint": "client (TLS) fingerprints",
    "tls_fingerprints": "client (TLS) fingerprints",
    "user_agent": "user agents",
    "user_agents": "user agents",
    "payment_fingerprint": "payment fingerprints",
    "payment_fingerprints": "payment fingerprints",
    "template_id": "prompt-template ids",
    "template_ids": "prompt-template ids",
    "email_domain": "e-mail domains",
    "email_domains": "e-mail domains",
}


@dataclass
class IndicatorRow:
    kind: str
    value: str
    accounts: int | None
    share: float | None


@dataclass
class EvidenceRow:
    signal: str
    strength: float
    description: str
    accounts: int
    sample_accounts: list[str]
    sample_requests: list[str]


@dataclass
class CampaignView:
    anchor: str
    campaign_id: str
    score: float
    n_accounts: int
    accounts: list[tuple[str, float | None]]
    exchanges: int
    first_seen: str
    last_seen: str
    timeline_svg: Markup
    capability_svg: Markup
    capabilities: list[tuple[str, float]]
    models: list[tuple[str, int, float, str]]
    indicators: list[IndicatorRow]
    indicators_hidden: int
    evidence: list[EvidenceRow]


@dataclass
class ReportData:
    source: str
    headline: list[tuple[str, str]]
    quarantine: list[tuple[str, str]]
    timings: list[tuple[str, str]]
    summary_rest: list[tuple[str, str]]
    campaigns: list[CampaignView]
    loose_accounts: list[tuple[str, float]]
    loose_total: int
    flagged_total: int
    accounts_total: int
    top_accounts: int


def render_report(
    out_dir: Path,
    *,
    top_accounts: int = TOP_ACCOUNTS,
    campaign_accounts: int = CAMPAIGN_ACCOUNTS,
) -> Path:
    """Read the detection files in ``out_dir`` and write ``out_dir/report.html``; return its path.

    Raises :class:`InputError` when ``accounts.csv`` or ``campaigns.json`` is missing or malformed
    (``summary.json`` is optional).
    """
    data = load_report_data(out_dir, top_accounts=top_accounts, campaign_accounts=campaign_accounts)
    html = _template().render(r=data)
    path = out_dir / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


def load_report_data(
    out_dir: Path, *, top_accounts: int = TOP_ACCOUNTS, campaign_accounts: int = CAMPAIGN_ACCOUNTS
) -> ReportData:
    """Build the report's view model from a detections directory."""
    accounts = _read_accounts(out_dir / "accounts.csv")
    campaigns_doc = _read_json(out_dir / "campaigns.json", required=True)
    raw_campaigns = campaigns_doc.get("campaigns") if isinstance(campaigns_doc, dict) else None
    if not isinstance(raw_campaigns, list):
        raise InputError(
            'expected an object with a "campaigns" list', source=str(out_dir / "campaigns.json")
        )
    summary = _read_json(out_dir / "summary.json", required=False)
    if not isinstance(summary, dict):
        summary = {}

    scores = dict(zip(accounts["account_id"].to_list(), accounts["score"].to_list(), strict=True))
    raw_campaigns = sorted(
        (c for c in raw_campaigns if isinstance(c, dict)),
        key=lambda c: (-_float(c.get("score")), str(c.get("campaign_id", ""))),
    )
    views = [_campaign_view(i, c, scores, campaign_accounts) for i, c in enumerate(raw_campaigns)]

    flagged = accounts.filter(pl.col("flagged"))
    loose = flagged.filter(pl.col("campaign_id").is_null()).sort(
        ["score", "account_id"], descending=[True, False]
    )
    headline, quarantine, timings, rest = _summary_parts(
        summary, n_accounts=accounts.height, n_flagged=flagged.height, n_campaigns=len(views)
    )
    return ReportData(
        source=str(out_dir),
        headline=headline,
        quarantine=quarantine,
        timings=timings,
        summary_rest=rest,
        campaigns=views,
        loose_accounts=list(
            zip(
                loose["account_id"].head(top_accounts).to_list(),
                loose["score"].head(top_accounts).to_list(),
                strict=True,
            )
        ),
        loose_total=loose.height,
        flagged_total=flagged.height,
        accounts_total=accounts.height,
        top_accounts=top_accounts,
    )


# --- reading -------------------------------------------------------------------------------------


def _read_accounts(path: Path) -> pl.DataFrame:
    if not path.is_file():
        raise InputError("missing accounts.csv (run `distillguard detect` first)", source=str(path))
    try:
        df = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"cannot read CSV: {exc}", source=str(path)) from exc
    missing = {"account_id", "score", "flagged"} - set(df.columns)
    if missing:
        raise InputError(f"missing column(s) {sorted(missing)}", source=str(path))
    if "campaign_id" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.String).alias("campaign_id"))
    return df.select(
        pl.col("account_id"),
        pl.col("score").cast(pl.Float64, strict=False).fill_null(0.0),
        pl.col("flagged").str.strip_chars().str.to_lowercase().is_in(["true", "1", "yes"]),
        pl.when(pl.col("campaign_id").str.strip_chars() == "")
        .then(None)
        .otherwise(pl.col("campaign_id"))
        .alias("campaign_id"),
    )


def _read_json(path: Path, *, required: bool) -> Any:
    if not path.is_file():
        if required:
            raise InputError("missing file (run `distillguard detect` first)", source=str(path))
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON: {exc}", source=str(path)) from exc


# --- view model ----------------------------------------------------------------------------------


def _campaign_view(
    i: int, c: dict[str, Any], scores: dict[str, float], n_list: int
) -> CampaignView:
    accounts = [str(a) for a in c.get("accounts") or []]
    ranked = sorted(accounts, key=lambda a: (-scores.get(a, 0.0), a))[:n_list]
    n_accounts = len(accounts)

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
    total_models = sum(models_total.values()) or 1
    models = [
        (m, n, n / total_models, first_day.get(m, ""))
        for m, n in sorted(models_total.items(), key=lambda kv: (-kv[1], kv[0]))
    ]

    capabilities = {str(k): _float(v) for k, v in (c.get("capabilities") or {}).items()}
    indicators, hidden = _indicator_rows(c.get("indicators") or {}, n_accounts)
    evidence = [_evidence_row(f) for f in c.get("evidence") or [] if isinstance(f, dict)]
    evidence.sort(key=lambda e: (-e.strength, e.signal))
    return CampaignView(
        anchor=f"c{i + 1}",
        campaign_id=str(c.get("campaign_id", f"#{i + 1}")),
        score=_float(c.get("score")),
        n_accounts=n_accounts,
        accounts=[(a, scores.get(a)) for a in ranked],
        exchanges=_int(c.get("exchanges")),
        first_seen=str(c.get("first_seen", "")),
        last_seen=str(c.get("last_seen", "")),
        timeline_svg=Markup(svg.timeline_svg(days, series)),
        capability_svg=Markup(svg.share_bar_svg(capabilities)),
        capabilities=sorted(capabilities.items(), key=lambda kv: -kv[1]),
        models=models,
        indicators=indicators,
        indicators_hidden=hidden,
        evidence=evidence,
    )


def _indicator_rows(indicators: Any, n_accounts: int) -> tuple[list[IndicatorRow], int]:
    """Normalise the ``indicators`` object; see docs/report.md for the accepted shapes."""
    rows: list[IndicatorRow] = []
    hidden = 0
    if isinstance(indicators, list):  # schema v2: [{"kind", "value", "accounts_in_campaign", ...}]
        grouped: dict[str, list[Any]] = {}
        for i in indicators:
            if isinstance(i, dict):
                accounts = i.get("accounts_in_campaign", i.get("accounts"))
                grouped.setdefault(str(i.get("kind")), []).append({**i, "accounts": accounts})
        indicators = grouped
    if not isinstance(indicators, dict):
        return rows, hidden
    for kind, values in indicators.items():
        label = INDICATOR_LABELS.get(str(kind), str(kind))
        entries: list[tuple[str, int | None]] = []
        if isinstance(values, dict):  # {value: accounts}
            entries = [(str(v), _int_or_none(n)) for v, n in values.items()]
        elif isinstance(values, list):
            for v in values:
                if isinstance(v, dict):
                    entries.append((str(v.get("value", "")), _int_or_none(v.get("accounts"))))
                else:
                    entries.append((str(v), None))
        elif values is not None:
            entries = [(str(values), None)]
        entries.sort(key=lambda e: (-(e[1] or 0), e[0]))
        hidden += max(len(entries) - INDICATOR_VALUES, 0)
        for value, n in entries[:INDICATOR_VALUES]:
            share = n / n_accounts if n is not None and n_accounts else None
            rows.append(IndicatorRow(label, value, n, share))
    return rows, hidden


def _evidence_row(f: dict[str, Any]) -> EvidenceRow:
    account_ids = [str(a) for a in f.get("account_ids") or []]
    details = f.get("details") if isinstance(f.get("details"), dict) else {}
    n = _int_or_none(details.get("accounts")) if details else None
    return EvidenceRow(
        signal=str(f.get("signal", "")),
        strength=min(max(_float(f.get("strength")), 0.0), 1.0),
        description=str(f.get("description", "")),
        accounts=n if n is not None else len(account_ids),
        sample_accounts=account_ids[:10],
        sample_requests=[str(r) for r in (f.get("request_ids") or [])[:5]],
    )


_HEADLINE_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rows read", ("rows_read", "rows", "requests")),
    ("rows quarantined", ("rows_quarantined", "quarantined")),
)


def _summary_parts(
    summary: dict[str, Any], *, n_accounts: int, n_flagged: int, n_campaigns: int
) -> tuple[
    list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]
]:
    used: set[str] = set()
    headline: list[tuple[str, str]] = []
    for label, keys in _HEADLINE_KEYS:
        for k in keys:
            if k in summary and isinstance(summary[k], int | float):
                headline.append((label, _show(summary[k])))
                used.add(k)
                break
    headline += [
        ("accounts", f"{n_accounts:,}"),
        ("flagged accounts", f"{n_flagged:,}"),
        ("campaigns", f"{n_campaigns:,}"),
    ]
    used |= {"accounts", "flagged", "campaigns", "accounts_flagged"}
    quarantine: list[tuple[str, str]] = []
    timings: list[tuple[str, str]] = []
    for k, v in summary.items():
        if isinstance(v, dict) and ("quarantin" in k or "reason" in k):
            quarantine += [(str(r), _show(n)) for r, n in v.items()]
            used.add(k)
        elif isinstance(v, dict) and ("timing" in k or k.endswith("seconds")):
            timings += [(str(s), _show(t)) for s, t in v.items()]
            used.add(k)
    rest = [(str(k), _show(v)) for k, v in summary.items() if k not in used]
    return headline, quarantine, timings, rest


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.3f}".rstrip("0").rstrip(".")
    if isinstance(v, dict | list):
        text = json.dumps(v, default=str)
        return text if len(text) <= 300 else text[:299] + "…"
    return str(v)


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


_ENV: jinja2.Environment | None = None


def _template() -> jinja2.Template:
    global _ENV
    if _ENV is None:
        _ENV = jinja2.Environment(
            loader=jinja2.PackageLoader("distillguard.report", "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
    return _ENV.get_template("report.html")
