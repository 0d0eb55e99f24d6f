"""Render a detections directory (contract section 2) as one self-contained ``report.html``.

The report reads only the contract files (``accounts.csv``, ``campaigns.json``, ``summary.json``),
so it works on any conformant output, not just distillguard's, and on ``campaigns.json`` schema v1
as well as v2 (a field v1 lacks is simply not shown). Everything is inline: CSS in the page, charts
as hand-built SVG; no script, no network. Jinja2 autoescaping is on, because account ids, user
agents, model names, excerpts and evidence text come from untrusted traffic.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import polars as pl

from distillguard.errors import InputError
from distillguard.report.view import (
    CAMPAIGN_ACCOUNTS,
    TOP_ACCOUNTS,
    ReportData,
    build_report_data,
    pct,
)


def render_report(
    out_dir: Path,
    *,
    out: Path | None = None,
    top_accounts: int = TOP_ACCOUNTS,
    campaign_accounts: int = CAMPAIGN_ACCOUNTS,
) -> Path:
    """Read the detection files in ``out_dir`` and write ``report.html``; return its path.

    The page goes to ``out`` when given, else to ``out_dir/report.html``. Raises
    :class:`InputError` when ``accounts.csv`` or ``campaigns.json`` is missing or malformed
    (``summary.json`` is optional).
    """
    data = load_report_data(out_dir, top_accounts=top_accounts, campaign_accounts=campaign_accounts)
    html = render_html(data)
    path = Path(out) if out is not None else Path(out_dir) / "report.html"
    try:
        path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror}", source=str(path)) from exc
    return path


def render_html(data: ReportData) -> str:
    """The page for an already-built view model."""
    return _template().render(r=data)


def load_report_data(
    out_dir: Path, *, top_accounts: int = TOP_ACCOUNTS, campaign_accounts: int = CAMPAIGN_ACCOUNTS
) -> ReportData:
    """Build the report's view model from a detections directory."""
    out_dir = Path(out_dir)
    accounts = read_accounts(out_dir / "accounts.csv")
    doc = _read_json(out_dir / "campaigns.json", required=True)
    if not isinstance(doc, dict) or not isinstance(doc.get("campaigns"), list):
        raise InputError(
            'expected an object with a "campaigns" list', source=str(out_dir / "campaigns.json")
        )
    summary = _read_json(out_dir / "summary.json", required=False)
    return build_report_data(
        source=str(out_dir),
        accounts=accounts,
        doc=doc,
        summary=summary if isinstance(summary, dict) else {},
        top_accounts=top_accounts,
        campaign_accounts=campaign_accounts,
    )


# --- reading -------------------------------------------------------------------------------------

# accounts.csv neutralises cells a spreadsheet would run as formulas with a leading "'"; the
# report shows the true value (as escaped text), so the quote is taken off again.
_NEUTRALISED = r"^'([=+\-@\t\r].*)$"


def read_accounts(path: Path) -> pl.DataFrame:
    """``accounts.csv`` as typed columns: account_id, score, flagged, campaign_id, exchanges,
    reasons (the last two null when the file predates them)."""
    if not path.is_file():
        raise InputError("missing accounts.csv (run `distillguard detect` first)", source=str(path))
    try:
        df = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"cannot read CSV: {exc}", source=str(path)) from exc
    missing = {"account_id", "score", "flagged"} - set(df.columns)
    if missing:
        raise InputError(f"missing column(s) {sorted(missing)}", source=str(path))
    for name in ("campaign_id", "exchanges", "reasons"):
        if name not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.String).alias(name))

    def text(name: str) -> pl.Expr:
        col = pl.col(name).str.replace(_NEUTRALISED, "$1")
        return pl.when(pl.col(name).str.strip_chars() == "").then(None).otherwise(col).alias(name)

    return df.select(
        text("account_id").fill_null(""),
        pl.col("score").cast(pl.Float64, strict=False).fill_null(0.0),
        pl.col("flagged").str.strip_chars().str.to_lowercase().is_in(["true", "1", "yes"]),
        text("campaign_id"),
        pl.col("exchanges").cast(pl.Int64, strict=False),
        text("reasons"),
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
        _ENV.filters["num"] = lambda v: f"{int(v):,}"
        _ENV.filters["pct"] = pct
    return _ENV.get_template("report.html")
